"""Building a batch's ZIP of videos on a worker: the web process only streams the stored file."""

from __future__ import annotations

import logging

from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from studio import exports
from studio.models import BatchArchive, Job

logger = logging.getLogger(__name__)


def archive_build(*, archive_id: int) -> BatchArchive | None:
    """Write the ZIP, store it, mark it ready and drop the older ZIPs of the same naming."""
    archive = BatchArchive.objects.select_related("batch").filter(pk=archive_id).first()
    if archive is None or archive.status != BatchArchive.Status.BUILDING:
        return archive  # deleted meanwhile, or a second delivery of a finished build

    def link(job: Job) -> str:
        path = reverse("job_detail", kwargs={"workspace_id": job.workspace_id, "job_id": job.pk})
        return f"{archive.links_base}{path}"

    batch = archive.batch
    try:
        results = exports.batch_results_csv(batch=batch, link_for=link)
        with exports.batch_zip(
            batch=batch, filename_column=archive.filename_column, results_csv=results
        ) as zipped:
            archive.file.save(f"batch-{batch.pk}-videos.zip", File(zipped), save=False)
    except Exception as exc:
        logger.exception("batch %s: its ZIP could not be built", batch.pk)
        BatchArchive.objects.filter(pk=archive.pk).update(
            status=BatchArchive.Status.FAILED,
            error=f"The ZIP could not be made ({type(exc).__name__}); try again.",
            finished_at=timezone.now(),
        )
        return None
    with transaction.atomic():
        archive.status = BatchArchive.Status.READY
        archive.finished_at = timezone.now()
        archive.save(update_fields=["file", "status", "finished_at"])
        older = batch.archives.filter(
            filename_column=archive.filename_column, status=BatchArchive.Status.READY
        ).exclude(pk=archive.pk)
        for stale in older:
            stale.delete()  # its file goes once this commits
    return archive
