"""Reads of batches, their rows and archives, and how long they should take."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from generation.engines import default_engine
from studio import placeholders
from studio.engines import engine_settings
from studio.models import Batch, BatchArchive, BatchRow, Job, Template, Workspace
from studio.selectors.storyboards import storyboard_render_progress

# Batches --------------------------------------------------------------------------------------

DEFAULT_SECONDS_PER_FRAME_STEP = 0.02  # a guess for an engine with no history here yet


BATCH_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def batch_list_for_workspace(*, workspace: Workspace) -> QuerySet[Batch]:
    return Batch.objects.filter(workspace=workspace).select_related("template")


def batch_get(*, workspace: Workspace, batch_id: int) -> Batch:
    batch = (
        Batch.objects.filter(workspace=workspace, pk=batch_id).select_related("template").first()
    )
    if batch is None:
        raise Http404
    return batch


def batch_rows(*, batch: Batch) -> QuerySet[BatchRow]:
    return batch.rows.select_related("job", "job__video", "render").order_by("number")


# A storyboard row's render status as the batch counts it.
_RENDER_ROW_STATUS = {"rendering": "running", "assembling": "running"}


def batch_render_states(*, batch: Batch) -> dict[int, dict[str, Any]]:
    """A storyboard batch's rows' progress, by row id: each row's render's status (as the
    batch counts it), fraction done and stage."""
    states = {}
    for row in batch.rows.select_related("render").filter(render__isnull=False):
        assert row.render is not None
        progress = storyboard_render_progress(render=row.render)
        states[row.pk] = {
            **progress,
            "status": _RENDER_ROW_STATUS.get(progress["status"], progress["status"]),
            "percent": round(progress["fraction"] * 100),
        }
    return states


def job_seconds_estimate(
    *, engine: str, width: int, height: int, num_frames: int, steps: int
) -> float:
    """How long one job takes, from the last finished jobs of that engine and size here, else
    a rough guess from its frames and steps."""
    recent = _recent_run_seconds(engine=engine, width=width, height=height, num_frames=num_frames)
    if recent is not None:
        return recent
    return 2.0 + num_frames * max(steps, 1) * DEFAULT_SECONDS_PER_FRAME_STEP


def _recent_run_seconds(**match: Any) -> float | None:
    """The mean run time of the last 20 succeeded jobs matching ``match``, if any."""
    recent = Job.objects.filter(
        **match, status=Job.Status.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
    ).order_by("-finished_at")[:20]
    durations = [job.run_seconds for job in recent if job.run_seconds is not None]
    return sum(durations) / len(durations) if durations else None


def batch_generations(*, batch: Batch) -> int:
    """How many distinct generations a draft batch needs: rows whose filled prompts are the
    same share one (the batch uses one seed for all its rows; see services.batches.batch_launch)."""
    template = batch.template
    if template.mode == Template.Mode.AVATAR:
        return batch.rows.count()  # each row's script is spoken and lip-synced on its own
    texts = [template.prompt, template.negative_prompt]
    used = set(placeholders.names_in(*texts))
    keys = {
        tuple(sorted((k, v) for k, v in row.values.items() if k in used))
        for row in batch.rows.all()
    }
    return len(keys)


def batch_estimate_seconds(*, template: Template, generations: int) -> float:
    """The GPU time of a batch: one job's time for each distinct generation. Overlays and
    encoding run per row too, but on the CPU, in a fraction of that."""
    if template.mode == Template.Mode.STORYBOARD:
        # A storyboard row: the last storyboard videos assembled here, else a rough guess.
        recent = _recent_run_seconds(mode=Job.Mode.STORYBOARD)
        return (recent if recent is not None else 30.0) * generations
    if template.mode == Template.Mode.AVATAR:
        return _avatar_seconds_estimate(template) * generations
    engine = template.engine or default_engine(template.mode, engine_settings()) or ""  # type: ignore[arg-type]
    per_job = job_seconds_estimate(
        engine=engine,
        width=template.width,
        height=template.height,
        num_frames=template.num_frames,
        steps=template.steps,
    )
    return per_job * generations


def _avatar_seconds_estimate(template: Template) -> float:
    """A talking head's time: the last ones of that size here, else its length at the speed
    measured in bench/avatar_lipsync.py (about 0.65 s of work per second of video)."""
    recent = _recent_run_seconds(mode=Job.Mode.AVATAR, width=template.width, height=template.height)
    if recent is not None:
        return recent
    return 2.0 + 0.65 * template.num_frames / max(template.fps, 1)


def batch_progress(*, batch: Batch) -> dict[str, Any]:
    """Counts by status, the share done, and the time left from the rows still to run."""
    counts = dict.fromkeys(BATCH_STATUSES, 0)
    counts["draft"] = 0
    rows = list(batch.rows.select_related("job"))
    renders = (
        batch_render_states(batch=batch) if batch.template.mode == Template.Mode.STORYBOARD else {}
    )
    for row in rows:
        if row.pk in renders:
            counts[renders[row.pk]["status"]] += 1
        else:
            counts[row.job.status if row.job else "draft"] += 1
    total = len(rows)
    finished = counts["succeeded"] + counts["failed"] + counts["cancelled"]
    left = counts["queued"] + counts["running"]
    per_job = _average_row_seconds(rows) or batch_estimate_seconds(
        template=batch.template, generations=1
    )
    return {
        **counts,
        "total": total,
        "finished": finished,
        "fraction": finished / total if total else 0.0,
        "eta": per_job * left if left else None,
    }


def batch_ready_videos(*, batch: Batch) -> int:
    """How many of the batch's rows have a finished video (what a ZIP would hold)."""
    return batch.rows.filter(job__status=Job.Status.SUCCEEDED, job__video__isnull=False).count()


def batch_archive_latest(*, batch: Batch, filename_column: str) -> BatchArchive | None:
    """The newest ZIP asked for with this naming, whatever its state."""
    return batch.archives.filter(filename_column=filename_column).first()


def batch_archive_ready(*, batch: Batch, filename_column: str) -> BatchArchive | None:
    """The newest finished ZIP with this naming."""
    return (
        batch.archives.filter(filename_column=filename_column, status=BatchArchive.Status.READY)
        .exclude(file="")
        .first()
    )


def _average_row_seconds(rows: list[BatchRow]) -> float | None:
    durations = [r.job.run_seconds for r in rows if r.job and r.job.run_seconds is not None]
    return sum(durations) / len(durations) if durations else None
