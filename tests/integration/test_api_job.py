"""A job made through the REST API on the live stack (Daphne, Redis, a Celery worker,
ffmpeg), followed by polling, and its MP4 downloaded with the same token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from generation.render import probe
from studio import services
from tests.conftest import make_png

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_made_through_the_api_is_downloaded_with_its_token(
    user: Any, workspace: Any, worker: Any, live_server_url: str, tmp_path: Path
) -> None:
    """Token → upload → job → poll → succeeded → the MP4 and poster with the same token."""
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {raw}"
    base = f"{live_server_url}/api/v1"

    asset = api.post(f"{base}/assets/", files={"image": ("p.png", make_png(), "image/png")})
    assert asset.status_code == 201, asset.text
    made = api.post(
        f"{base}/jobs/",
        json={
            "mode": "image-to-video",
            "engine": "camera-motion",
            "prompt": "slow zoom in on the product",
            "asset": asset.json()["id"],
            "frames": 16,
            "width": 256,
            "height": 256,
        },
        headers={"Idempotency-Key": "live-1"},
    )
    assert made.status_code == 201, made.text
    job_url = f"{base}/jobs/{made.json()['id']}/"
    deadline = time.monotonic() + 180
    job = made.json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = api.get(job_url).json()
    assert job["status"] == "succeeded", job
    assert job["timings"]["run_seconds"] > 0 and job["progress"]["fraction"] == 1.0

    mp4 = api.get(job["video"]["mp4"])
    assert mp4.status_code == 200 and mp4.headers["Content-Type"] == "video/mp4"
    path = tmp_path / "out.mp4"
    path.write_bytes(mp4.content)
    info = probe(path)
    assert (info.frames, info.width, info.height) == (16, 256, 256)
    assert api.get(job["video"]["poster"]).content[:3] == b"\xff\xd8\xff"  # a JPEG
    assert requests.get(job["video"]["mp4"]).status_code == 401  # not without the token
