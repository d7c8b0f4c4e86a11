"""Batches: a template and a checked CSV become one job per row."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from studio import selectors
from studio.batches import ParsedCsv
from studio.live import broadcast_states
from studio.models import (
    Asset,
    Avatar,
    Batch,
    BatchArchive,
    BatchRow,
    Job,
    Template,
    Workspace,
)
from studio.params import random_seed
from studio.queueing import archive_send_on_commit, send_all
from studio.selectors import batch_archive_latest, batch_ready_videos
from studio.services import storyboard_batches
from studio.services.jobs import job_cancel, job_rerun
from studio.services.quotas import quota_check_batch, quota_lock
from studio.services.templates import template_params, template_submit


def batch_create(
    *,
    workspace: Workspace,
    user: User,
    template: Template,
    parsed: ParsedCsv,
    csv_name: str = "",
    filename_column: str = "",
    image: Asset | None = None,
    presenter: Avatar | None = None,
    aspects: list[str] | None = None,
) -> Batch:
    """Store a checked CSV as a draft batch, one row per data row; nothing is queued yet.
    ``image``: the photo an image-to-video template animates; ``presenter``: the avatar who
    speaks a talking-head template's rows; ``aspects``: a storyboard template's videos per row
    (none: the template's)."""
    if not parsed.ok:
        raise ValidationError(
            "Only a CSV whose every row is valid can become a batch.", code="bad_csv"
        )
    if template.mode == Template.Mode.IMAGE_TO_VIDEO and image is None:
        raise ValidationError(
            f"{template.name} animates an image: upload one for the batch.", code="image_required"
        )
    if template.mode == Template.Mode.AVATAR:
        if presenter is None or presenter.workspace_id != workspace.pk:
            raise ValidationError(
                f"{template.name} is spoken by a presenter: pick one of your avatars.",
                code="presenter_required",
            )
        image = presenter.image
    else:
        presenter = None
    unknown = sorted(set(aspects or []) - set(Template.Aspect.values))
    if unknown:
        raise ValidationError(
            f"Unknown aspect {', '.join(unknown)}: use {', '.join(Template.Aspect.values)}.",
            code="bad_aspect",
        )
    if template.mode != Template.Mode.STORYBOARD:
        aspects = []
    with transaction.atomic():
        batch = Batch.objects.create(
            workspace=workspace,
            template=template,
            created_by=user,
            image=image,
            presenter=presenter,
            csv_name=csv_name[:255],
            columns=parsed.header,
            mapping=parsed.mapping,
            filename_column=filename_column if filename_column in parsed.header else "",
            aspects=[a for a in Template.Aspect.values if a in (aspects or [])],
        )
        BatchRow.objects.bulk_create(
            BatchRow(batch=batch, number=number, values=values, cells=cells)
            for number, values, cells in parsed.rows
        )
    return batch


def batch_launch(*, batch: Batch, user: User) -> Batch:
    """Queue one job per row of a draft batch. Every row is filled before any is queued, so a
    row that cannot be made stops the launch with nothing queued."""
    if batch.template.mode == Template.Mode.STORYBOARD:
        return storyboard_batches.storyboard_batch_launch(batch=batch, user=user)
    with transaction.atomic():
        # The workspace's row first: the quota checks and the fair-share release take it too.
        usage = quota_lock(workspace=batch.workspace)
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Batch.Status.DRAFT:
            return batch
        rows = list(batch.rows.all())
        for row in rows:
            try:
                template_params(template=batch.template, values=row.values)
            except ValidationError as exc:
                raise ValidationError(
                    f"Row {row.number}: {' '.join(exc.messages)}", code="bad_row"
                ) from None
        # One seed for the whole batch, so rows whose prompts are the same share their footage.
        seed = batch.template.seed if batch.template.seed is not None else random_seed()
        jobs: list[Job] = []
        for row in rows:
            row.job = template_submit(
                template=batch.template,
                workspace=batch.workspace,
                user=user,
                values=row.values,
                image=batch.image,
                seed=seed,
                send=False,
                avatar=batch.presenter,
            )
            row.attempts = 1
            jobs.append(row.job)
        if jobs:  # checked with the rows' queue known, before anything is committed
            quota_check_batch(
                usage=usage,
                rows=len(jobs),
                queue=jobs[0].queue,
                seconds_needed=selectors.batch_estimate_seconds(
                    template=batch.template, generations=selectors.batch_generations(batch=batch)
                ),
            )
        BatchRow.objects.bulk_update(rows, ["job", "attempts"])
        batch.status = Batch.Status.LAUNCHED
        batch.launched_at = timezone.now()
        batch.save(update_fields=["status", "launched_at"])

        def announce_and_enqueue() -> None:
            broadcast_states(jobs)
            send_all(jobs)

        transaction.on_commit(announce_and_enqueue)
    return batch


def batch_retry_failed(*, batch: Batch, user: User) -> list[BatchRow]:
    """Make again the rows whose video failed, alone, with the same settings and seed."""
    if batch.template.mode == Template.Mode.STORYBOARD:
        return storyboard_batches.storyboard_batch_retry_failed(batch=batch, user=user)
    retried: list[BatchRow] = []
    with transaction.atomic():
        rows = batch.rows.select_for_update().filter(job__status=Job.Status.FAILED)
        for row in rows.select_related("job"):
            assert row.job is not None
            row.job = job_rerun(job=row.job, user=user, same_seed=True)
            row.attempts += 1
            row.save(update_fields=["job", "attempts"])
            retried.append(row)
        if retried and batch.status == Batch.Status.CANCELLED:
            Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.LAUNCHED)
    return retried


def batch_cancel(*, batch: Batch) -> int:
    """Cancel every row that is not finished; finished videos are kept."""
    if batch.template.mode == Template.Mode.STORYBOARD:
        return storyboard_batches.storyboard_batch_cancel(batch=batch)
    active = Job.objects.filter(
        batch_rows__batch=batch, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    )
    jobs = list(active)
    for job in jobs:
        job_cancel(job=job)
    Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.CANCELLED)
    return len(jobs)


def batch_archive_request(
    *, batch: Batch, user: User, filename_column: str, links_base: str
) -> BatchArchive:
    """Have a worker build the ZIP of the batch's finished videos, named after a column; one
    already built (or being built) with every finished video is used as it is."""
    if filename_column and filename_column not in batch.columns:
        raise ValidationError(
            f"The CSV has no column named {filename_column!r}.", code="unknown_column"
        )
    ready = batch_ready_videos(batch=batch)
    if not ready:
        raise ValidationError("No video of this batch is finished yet.", code="nothing_to_zip")
    latest = batch_archive_latest(batch=batch, filename_column=filename_column)
    if (
        latest is not None
        and latest.status != BatchArchive.Status.FAILED
        and latest.video_count == ready
    ):
        return latest
    with transaction.atomic():
        archive = BatchArchive.objects.create(
            batch=batch,
            filename_column=filename_column,
            video_count=ready,
            links_base=links_base.rstrip("/"),
            requested_by=user,
        )
        archive_send_on_commit(archive.pk)
    return archive
