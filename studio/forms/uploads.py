"""The one image-upload field: every form that takes an image (a product photo, a portrait, a
logo) checks it the same way, by its content, within the size and pixel limits; and the one
audio-upload field (a storyboard's music), checked by its content and length."""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

from generation import limits

# Only these parsers ever see an upload: Image.open tries no other plugin.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
MIN_IMAGE_SIDE = 64


@dataclass(frozen=True)
class UploadedImage:
    """An upload that opened as an image within the limits: the file and the opened image."""

    upload: UploadedFile
    image: Image.Image


class ImageUploadField(forms.FileField):
    """A file field that cleans to an UploadedImage, or raises the reason it is not one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> UploadedImage | None:
        upload: UploadedFile | None = super().clean(data, initial)
        if not upload:
            return None
        return UploadedImage(upload=upload, image=check_image(upload))


def check_image(upload: UploadedFile) -> Image.Image:
    """Open an upload as an image, by its content, within the size and pixel limits."""
    limit = settings.UPLOAD_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(
            "The file is %(size).1f MB; the limit is %(limit).0f MB.",
            code="file_too_large",
            params={"size": (upload.size or 0) / 2**20, "limit": limit / 2**20},
        )
    not_an_image = ValidationError(
        "This file is not an image we can read; upload a JPEG, PNG or WebP.", code="not_an_image"
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat it as an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            image = Image.open(upload, formats=IMAGE_FORMATS)
            image.verify()  # checks the file's structure without decoding the pixels
            if image.width * image.height > settings.UPLOAD_MAX_PIXELS:
                raise Image.DecompressionBombError
            upload.seek(0)
            image = Image.open(upload, formats=IMAGE_FORMATS)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            "The image has too many pixels (at most %(limit)s megapixels).",
            code="too_many_pixels",
            params={"limit": settings.UPLOAD_MAX_PIXELS // 1_000_000},
        ) from None
    except Exception:
        raise not_an_image from None
    if image.format not in IMAGE_FORMATS:
        raise not_an_image
    if min(image.size) < MIN_IMAGE_SIDE:
        raise ValidationError(
            "The image is %(w)sx%(h)s pixels; it must be at least %(min)s pixels on each side.",
            code="image_too_small",
            params={"w": image.width, "h": image.height, "min": MIN_IMAGE_SIDE},
        )
    upload.seek(0)
    return image


@dataclass(frozen=True)
class UploadedAudio:
    """An upload that opened as audio within the limits: the file, its container and length."""

    upload: UploadedFile
    format: str  # "MP3", "WAV", "M4A" or "OGG", as probed
    duration: float  # seconds


class AudioUploadField(forms.FileField):
    """A file field that cleans to an UploadedAudio, or raises the reason it is not one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.ClearableFileInput(attrs={"accept": "audio/mpeg,audio/wav,audio/mp4,audio/ogg"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> UploadedAudio | None:
        upload: UploadedFile | None = super().clean(data, initial)
        if not upload:
            return None
        return check_audio(upload)


def check_audio(upload: UploadedFile) -> UploadedAudio:
    """Probe an upload as music, by its content (the engine's own check), within the size and
    length limits."""
    from generation.storyboard import music

    limit = music_max_bytes()
    if (upload.size or 0) > limit:
        raise ValidationError(
            "The file is %(size)s; the limit is %(limit)s for music.",
            code="file_too_large",
            params={"size": megabytes(upload.size or 0), "limit": megabytes(limit)},
        )
    # The probe reads a path: the upload is copied to a file of its own, whatever its name.
    with tempfile.TemporaryDirectory(prefix="reelsmith-audio-") as folder:
        path = Path(folder) / (Path(upload.name or "").name or "music")
        with path.open("wb") as out:
            upload.seek(0)
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            duration = music.check_music(path)
            kind = music.music_format(path)
        except ValueError as exc:
            raise ValidationError(str(exc), code="bad_music") from None
    upload.seek(0)
    return UploadedAudio(upload=upload, format=kind, duration=duration)


# What a storyboard's settings form sends beside its music file (its fields, the multipart
# boundaries): room kept under the request body limit so a file at the cap gets through it.
FORM_ROOM_BYTES = 1024 * 1024


def music_max_bytes() -> int:
    """The largest music file the studio takes: the least of the upload limit
    (UPLOAD_MAX_BYTES), the engine's own (generation.limits.MAX_MUSIC_BYTES) and what the
    request body limit (REQUEST_MAX_BYTES, studio/bodylimit.py) lets through beside the rest
    of the form, so a file under the cap is never refused with a bare 413 first."""
    return min(
        settings.UPLOAD_MAX_BYTES,
        limits.MAX_MUSIC_BYTES,
        settings.REQUEST_MAX_BYTES - FORM_ROOM_BYTES,
    )


def megabytes(size: int) -> str:
    """A size with its unit, as the limits are set (MiB, KiB): "20 MB", "0.5 MB", "977 KB"."""
    if size < 2**20 / 10:
        return f"{max(1, round(size / 2**10))} KB"
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


class AssetUploadForm(forms.Form):
    """An image uploaded on its own (through the API), to animate later."""

    image = ImageUploadField()
