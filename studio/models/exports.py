"""A video in another file format or a platform's shape."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.jobs import Video


def _export_path(export: Export, filename: str) -> str:
    return f"workspaces/{export.video.workspace_id}/videos/{export.video.job_id}/exports/{filename}"


class Export(models.Model):
    """A video in another form, a file format or a platform's (generation/exports.py): made by
    a worker on an editor's request and kept, listed on the video's page."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=20)  # a key of generation.exports.KINDS
    reframe = models.CharField(max_length=10, blank=True)  # blur or crop; "" for a format
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Indexed: serving a stored file finds its owner by name (selectors.file_owner).
    file = models.FileField(upload_to=_export_path, max_length=300, blank=True, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)  # what it did to fit ("24 fps, ...")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} export of video {self.video_id}"
