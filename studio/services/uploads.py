"""Uploads: an image a form already opened and checked, stored as a workspace's asset."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from studio.models import (
    Asset,
    Workspace,
)


def asset_create(
    *, workspace: Workspace, user: User, upload: UploadedFile, image: Image.Image
) -> Asset:
    """Store an upload that forms.uploads.ImageUploadField already opened and checked."""
    upload.seek(0)
    fmt = (image.format or "").lower()
    asset = Asset(
        workspace=workspace,
        uploaded_by=user,
        original_name=(upload.name or "image")[:255],
        content_type=Image.MIME.get(image.format or "", "application/octet-stream"),
        width=image.width,
        height=image.height,
        size_bytes=upload.size or 0,
    )
    asset.file.save(f"{secrets.token_hex(8)}.{'jpg' if fmt == 'jpeg' else fmt}", upload, save=False)
    asset.save()
    return asset
