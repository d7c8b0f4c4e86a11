"""Storing what a worker made: the job's video and captions, and footage kept for later jobs
with the same request.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction

from generation import VideoResult, render
from studio.live import broadcast_state
from studio.models import Generation, Job, Video
from studio.worker.lease import mark_final

logger = logging.getLogger(__name__)


def job_finish(*, job_id: int, worker: str, result: VideoResult) -> Video | None:
    """Store the video and mark the job succeeded, if this worker still holds the lease.

    The files are stored first, outside the transaction: an upload to S3 can take seconds,
    and the job's row stays locked only for the short write that records them (a cancel or the
    sweep waits for that lock). Files stored for a job this worker lost are deleted again.
    """
    job = Job.objects.get(pk=job_id)
    if not _holds_lease(job, worker):
        return None
    video = None if job.cancel_requested else video_for(job, result)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if not _holds_lease(job, worker):
            kept = None
        elif job.cancel_requested or video is None:
            mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            job.save()
            kept = None
        else:
            video.save()
            job.details = json_safe(result.details)
            if job.mode in (Job.Mode.AVATAR, Job.Mode.STORYBOARD):  # lengths known once made
                job.num_frames = result.num_frames
            job.progress_step = job.progress_total = max(job.progress_total, 1)
            mark_final(job, Job.Status.SUCCEEDED, stage="done")
            job.save()
            kept = video
    if video is not None and kept is None:
        video_files_delete(video)
    broadcast_state(job)
    return kept


def _holds_lease(job: Job, worker: str) -> bool:
    if job.status == Job.Status.RUNNING and job.lease_owner == worker:
        return True
    logger.warning("job %s: finished without the lease; output discarded", job.pk)
    return False


def video_files_delete(video: Video) -> None:
    """Delete the stored files of a video whose row was never saved."""
    for field in (video.file, video.poster, video.captions):
        if field:
            field.delete(save=False)


def video_for(job: Job, result: VideoResult) -> Video:
    """The job's Video, its files stored, not yet saved (see video_files_delete)."""
    video = Video(
        job=job,
        workspace_id=job.workspace_id,
        width=result.width,
        height=result.height,
        fps=result.fps,
        num_frames=result.num_frames,
        duration=result.num_frames / result.fps,
        size_bytes=result.output.stat().st_size,
        has_sound=render.has_audio(result.output),
    )
    slug = f"reelsmith-{job.pk}"
    with result.output.open("rb") as mp4, result.poster.open("rb") as poster:
        video.file.save(f"{slug}.mp4", File(mp4), save=False)
        video.poster.save(f"{slug}.jpg", File(poster), save=False)
    captions = _caption_file(result)
    if captions is not None:
        with captions.open("rb") as vtt:
            video.captions.save(f"{slug}.vtt", File(vtt), save=False)
    return video


def _caption_file(result: VideoResult) -> Path | None:
    """The WebVTT captions a pipeline wrote beside the video, if any."""
    files = result.details.get("caption_files")
    vtt = files.get("vtt") if isinstance(files, dict) else None
    return Path(vtt) if vtt and Path(vtt).exists() else None


def generation_store(job: Job, result: VideoResult) -> Generation | None:
    """Keep the footage for later jobs with the same request. Two workers may make the same
    footage at once; the first to store it wins, and the other's copy is simply not kept."""
    generation = Generation(
        workspace_id=job.workspace_id,
        key=job.generation_key,
        source_job=job,
        engine=result.engine,
        width=result.width,
        height=result.height,
        fps=result.fps,
        num_frames=result.num_frames,
        seconds=result.seconds,
        details=json_safe(result.details),
    )
    try:
        with transaction.atomic():
            with result.output.open("rb") as mp4, result.poster.open("rb") as poster:
                generation.file.save(f"{job.generation_key}.mp4", File(mp4), save=False)
                generation.poster.save(f"{job.generation_key}.jpg", File(poster), save=False)
            generation.save()
    except IntegrityError:
        generation.file.delete(save=False)
        generation.poster.delete(save=False)
        return None
    Job.objects.filter(pk=job.pk).update(generation=generation)
    return generation


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
