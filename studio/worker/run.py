"""The whole life of a job on a worker: lease, generate (or reuse shared footage), draw its
overlays, store the video, report. Celery tasks call job_run and jobs_run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from generation import (
    Cancelled,
    EngineUnavailable,
    VideoRequest,
    VideoResult,
    overlays,
    post,
    render,
)
from studio.brand import brand_values
from studio.engines import engine_settings
from studio.models import Generation, Job
from studio.params import AvatarParams, JobParams
from studio.worker import storyboard
from studio.worker.heartbeat import Heartbeat
from studio.worker.lease import LeaseLost, job_end, job_start
from studio.worker.progress import ProgressReporter
from studio.worker.shared import (
    SHARED_ROW_CHUNK,
    SharedFootage,
    SharedRows,
    result_from_generation,
    shared_generation,
    wait_for_shared_footage,
)
from studio.worker.store import generation_store, job_finish
from studio.worker.timelimit import JobTimedOut, alarm, job_time_limit

if TYPE_CHECKING:
    from generation.pipelines.voiceover import VoiceoverRequest

logger = logging.getLogger(__name__)

STORYBOARD_MODES = (Job.Mode.STORYBOARD_SCENE, Job.Mode.STORYBOARD)


def job_run(*, job_id: int, worker: str, footage: SharedFootage | None = None) -> None:
    """The whole life of a job on a worker: lease, generate, store the video, report.

    ``footage`` holds shared footage already decoded by this worker for the jobs of one
    message (see jobs_run), so a row that reuses it only draws and encodes its overlays.
    """
    job = job_start(job_id=job_id, worker=worker)
    if job is None:
        return
    time_limit = job_time_limit(job)
    with Heartbeat(worker=worker, job_ids=[job.pk], time_limit=time_limit) as heartbeat:
        _run_leased(job, worker=worker, heartbeat=heartbeat, time_limit=time_limit, footage=footage)


def _run_leased(
    job: Job,
    *,
    worker: str,
    heartbeat: Heartbeat,
    time_limit: tuple[float, str],
    footage: SharedFootage | None,
) -> None:
    """Run a job this worker holds the lease on (kept fresh by ``heartbeat``) to its end,
    stopping it at ``time_limit`` (seconds, reason)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"reelsmith-job-{job.pk}-"))
    try:
        # The alarm covers the work, not the storing: a row write is never cut in half.
        with alarm(*time_limit):
            if job.mode in STORYBOARD_MODES:
                result = storyboard.job_make(
                    job, worker=worker, heartbeat=heartbeat, workdir=workdir
                )
            else:
                result = _make_video(
                    job, worker=worker, heartbeat=heartbeat, workdir=workdir, footage=footage
                )
        if job.mode == Job.Mode.STORYBOARD_SCENE:  # footage kept for the assembly, no video
            storyboard.scene_finish(job_id=job.pk, worker=worker, result=result)
        else:
            video = job_finish(job_id=job.pk, worker=worker, result=result)
            if video is not None and job.mode == Job.Mode.STORYBOARD:
                storyboard.assembly_finish(job_id=job.pk)
    except JobTimedOut as exc:
        logger.warning("job %s: %s", job.pk, exc)
        job_end(job.pk, worker, Job.Status.FAILED, stage="failed", error=str(exc))
    except Cancelled:
        job_end(job.pk, worker, Job.Status.CANCELLED, stage="cancelled")
    except LeaseLost:
        logger.warning("job %s: lease lost to another worker; output discarded", job.pk)
    except (ValueError, EngineUnavailable) as exc:
        job_end(job.pk, worker, Job.Status.FAILED, stage="failed", error=str(exc))
    except Exception as exc:
        logger.exception("job %s failed", job.pk)
        error = f"The engine failed: {type(exc).__name__}: {exc}"
        job_end(job.pk, worker, Job.Status.FAILED, stage="failed", error=error)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _make_video(
    job: Job,
    *,
    worker: str,
    heartbeat: Heartbeat,
    workdir: Path,
    footage: SharedFootage | None,
) -> VideoResult:
    """Generate the job's footage (or reuse shared footage) and draw its overlays."""
    request = JobParams.of_job(job).request(
        image_path=_copy_image(job, workdir), style_lora=_style_lora_copy(job)
    )
    reporter = ProgressReporter(job=job, worker=worker, heartbeat=heartbeat)
    shared = shared_generation(job) or wait_for_shared_footage(job, reporter)
    if shared is not None:
        result = result_from_generation(
            job, shared, workdir=workdir, reporter=reporter, footage=footage
        )
    else:
        result = _run_pipeline(
            job, request, output=workdir / f"reelsmith-{job.pk}.mp4", reporter=reporter
        )
        if job.overlays and job.generation_key:
            generation_store(job, result)
    if job.overlays:
        result = _apply_overlays(job, result, workdir=workdir, reporter=reporter, footage=footage)
    params = JobParams.of_job(job)
    # Post-steps last, on the finished clip: shared footage stays as the engine made it.
    result = post.apply(result, params.post_steps(), workdir=workdir, on_progress=reporter)
    speech = params.voiceover() if job.mode != Job.Mode.AVATAR else None
    if speech is not None:
        result = _add_voiceover(job, result, speech, workdir=workdir, reporter=reporter)
    return result


def _add_voiceover(
    job: Job,
    result: VideoResult,
    speech: VoiceoverRequest,
    *,
    workdir: Path,
    reporter: ProgressReporter,
) -> VideoResult:
    """Speak the job's voiceover over its clip: a one-scene storyboard of the made footage."""
    from generation.pipelines import voiceover

    reporter(0, 0, stage="loading the voice")
    spoken = voiceover.add(
        result.output,
        speech,
        output=workdir / f"reelsmith-{job.pk}-voiced.mp4",
        on_progress=reporter,
    )
    made = render.probe(spoken.output)
    return dataclasses.replace(
        result,
        output=spoken.output,
        poster=spoken.poster,
        num_frames=made.frames,
        fps=round(made.fps),
        details={**result.details, "caption_files": spoken.captions, "voiceover": True},
    )


def jobs_run(*, job_ids: list[int], worker: str) -> None:
    """Jobs sent in one message because they share one generation request (a batch's rows).

    They run in order until one of them has made the footage (normally the first). The rest
    reuse it, decoded once, and only draw and encode their own overlays: SHARED_ROW_CHUNK
    rows at a time are leased together, drawn ROW_THREADS at a time, and stored together,
    so a row costs a few milliseconds beyond its encode. Each job keeps its own lease, state
    and failure: a row that fails fails alone.
    """
    keys = {
        pk: (workspace_id, key)
        for pk, workspace_id, key in Job.objects.filter(pk__in=job_ids).values_list(
            "pk", "workspace_id", "generation_key"
        )
    }
    with SharedFootage() as footage:
        remaining = [pk for pk in job_ids if pk in keys]
        while remaining and not footage.made(*keys[remaining[0]]):
            job_run(job_id=remaining.pop(0), worker=worker, footage=footage)
        if not remaining:
            return
        workspace_id, key = keys[remaining[0]]
        generation = Generation.objects.get(workspace_id=workspace_id, key=key)
        alone = [pk for pk in remaining if keys[pk] != (workspace_id, key)]
        together = [pk for pk in remaining if keys[pk] == (workspace_id, key)]
        with (
            Heartbeat(worker=worker) as heartbeat,
            SharedRows(
                worker=worker, generation=generation, footage=footage, heartbeat=heartbeat
            ) as rows,
        ):
            # Pipelined: while the rows of one chunk are drawn, the last one's are stored.
            drawing: tuple[list[Job], list[Future[VideoResult | Exception]]] | None = None
            for start in range(0, len(together), SHARED_ROW_CHUNK):
                leased = rows.lease(together[start : start + SHARED_ROW_CHUNK])
                started = (leased, [rows.pool.submit(rows.draw, job) for job in leased])
                if drawing is not None:
                    rows.finish(*drawing)
                drawing = started
            if drawing is not None:
                rows.finish(*drawing)
        for pk in alone:
            job_run(job_id=pk, worker=worker, footage=footage)


def _run_pipeline(
    job: Job, request: VideoRequest, *, output: Path, reporter: ProgressReporter
) -> VideoResult:
    from generation.pipelines import image_to_video, text_to_video

    if job.mode == Job.Mode.AVATAR:
        return _run_avatar(job, request, output=output, reporter=reporter)

    pipeline = image_to_video if job.mode == Job.Mode.IMAGE_TO_VIDEO else text_to_video
    reporter(0, 0, stage="loading model")
    return pipeline.generate(
        request,
        output=output,
        engine=job.engine,
        settings=engine_settings(),
        on_progress=reporter,
    )


def _run_avatar(
    job: Job, request: VideoRequest, *, output: Path, reporter: ProgressReporter
) -> VideoResult:
    from generation.pipelines import avatar

    assert request.image_path is not None  # an avatar job always has its portrait
    reporter(0, 0, stage="loading the voice")
    return avatar.generate(
        AvatarParams.of_job(job).request(image_path=request.image_path),
        output=output,
        on_progress=reporter,
    )


def _copy_image(job: Job, workdir: Path) -> Path | None:
    """The job's image (storage may be remote), copied where the pipeline can read it."""
    if job.image is None:
        return None
    image_path = workdir / f"source{Path(job.image.file.name).suffix}"
    with job.image.file.open("rb") as src, image_path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return image_path


def _style_lora_copy(job: Job) -> Path | None:
    """The job's style LoRA (storage may be remote), kept on this worker's disk under its
    content hash: the engine keeps adapters loaded by file, so the next job with the same
    LoRA neither copies nor loads it again."""
    lora = job.style_lora
    if lora is None:
        return None
    folder = Path(settings.STYLE_LORA_CACHE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lora.sha256}.safetensors"
    if path.is_file() and path.stat().st_size == lora.size_bytes:
        path.touch()  # its modification time is when it was last used: see the pruning
    else:
        partial = folder / f"{lora.sha256}.{os.getpid()}.part"  # two workers may copy at once
        with lora.file.open("rb") as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        partial.replace(path)
    _prune_style_lora_copies(folder, keep=path)
    return path


def _prune_style_lora_copies(folder: Path, *, keep: Path) -> None:
    """Delete all but the STYLE_LORA_CACHE_MAX_COPIES most recently used copies, so the
    folder does not grow with every LoRA a workspace ever ran here. ``keep``, the one this
    job runs with, is never deleted. A copy another worker process is still loading stays
    readable until it closes it (POSIX), and one deleted too soon is copied again."""
    others = []
    for copy in folder.glob("*.safetensors"):
        if copy != keep:
            with contextlib.suppress(FileNotFoundError):  # another worker pruned it meanwhile
                others.append((copy.stat().st_mtime, copy.name, copy))
    others.sort(reverse=True)  # the most recently used first
    for _, _, copy in others[max(settings.STYLE_LORA_CACHE_MAX_COPIES - 1, 0) :]:
        copy.unlink(missing_ok=True)
        logger.info("Deleted the style LoRA copy %s, not used lately", copy.name)


def _apply_overlays(
    job: Job,
    result: VideoResult,
    *,
    workdir: Path,
    reporter: ProgressReporter,
    footage: SharedFootage | None = None,
) -> VideoResult:
    """Draw the job's overlays with its workspace's brand kit over the generated footage."""
    spec = overlays.OverlaySpec.from_dict(job.overlays)
    if spec.empty:
        return result
    reporter(0, 1, stage="drawing overlays")
    brand = brand_values(workspace=job.workspace, workdir=workdir)
    output = workdir / f"reelsmith-{job.pk}-branded.mp4"
    if footage is not None and job.generation is not None:
        source, frames, fps = footage.get(job.generation)
    else:
        source = result.output
        frames, fps = overlays.read_frames(source)
    drawn = overlays.write_overlaid(frames, fps, output, spec=spec, brand=brand, source=source)
    poster = render.write_poster(drawn, output.with_suffix(".jpg"))
    return dataclasses.replace(result, output=output, poster=poster, num_frames=len(drawn))
