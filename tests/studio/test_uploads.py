"""Uploads: opened only by the image formats we accept, stored as a clean re-encoded copy; music
probed by its content and length, and stored as the workspace's audio."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, TiffImagePlugin

from generation import limits
from studio import services
from studio.forms.uploads import FORM_ROOM_BYTES, check_audio, check_image, music_max_bytes
from studio.models import Asset
from tests.conftest import make_wav

pytestmark = pytest.mark.django_db


def _jpeg_with_gps_rotated() -> bytes:
    """A 200x100 JPEG whose EXIF says "rotate 90°" (orientation 6) and holds a GPS position."""
    image = Image.new("RGB", (200, 100), (200, 60, 40))
    image.paste((20, 20, 240), (0, 0, 20, 100))  # a blue band on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned
    exif[0x010F] = "PhoneCo"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_file_of_another_format_is_refused_before_its_parser_runs(monkeypatch: Any):
    """A TIFF is refused by the format allowlist; Pillow's TIFF parser never sees it."""
    opened: list[str] = []
    original = TiffImagePlugin.TiffImageFile._open

    def spy(self: Any) -> None:
        opened.append("tiff")
        original(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", spy)
    buffer = io.BytesIO()
    Image.new("RGB", (128, 128)).save(buffer, format="TIFF")
    upload = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        check_image(upload)
    assert caught.value.code == "not_an_image" and opened == []


def test_the_stored_copy_has_no_exif_and_keeps_the_orientation(workspace: Any, user: Any):
    """GPS and camera tags are gone; the picture is turned as the camera meant it."""
    upload = SimpleUploadedFile("me.jpg", _jpeg_with_gps_rotated(), content_type="image/jpeg")
    asset = services.uploads.asset_create(
        workspace=workspace, user=user, upload=upload, image=check_image(upload)
    )
    with asset.file.open("rb") as handle:
        data = handle.read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and stored.size == (100, 200)
    assert (asset.width, asset.height, asset.size_bytes) == (100, 200, len(data))
    assert not stored.getexif() and b"PhoneCo" not in data and b"Exif" not in data
    r, _, b = stored.convert("RGB").getpixel((50, 5))
    assert b > 200 and r < 60  # the band that was on the left is now on top


def test_music_is_probed_by_its_content_and_stored_as_audio(workspace: Any, user: Any):
    """A WAV named .mp3 is still a WAV: it is stored as audio with its length, no image size."""
    upload = SimpleUploadedFile("bed.mp3", make_wav(2.0), content_type="audio/mpeg")
    audio = check_audio(upload)
    assert audio.format == "WAV" and audio.duration == pytest.approx(2.0, abs=0.05)
    asset = services.uploads.audio_asset_create(
        workspace=workspace,
        user=user,
        upload=audio.upload,
        format=audio.format,
        duration=audio.duration,
    )
    assert asset.kind == Asset.Kind.AUDIO and asset.content_type == "audio/wav"
    assert asset.file.name.endswith(".wav") and asset.width is None and asset.height is None
    assert asset.file.read() == make_wav(2.0)


def test_music_over_twenty_minutes_is_refused():
    """The length limit is the engine's (generation/limits.py), said in minutes."""
    upload = SimpleUploadedFile("long.wav", make_wav(21 * 60, rate=1000), content_type="audio/wav")
    with pytest.raises(ValidationError) as caught:
        check_audio(upload)
    assert caught.value.code == "bad_music"
    assert "the limit is 20 minutes" in caught.value.messages[0]


def test_music_over_the_upload_limit_is_refused_before_it_is_probed(settings: Any):
    """A file larger than the operator's upload limit is refused by its size."""
    settings.UPLOAD_MAX_BYTES = 10_000
    upload = SimpleUploadedFile("bed.wav", make_wav(2.0), content_type="audio/wav")
    with pytest.raises(ValidationError) as caught:
        check_audio(upload)
    assert caught.value.code == "file_too_large"


def test_the_music_cap_is_the_least_of_the_upload_engine_and_body_limits(settings: Any):
    """Raising the upload and body limits past the engine's music limit leaves that one."""
    settings.UPLOAD_MAX_BYTES = 100 * 2**20
    settings.REQUEST_MAX_BYTES = 200 * 2**20
    assert music_max_bytes() == limits.MAX_MUSIC_BYTES
    settings.REQUEST_MAX_BYTES = 10 * 2**20  # the body limit: the file and the form's room
    assert music_max_bytes() == 10 * 2**20 - FORM_ROOM_BYTES
    settings.UPLOAD_MAX_BYTES = 2**20
    assert music_max_bytes() == 2**20


def test_an_image_is_not_music():
    """A PNG offered as music is refused as not audio, naming the formats to upload."""
    png = io.BytesIO()
    Image.new("RGB", (64, 64)).save(png, format="PNG")
    upload = SimpleUploadedFile("song.mp3", png.getvalue(), content_type="audio/mpeg")
    with pytest.raises(ValidationError) as caught:
        check_audio(upload)
    assert "song.mp3 is not audio; upload MP3, WAV, OGG, M4A" in caught.value.messages[0]
