"""Videos with sound: the stored Video says so from its MP4, and the gallery marks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from generation import VideoResult, render
from generation.types import Sound
from studio.worker import lease, store

WORKER = "cpu0@a:10:boot"


def _result(tmp_path: Path, sound: Sound | None) -> VideoResult:
    frames = np.full((8, 32, 32, 3), 90, dtype=np.uint8)
    output = render.write_mp4(frames, tmp_path / "out.mp4", fps=8, sound=sound)
    poster = render.write_poster(frames, tmp_path / "out.jpg")
    return VideoResult(
        output=output,
        poster=poster,
        engine="ltx2",
        num_frames=8,
        fps=8,
        width=32,
        height=32,
        seed=1,
        seconds=0.1,
        has_sound=sound is not None,
    )


def _hum() -> Sound:
    t = np.arange(24_000) / 24_000
    wave = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return Sound(samples=np.stack([wave, wave]), rate=24_000)


@pytest.mark.django_db
@pytest.mark.parametrize(("sound", "expected"), [(_hum(), True), (None, False)])
def test_a_stored_video_has_sound_when_its_mp4_has_an_audio_stream(
    job: Any, tmp_path: Path, sound: Sound | None, expected: bool
):
    """The flag comes from the file itself: an audio stream in the MP4 or none."""
    lease.job_start(job_id=job.pk, worker=WORKER)
    video = store.job_finish(job_id=job.pk, worker=WORKER, result=_result(tmp_path, sound))
    assert video is not None
    video.refresh_from_db()
    assert video.has_sound is expected


def test_the_gallery_marks_videos_with_sound(member_client, video):
    """A tile for a video with sound carries the Sound mark; a silent one does not."""
    gallery = reverse("gallery", args=[video.workspace_id])
    assert "data-sound" not in member_client.get(gallery).content.decode()
    video.has_sound = True
    video.save(update_fields=["has_sound"])
    page = member_client.get(gallery).content.decode()
    assert "data-sound" in page and "Sound</span>" in page
