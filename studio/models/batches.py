"""Batches: one template and a CSV, one video per row, and their ZIP archives."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.assets import Asset
from studio.models.jobs import Job
from studio.models.templates import Template
from studio.models.workspaces import Workspace


class Batch(models.Model):
    """One template and a CSV: one personalized video per row.

    A batch is checked and previewed as a draft; launching it queues one job per row.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        LAUNCHED = "launched"
        CANCELLED = "cancelled"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="batches")
    template = models.ForeignKey(Template, on_delete=models.RESTRICT, related_name="batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    image = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.RESTRICT)
    # A talking-head batch's speaker (its image is the presenter's portrait).
    presenter = models.ForeignKey(
        "Avatar", null=True, blank=True, on_delete=models.SET_NULL, related_name="batches"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    csv_name = models.CharField(max_length=255, blank=True)
    columns = models.JSONField(default=list)  # the CSV's header, in order
    mapping = models.JSONField(default=dict)  # placeholder -> column
    filename_column = models.CharField(max_length=200, blank=True)  # names the ZIP's files
    # A storyboard template's batch: the aspects each row is rendered in ([]: the template's).
    aspects = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Batch {self.pk} of {self.template}"


def _archive_path(archive: BatchArchive, filename: str) -> str:
    return f"workspaces/{archive.batch.workspace_id}/batches/{archive.batch_id}/{filename}"


class BatchArchive(models.Model):
    """A ZIP of a batch's finished videos, named after one column: built by a worker on an
    editor's request and kept, so a download streams a stored file."""

    class Status(models.TextChoices):
        BUILDING = "building"
        READY = "ready"
        FAILED = "failed"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="archives")
    filename_column = models.CharField(max_length=200, blank=True)  # "" names files by row
    video_count = models.PositiveIntegerField()  # finished videos when it was asked for
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    file = models.FileField(upload_to=_archive_path, max_length=300, blank=True)
    links_base = models.CharField(max_length=300)  # the studio's address, for the CSV's links
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"ZIP of {self.video_count} videos of batch {self.batch_id}"


class BatchRow(models.Model):
    """A row of a batch's CSV and the job that makes its video (the latest, after a retry)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField()  # the row in the file: the header is row 1
    values = models.JSONField(default=dict)  # placeholder -> value
    cells = models.JSONField(default=dict)  # column -> cell, for file names and the results
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_rows"
    )
    # A storyboard template's row: the render of its filled storyboard (its job, once the
    # render assembles, is the first aspect's assembly).
    render = models.ForeignKey(
        "StoryboardRender",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batch_rows",
    )
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="one_batch_row_per_number")
        ]

    def __str__(self) -> str:
        return f"Row {self.number} of batch {self.batch_id}"
