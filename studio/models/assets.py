"""Uploads (images, audio) and the avatars made from uploaded portraits."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.workspaces import Workspace


def _asset_path(asset: Asset, filename: str) -> str:
    return f"workspaces/{asset.workspace_id}/assets/{filename}"


class Asset(models.Model):
    """An uploaded image or audio file, checked by content (forms.uploads.ImageUploadField,
    AudioUploadField) before storing."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"  # a storyboard's music

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="assets")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Indexed: serving a stored file finds its owner by name (selectors.file_owner).
    file = models.FileField(upload_to=_asset_path, max_length=300, db_index=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGE)
    width = models.PositiveIntegerField(null=True, blank=True)  # pixels; None for audio
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds; None for an image
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Avatar(models.Model):
    """A portrait a workspace makes talking heads with. Stored only when it shows exactly one
    face big enough (see generation/avatar/face.py); the face's box is kept to show it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="avatars")
    name = models.CharField(max_length=100)
    image = models.ForeignKey(Asset, on_delete=models.RESTRICT, related_name="avatars")
    face_box = models.JSONField(default=list)  # [x, y, width, height] in the image's pixels
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def face_box_percent(self) -> dict[str, float]:
        """The face's box as percentages of the image, for drawing it over the picture."""
        x, y, w, h = self.face_box or (0, 0, 0, 0)
        width, height = self.image.width or 1, self.image.height or 1
        return {
            "left": 100 * x / width,
            "top": 100 * y / height,
            "width": 100 * w / width,
            "height": 100 * h / height,
        }
