"""A job through the real stack: Redis broker, Celery worker, Daphne WebSocket, ffmpeg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generation.render import probe
from studio.models import Job, Video
from tests.integration.helpers import SocketRecorder, session_cookie, submit_camera_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_goes_from_queued_to_succeeded_with_live_progress(
    client: Any, user: Any, workspace: Any, worker: Any, live_server_url: str
) -> None:
    """Submit → worker → progress over a real WebSocket → an MP4 with the right frame count."""
    client.force_login(user)
    ws_url = live_server_url.replace("http", "ws") + f"/ws/workspaces/{workspace.pk}/"
    with SocketRecorder(ws_url, session_cookie(client), live_server_url) as socket:
        snapshot = socket.wait_for(lambda m: m["type"] == "snapshot", timeout=10)
        assert snapshot["jobs"] == []
        job = submit_camera_job(client, workspace.pk, num_frames="24")
        done = socket.wait_for(
            lambda m: (
                m["type"] == "job.status"
                and m["job"] == job.pk
                and m["status"] in ("succeeded", "failed", "cancelled")
            ),
            timeout=180,
        )
    assert done["status"] == "succeeded", done
    mine = [m for m in socket.messages if m.get("job") == job.pk]
    statuses = [m["status"] for m in mine if m["type"] == "job.status"]
    assert statuses[0] == "queued" and "running" in statuses and statuses[-1] == "succeeded"
    progress = [m for m in mine if m["type"] == "job.progress" and m["stage"] == "animating"]
    assert len(progress) >= 2
    steps = [m["step"] for m in progress]
    assert steps == sorted(steps) and steps[-1] == progress[-1]["total"]
    assert any(
        m["preview"] and m["preview"].startswith("data:image/jpeg;base64,") for m in progress
    )
    assert done["video"]["url"].endswith(".mp4")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_step) == (
        Job.Status.SUCCEEDED,
        1,
        job.progress_total,
    )
    video = Video.objects.get(job=job)
    info = probe(Path(video.file.path))
    assert (info.frames, info.width, info.height) == (24, 256, 256)
    assert video.num_frames == 24 and video.duration == pytest.approx(3.0)
