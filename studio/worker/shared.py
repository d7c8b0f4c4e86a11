"""Shared footage: jobs whose generation request is the same (a batch's rows that differ only
in their overlays) make the footage once and each draw their own overlays on it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generation import VideoResult, overlays, render
from studio.brand import brand_values
from studio.live import broadcast_states
from studio.models import Generation, Job, Video, Workspace
from studio.worker.heartbeat import Heartbeat
from studio.worker.lease import LEASE_FIELDS, mark_final, take_lease
from studio.worker.progress import ProgressReporter
from studio.worker.store import json_safe, video_files_delete, video_for

logger = logging.getLogger(__name__)


class SharedFootage:
    """Shared footage fetched and decoded once for the jobs of one message, by generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decoded: dict[int, tuple[Path, np.ndarray, int]] = {}
        self._folder = Path(tempfile.mkdtemp(prefix="reelsmith-footage-"))

    def __enter__(self) -> SharedFootage:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def made(self, workspace_id: int, key: str) -> bool:
        """Whether footage for this generation key is stored (so later jobs reuse it)."""
        return bool(key) and Generation.objects.filter(workspace_id=workspace_id, key=key).exists()

    def get(self, generation: Generation) -> tuple[Path, np.ndarray, int]:
        """The footage's file, its frames (T, H, W, 3) and frame rate; read-only."""
        with self._lock:
            if generation.pk not in self._decoded:
                path = self._folder / f"generation-{generation.pk}.mp4"
                with generation.file.open("rb") as src, path.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                frames, fps = overlays.read_frames(path)
                frames.flags.writeable = False  # shared between threads
                self._decoded[generation.pk] = (path, frames, fps)
            return self._decoded[generation.pk]


SHARED_ROW_CHUNK = 8  # rows leased and stored in one transaction each


class SharedRows:
    """Rows of one message that reuse ``generation``: leased a chunk at a time, drawn and
    encoded on ROW_THREADS threads (which touch no database), stored a chunk at a time. A row's
    lease is kept fresh by ``heartbeat`` from its lease to its end."""

    def __init__(
        self,
        *,
        worker: str,
        generation: Generation,
        footage: SharedFootage,
        heartbeat: Heartbeat,
    ) -> None:
        self.worker = worker
        self.heartbeat = heartbeat
        self.generation = generation
        self.source, self.frames, self.fps = footage.get(generation)
        self.workdir = Path(tempfile.mkdtemp(prefix="reelsmith-rows-"))
        self.brands: dict[int, overlays.Brand] = {}
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.ROW_THREADS), thread_name_prefix="reelsmith-row"
        )

    def __enter__(self) -> SharedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def lease(self, job_ids: list[int]) -> list[Job]:
        """Take the lease on the rows that may run, in one transaction; end the cancelled."""
        now = timezone.now()
        with transaction.atomic():
            jobs = list(Job.objects.select_for_update().filter(pk__in=job_ids).order_by("pk"))
            decisions = {job.pk: take_lease(job, worker=self.worker, now=now) for job in jobs}
            changed = [job for job in jobs if decisions[job.pk] is not None]
            Job.objects.bulk_update(changed, LEASE_FIELDS)
        broadcast_states(changed)
        leased = [job for job in jobs if decisions[job.pk] == "run"]
        self.heartbeat.add(job.pk for job in leased)
        missing = {job.workspace_id for job in leased} - set(self.brands)
        for pk, workspace in Workspace.objects.in_bulk(missing).items():
            self.brands[pk] = brand_values(workspace=workspace, workdir=self.workdir)
        return leased

    def draw(self, job: Job) -> VideoResult | Exception:
        """One row's overlays over the footage, encoded with its sound; on a pool thread."""
        generation = self.generation
        try:
            spec = overlays.OverlaySpec.from_dict(job.overlays)
            output = self.workdir / f"reelsmith-{job.pk}.mp4"
            drawn = overlays.write_overlaid(
                self.frames,
                self.fps,
                output,
                spec=spec,
                brand=self.brands[job.workspace_id],
                source=self.source,
            )
            poster = render.write_poster(drawn, output.with_suffix(".jpg"))
            return _reused(generation, job, output=output, poster=poster, num_frames=len(drawn))
        except Exception as exc:
            logger.exception("job %s: its overlays could not be drawn", job.pk)
            return exc

    def finish(self, leased: list[Job], drawing: list[Future[VideoResult | Exception]]) -> None:
        outcomes = [future.result() for future in drawing]
        _shared_rows_finish(leased, outcomes, worker=self.worker, generation=self.generation)
        self.heartbeat.discard(job.pk for job in leased)
        for outcome in outcomes:  # stored now; the chunk's files are not needed any more
            if isinstance(outcome, VideoResult):
                outcome.output.unlink(missing_ok=True)
                outcome.poster.unlink(missing_ok=True)


def _shared_rows_finish(
    leased: list[Job],
    outcomes: list[VideoResult | Exception],
    *,
    worker: str,
    generation: Generation,
) -> None:
    """Store the rows' videos and end their jobs in one transaction, where this worker still
    holds their lease (as job_finish does for one job: the files first, then a short write)."""
    stored = {
        row.pk: video_for(row, outcome)
        for row, outcome in zip(leased, outcomes, strict=True)
        if isinstance(outcome, VideoResult)
    }
    with transaction.atomic():
        locked = Job.objects.select_for_update().in_bulk([job.pk for job in leased])
        ended: list[Job] = []
        videos: list[Video] = []
        for row, outcome in zip(leased, outcomes, strict=True):
            job = locked.get(row.pk)
            if job is None or job.status != Job.Status.RUNNING or job.lease_owner != worker:
                logger.warning("job %s: finished without the lease; output discarded", row.pk)
                continue
            if job.cancel_requested:
                mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            elif isinstance(outcome, Exception):
                error = f"The overlays could not be drawn: {type(outcome).__name__}: {outcome}"
                mark_final(job, Job.Status.FAILED, stage="failed", error=error)
            else:
                video = stored.pop(row.pk)
                job.video = video  # for its webhook event: the row is saved below
                videos.append(video)
                job.generation = generation
                job.details = json_safe(outcome.details)
                job.progress_step = job.progress_total = 1
                mark_final(job, Job.Status.SUCCEEDED, stage="done")
            ended.append(job)
        Video.objects.bulk_create(videos)
        Job.objects.bulk_update(ended, [*LEASE_FIELDS, "generation", "details"])
    for video in stored.values():  # rows this worker lost or that were cancelled meanwhile
        video_files_delete(video)
    broadcast_states(ended)


def shared_generation(job: Job) -> Generation | None:
    """Footage already made for the same request in this workspace, if a job with overlays
    may reuse it."""
    if not (job.overlays and job.generation_key):
        return None
    return Generation.objects.filter(workspace_id=job.workspace_id, key=job.generation_key).first()


FOOTAGE_POLL_SECONDS = 1.0


def wait_for_shared_footage(job: Job, reporter: ProgressReporter) -> Generation | None:
    """If another worker is already making this job's footage, wait for it instead of
    making it twice; None when this job should make it.

    Of the running jobs that share a generation key and find no footage, the one that
    started first (then the lowest id) makes it and the others wait. A maker that stops
    without storing footage (failed, cancelled, its worker gone) hands the turn on. The
    waiting job keeps its lease and still honours a cancel.
    """
    if not (job.overlays and job.generation_key):
        return None
    started = Job.objects.filter(pk=job.pk).values_list("started_at", flat=True).get()
    while True:
        maker = (
            Job.objects.filter(
                workspace_id=job.workspace_id,
                generation_key=job.generation_key,
                status=Job.Status.RUNNING,
                lease_expires_at__gt=timezone.now(),
            )
            .exclude(overlays={})  # only jobs with overlays store their footage
            .filter(Q(started_at__lt=started) | Q(started_at=started, pk__lt=job.pk))
            .order_by("started_at", "pk")
            .first()
        )
        if maker is None:
            return shared_generation(job)
        reporter(0, 0, stage=f"waiting for job {maker.pk}'s footage")  # at most 40 characters
        time.sleep(FOOTAGE_POLL_SECONDS)
        found = shared_generation(job)
        if found is not None:
            return found


def result_from_generation(
    job: Job,
    generation: Generation,
    *,
    workdir: Path,
    reporter: ProgressReporter,
    footage: SharedFootage | None = None,
) -> VideoResult:
    if footage is not None:
        # Already fetched and decoded for an earlier job of this message: nothing to report.
        output, poster = footage.get(generation)[0], workdir / f"reelsmith-{job.pk}.jpg"
        with generation.poster.open("rb") as src, poster.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        reporter(0, 1, stage="reusing shared footage")
        output = workdir / f"reelsmith-{job.pk}.mp4"
        poster = workdir / f"reelsmith-{job.pk}.jpg"
        for field, path in ((generation.file, output), (generation.poster, poster)):
            with field.open("rb") as src, path.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        reporter(1, 1, stage="reusing shared footage")
    Job.objects.filter(pk=job.pk).update(generation=generation)
    job.generation = generation
    return _reused(generation, job, output=output, poster=poster, num_frames=generation.num_frames)


def _reused(
    generation: Generation, job: Job, *, output: Path, poster: Path, num_frames: int
) -> VideoResult:
    """A job's result made from shared footage: no time spent generating, the footage named."""
    return VideoResult(
        output=output,
        poster=poster,
        engine=generation.engine,
        num_frames=num_frames,
        fps=generation.fps,
        width=generation.width,
        height=generation.height,
        seed=job.seed,
        seconds=0.0,
        details={**generation.details, "shared_generation": generation.key},
    )
