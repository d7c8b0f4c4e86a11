"""Uploads: an image or a music file a form already opened and checked, stored as a
workspace's asset.

What is stored of an image is a re-encoded copy, never the uploaded bytes: EXIF (GPS position,
camera, time), XMP and text chunks are left behind, and the EXIF orientation is applied to the
pixels first so the picture stays the right way up.
"""

from __future__ import annotations

import io
import secrets

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from studio.models import (
    Asset,
    Workspace,
)


def clean_copy(image: Image.Image) -> tuple[Image.Image, ContentFile[bytes], str]:
    """The image turned upright and re-encoded in its format without metadata: the picture,
    its file and the file's extension."""
    fmt = image.format or "PNG"
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if image.info.get("icc_profile"):
        options["icc_profile"] = image.info["icc_profile"]  # colours, not personal data
    upright.save(buffer, format=fmt, **options)
    extension = "jpg" if fmt == "JPEG" else fmt.lower()
    return upright, ContentFile(buffer.getvalue()), extension


def asset_create(
    *, workspace: Workspace, user: User, upload: UploadedFile, image: Image.Image
) -> Asset:
    """Store a clean copy of an upload that forms.uploads.ImageUploadField already checked."""
    upright, content, extension = clean_copy(image)
    asset = Asset(
        workspace=workspace,
        uploaded_by=user,
        original_name=(upload.name or "image")[:255],
        content_type=Image.MIME.get(image.format or "", "application/octet-stream"),
        width=upright.width,
        height=upright.height,
        size_bytes=content.size,
    )
    asset.file.save(f"{secrets.token_hex(8)}.{extension}", content, save=False)
    asset.save()
    return asset


# The content type a probed music container is served as.
AUDIO_CONTENT_TYPES = {
    "MP3": "audio/mpeg",
    "WAV": "audio/wav",
    "M4A": "audio/mp4",
    "OGG": "audio/ogg",
}


def audio_asset_create(
    *, workspace: Workspace, user: User, upload: UploadedFile, format: str, duration: float
) -> Asset:
    """Store music that forms.uploads.AudioUploadField already probed (``format``, the
    container it found; ``duration``, its length in seconds). Audio carries its tags as the
    file has them: the bytes are the user's own music and are kept as uploaded."""
    asset = Asset(
        workspace=workspace,
        uploaded_by=user,
        kind=Asset.Kind.AUDIO,
        original_name=(upload.name or "music")[:255],
        content_type=AUDIO_CONTENT_TYPES[format],
        duration=duration,
        size_bytes=upload.size or 0,
    )
    extension = "m4a" if format == "M4A" else format.lower()
    upload.seek(0)
    asset.file.save(f"{secrets.token_hex(8)}.{extension}", upload, save=False)
    asset.save()
    return asset


def asset_delete(*, asset: Asset) -> None:
    """Remove an upload nothing uses yet (one stored for a change that was then refused)."""
    asset.file.delete(save=False)
    asset.delete()
