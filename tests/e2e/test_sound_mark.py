"""The gallery in a real Chromium: a video with sound carries the Sound mark, a silent one not.

Screenshots are saved under artifacts/e2e/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files import File

from generation import render
from generation.types import Sound
from studio import services
from studio.models import Job, Video
from tests.e2e.helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _finished_job(workspace: Any, user: Any, folder: Path, prompt: str, sound: bool) -> Job:
    job = Job.objects.create(
        workspace=workspace,
        created_by=user,
        mode=Job.Mode.TEXT_TO_VIDEO,
        engine="ltx2" if sound else "kandinsky5",
        queue="gpu-large",
        prompt=prompt,
        width=320,
        height=192,
        num_frames=48,
        fps=24,
        steps=4,
        guidance=3.0,
        seed=7,
        status=Job.Status.SUCCEEDED,
    )
    frames = np.zeros((48, 192, 320, 3), dtype=np.uint8)
    for index in range(48):
        frames[index, :, :, 0] = 60 + index * 3
        frames[index, 60:130, index * 5 : index * 5 + 60] = (240, 200, 60)
    t = np.arange(48_000) / 24_000
    hum = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    track = Sound(samples=np.stack([hum, hum]), rate=24_000) if sound else None
    mp4 = render.write_mp4(frames, folder / f"{job.pk}.mp4", fps=24, sound=track)
    jpg = render.write_poster(frames, folder / f"{job.pk}.jpg")
    video = Video(
        job=job,
        workspace=workspace,
        width=320,
        height=192,
        fps=24,
        num_frames=48,
        duration=2.0,
        size_bytes=mp4.stat().st_size,
        has_sound=render.has_audio(mp4),
    )
    with mp4.open("rb") as m, jpg.open("rb") as p:
        video.file.save(f"clip-{job.pk}.mp4", File(m), save=False)
        video.poster.save(f"clip-{job.pk}.jpg", File(p), save=False)
    video.save()
    return job


def test_the_gallery_marks_the_video_with_sound(
    page: Any, live_server_url: str, django_user_model: Any, tmp_path: Path
) -> None:
    """Of two finished videos, only LTX-2's (its MP4 has an audio stream) shows Sound."""
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    loud = _finished_job(workspace, user, tmp_path, "waves on a beach at sunset", sound=True)
    quiet = _finished_job(workspace, user, tmp_path, "a red ball on green grass", sound=False)
    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")
    page.goto(f"{live_server_url}/w/{workspace.pk}/gallery/")
    assert page.locator(f'.tile[data-job="{loud.pk}"] .tile-sound').count() == 1
    assert page.locator(f'.tile[data-job="{quiet.pk}"] .tile-sound').count() == 0
    shot(page, "gallery-sound-mark")
