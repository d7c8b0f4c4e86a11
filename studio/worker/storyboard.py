"""A storyboard's render on the workers: each scene's footage (a job of its own, on its engine's
queue, stored as a Generation under its footage key), then one assembly job per aspect on the
cpu queue, which makes the voices, draws the cards, fits, mixes and writes the finished video.

Both are ordinary leased jobs (studio.worker.run calls job_make), so a killed worker's job is
taken back by the sweep like any other. The assembly starts once every scene's footage is
stored: the last scene to finish starts it, under the render's row lock and a conditional
update, so two scenes finishing at the same moment start it once.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from generation import VideoResult, render
from generation.pipelines import storyboard as pipeline
from generation.storyboard import board as engine_board
from generation.storyboard import mix
from studio import selectors
from studio.boards import board_values
from studio.brand import brand_values
from studio.engines import engine_settings
from studio.live import broadcast_state, storyboard_send
from studio.models import (
    BatchRow,
    Generation,
    Job,
    StoryboardRender,
    StoryboardRenderOutput,
    StoryboardRenderScene,
    WebhookEvent,
)
from studio.queueing import send_on_commit
from studio.worker.heartbeat import Heartbeat
from studio.worker.lease import mark_final
from studio.worker.progress import ProgressReporter
from studio.worker.store import generation_store
from studio.worker.webhooks import event_record

CARD_VISUALS = ("text-card", "brand-card")  # drawn in the assembly (see services.storyboard_render)
ASSEMBLY_ENGINE = "storyboard"  # an assembly job's engine, so the gallery can filter them
ASSEMBLY_QUEUE = "cpu"


def job_make(job: Job, *, worker: str, heartbeat: Heartbeat, workdir: Path) -> VideoResult:
    """Make a storyboard job's video: a scene's footage, or an aspect's assembly."""
    reporter = RenderProgress(ProgressReporter(job=job, worker=worker, heartbeat=heartbeat), job)
    if job.mode == Job.Mode.STORYBOARD_SCENE:
        return _scene_make(job, reporter=reporter, workdir=workdir)
    return _assembly_make(job, reporter=reporter, workdir=workdir)


# Scenes -------------------------------------------------------------------------------------


def _scene_make(job: Job, *, reporter: RenderProgress, workdir: Path) -> VideoResult:
    started = time.monotonic()
    row = job.storyboard_scenes.select_related("render__storyboard").order_by("pk").first()
    if row is None:
        raise ValueError("This scene's render was deleted.")
    render_row = row.render
    scenes = selectors.storyboard_scenes(storyboard=render_row.storyboard)
    board = board_values(render_row.storyboard, scenes, short_side=render_row.short_side)
    ids = [scene.pk for scene in scenes]
    if row.scene_id not in ids:
        raise ValueError(f"Scene {row.position + 1} was deleted; render the storyboard again.")
    scene = board.scenes[ids.index(row.scene_id)]
    key = pipeline.footage_key(scene, board=board, aspect=row.aspect, frames=row.frames)
    if key != job.generation_key:
        raise ValueError(
            f"Scene {row.position + 1} changed while it was being made; "
            "render the storyboard again."
        )
    reporter(0, 0, stage="loading model")
    output = pipeline.scene_footage(
        scene,
        board=board,
        aspect=row.aspect,
        frames=row.frames,
        out_dir=workdir / "footage",
        settings=engine_settings(),
        on_progress=reporter,
    )
    return _result(job, output, seconds=time.monotonic() - started)


def scene_finish(*, job_id: int, worker: str, result: VideoResult) -> None:
    """Keep the footage under its key, end the job, and start the assembly of each render
    that now has all its footage."""
    job = Job.objects.get(pk=job_id)
    if job.lease_owner != worker or job.status != Job.Status.RUNNING:
        return
    generation_store(job, result)  # a copy another worker stored first is simply not kept
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status != Job.Status.RUNNING or job.lease_owner != worker:
            return
        if job.cancel_requested:
            mark_final(job, Job.Status.CANCELLED, stage="cancelled")
        else:
            job.progress_step = job.progress_total = max(job.progress_total, 1)
            mark_final(job, Job.Status.SUCCEEDED, stage="done")
        job.save()
    broadcast_state(job)
    render_ids = set(job.storyboard_scenes.values_list("render_id", flat=True))
    for render_id in sorted(render_ids):
        assembly_start(render_id=render_id)
        render_announce(render_id)


# The assembly -------------------------------------------------------------------------------


def assembly_start(*, render_id: int) -> list[Job]:
    """Queue one assembly job per aspect once every scene's footage is stored, exactly once:
    the render's row is locked, and only the update that moves it from rendering to
    assembling queues them."""
    with transaction.atomic():
        render_row = (
            StoryboardRender.objects.select_for_update()
            .select_related("storyboard")
            .filter(pk=render_id)
            .first()
        )
        if render_row is None or render_row.status != StoryboardRender.Status.RENDERING:
            return []
        rows = list(render_row.scenes.order_by("pk"))
        keys = {row.footage_key for row in rows if row.footage_key}
        stored = Generation.objects.filter(
            workspace_id=render_row.storyboard.workspace_id, key__in=keys
        ).values_list("key", flat=True)
        if keys - set(stored):
            return []
        moved = StoryboardRender.objects.filter(
            pk=render_id, status=StoryboardRender.Status.RENDERING
        ).update(status=StoryboardRender.Status.ASSEMBLING)
        if not moved:
            return []
        storyboard = render_row.storyboard
        aspects = list(dict.fromkeys(row.aspect for row in rows))
        jobs = []
        for aspect in aspects:
            width, height = engine_board.frame_size(aspect, render_row.short_side)
            job = Job.objects.create(
                workspace_id=storyboard.workspace_id,
                project_id=storyboard.project_id,
                created_by_id=render_row.created_by_id,
                mode=Job.Mode.STORYBOARD,
                engine=ASSEMBLY_ENGINE,
                queue=ASSEMBLY_QUEUE,
                prompt=storyboard.title,
                width=width,
                height=height,
                num_frames=0,  # known once its voices are made
                fps=engine_board.FPS,
                steps=0,
                guidance=0.0,
                seed=0,
                voice=storyboard.voice,
                speed=storyboard.speed,
                captions=storyboard.captions,
                details={"storyboard": storyboard.pk, "render": render_id, "aspect": aspect},
            )
            StoryboardRenderOutput.objects.create(render=render_row, aspect=aspect, job=job)
            send_on_commit(job)
            jobs.append(job)
        # A batch row's video is its first aspect's (the batch's ZIP and results list it).
        BatchRow.objects.filter(render_id=render_id).update(job=jobs[0])
    return jobs


def _assembly_make(job: Job, *, reporter: RenderProgress, workdir: Path) -> VideoResult:
    started = time.monotonic()
    output_row = StoryboardRenderOutput.objects.select_related("render__storyboard").get(job=job)
    render_row = output_row.render
    storyboard = render_row.storyboard
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    rows = list(render_row.scenes.filter(aspect=output_row.aspect).order_by("position"))
    if [row.scene_id for row in rows] != [scene.pk for scene in scenes]:
        raise ValueError("The storyboard's scenes changed while it rendered; render it again.")
    brand = brand_values(workspace=storyboard.workspace, workdir=workdir)
    board = board_values(storyboard, scenes, brand=brand, short_side=render_row.short_side)

    # 1. The voices, and from them the timeline (how long each scene and so each card lasts).
    reporter(0, 0, stage="voices")
    voices = pipeline.make_voices(board, workdir, on_progress=reporter)
    plan = pipeline.plan_timeline(board, voices)

    # 2. Every scene's footage: stored by its scene job, or a card drawn now (the brand's
    # open and close, which have no row of their own, among them).
    played: list[StoryboardRenderScene | None] = [
        *([None] if board.intro is not None else []),
        *rows,
        *([None] if board.outro is not None else []),
    ]
    footage: list[Path] = []
    for number, (row, scene, timing) in enumerate(
        zip(played, engine_board.all_scenes(board), plan.scenes, strict=True), start=1
    ):
        reporter(number - 1, len(played), stage="footage")
        if row is not None and row.footage_key:
            footage.append(_fetch_footage(job.workspace_id, row, workdir))
        elif scene.visual in CARD_VISUALS:
            footage.append(
                pipeline.scene_footage(
                    scene,
                    board=board,
                    aspect=output_row.aspect,
                    frames=timing.frames,
                    out_dir=workdir / "cards",
                )
            )
        else:
            raise ValueError(f"Scene {number} changed while it rendered; render it again.")
    reporter(len(played), len(played), stage="footage")

    # 3. Fit, join, mix and render the aspect (captions beside it).
    assembly = pipeline.assemble(
        board,
        footage,
        workdir / f"storyboard-{job.pk}.mp4",
        output_row.aspect,
        voices=voices,
        work=workdir,
        on_progress=reporter,
    )
    return VideoResult(
        output=assembly.output,
        poster=assembly.poster,
        engine=ASSEMBLY_ENGINE,
        num_frames=round(assembly.duration * engine_board.FPS),
        fps=engine_board.FPS,
        width=assembly.width,
        height=assembly.height,
        seed=job.seed,
        seconds=time.monotonic() - started,
        details={
            "storyboard": storyboard.pk,
            "render": render_row.pk,
            "aspect": output_row.aspect,
            "scenes": len(rows),
            "caption_files": assembly.captions,
            "loudness_lufs": assembly.loudness_lufs,
        },
    )


def _fetch_footage(workspace_id: int, row: StoryboardRenderScene, workdir: Path) -> Path:
    """A scene's stored footage, copied where ffmpeg can read it (storage may be remote)."""
    generation = Generation.objects.get(workspace_id=workspace_id, key=row.footage_key)
    path = workdir / "footage" / f"{row.footage_key[:24]}.mp4"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with generation.file.open("rb") as src, path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return path


def assembly_finish(*, job_id: int) -> None:
    """An aspect is assembled: once every aspect of its render is, the render has succeeded
    and storyboard.finished is recorded, in the same transaction (so once)."""
    render_id = (
        StoryboardRenderOutput.objects.filter(job_id=job_id).values_list("render_id", flat=True)
    ).first()
    if render_id is None:
        return
    with transaction.atomic():
        render_row = (
            StoryboardRender.objects.select_for_update()
            .select_related("storyboard")
            .get(pk=render_id)
        )
        if render_row.status != StoryboardRender.Status.ASSEMBLING:
            return
        outputs = list(render_row.outputs.select_related("job__video"))
        if any(output.job.status != Job.Status.SUCCEEDED for output in outputs):
            return
        render_row.status = StoryboardRender.Status.SUCCEEDED
        render_row.finished_at = timezone.now()
        render_row.save(update_fields=["status", "finished_at"])
        event_record(
            workspace_id=render_row.storyboard.workspace_id,
            event=WebhookEvent.STORYBOARD_FINISHED,
            data=_finished_data(render_row, outputs),
            event_id=f"evt_storyboard_render_{render_row.pk}",
        )
    render_announce(render_id)


def _finished_data(
    render_row: StoryboardRender, outputs: list[StoryboardRenderOutput]
) -> dict[str, Any]:
    storyboard = render_row.storyboard
    workspace_id = storyboard.workspace_id
    return {
        "id": storyboard.pk,
        "render": render_row.pk,
        "title": storyboard.title,
        "scenes": render_row.scenes.values("position").distinct().count(),
        "videos": {
            output.aspect: {
                "job": output.job_id,
                "mp4": reverse("video_download", args=[workspace_id, output.job_id]),
                "poster": selectors.file_url(output.job.video.poster.name),
                "captions": selectors.file_url(output.job.video.captions.name)
                if output.job.video.captions
                else None,
                "width": output.job.video.width,
                "height": output.job.video.height,
                "duration": output.job.video.duration,
            }
            for output in outputs
        },
    }


def renders_recover() -> list[int]:
    """For the sweep: renders whose last scene or assembly ended on a worker that stopped
    before it could start the next step (the step is started exactly once all the same)."""
    resumed = []
    for render_id in StoryboardRender.objects.filter(
        status=StoryboardRender.Status.RENDERING
    ).values_list("pk", flat=True):
        if assembly_start(render_id=render_id):
            resumed.append(render_id)
    assembling = StoryboardRenderOutput.objects.filter(
        render__status=StoryboardRender.Status.ASSEMBLING
    )
    finished = assembling.exclude(
        render__outputs__job__status__in=[
            Job.Status.QUEUED,
            Job.Status.RUNNING,
            Job.Status.FAILED,
            Job.Status.CANCELLED,
        ]
    )
    for job_id in finished.values_list("job_id", flat=True).distinct():
        assembly_finish(job_id=job_id)
    return resumed


# Live ---------------------------------------------------------------------------------------


def render_announce(render_id: int) -> None:
    """Tell the workspace's pages that a render's state changed (they fetch its panel)."""
    render_row = StoryboardRender.objects.select_related("storyboard").filter(pk=render_id).first()
    if render_row is None:
        return
    storyboard_send(
        render_row.storyboard.workspace_id,
        {
            "type": "storyboard.status",
            "storyboard": render_row.storyboard_id,
            "render": render_row.pk,
            **selectors.storyboard_render_progress(render=render_row),
        },
    )


class RenderProgress:
    """A storyboard job's progress callback: the job's own (ProgressReporter), and every so
    often the whole render's progress to the workspace's pages."""

    SEND_INTERVAL = 0.5  # seconds: the overall figure reads a few rows

    def __init__(self, reporter: ProgressReporter, job: Job) -> None:
        self.reporter = reporter
        self.job_id = job.pk
        self.workspace_id = job.workspace_id
        self.last_send = 0.0

    def __call__(
        self, step: int, total: int, preview: Image.Image | None = None, stage: str = "denoising"
    ) -> None:
        self.reporter(step, total, preview=preview, stage=stage)
        now = time.monotonic()
        if now - self.last_send < self.SEND_INTERVAL:
            return
        self.last_send = now
        for render_row in selectors.storyboard_renders_of_job(job_id=self.job_id):
            storyboard_send(
                self.workspace_id,
                {
                    "type": "storyboard.progress",
                    "storyboard": render_row.storyboard_id,
                    "render": render_row.pk,
                    "job": self.job_id,
                    **selectors.storyboard_render_progress(render=render_row),
                },
            )


def _result(job: Job, output: Path, *, seconds: float) -> VideoResult:
    """A scene's footage as a result to store: its poster beside it (or its first frame)."""
    poster = output.with_suffix(".jpg")
    if not poster.is_file():
        poster = mix.poster(output, 0.0, poster)
    info = render.probe(output)
    return VideoResult(
        output=output,
        poster=poster,
        engine=job.engine,
        num_frames=info.frames,
        fps=round(info.fps),
        width=info.width,
        height=info.height,
        seed=job.seed,
        seconds=seconds,
        details={key: job.details[key] for key in ("visual", "storyboard") if key in job.details},
    )
