"""Wan 2.1 text-to-video through the real stack, on tiny random weights the operator configured."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from django.urls import reverse

from generation.engines import EngineSettings
from generation.render import probe
from generation.testing import build_tiny_wan
from studio.models import Job, Video
from tests import live
from tests.integration.helpers import wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_wan_job_reports_every_step_with_a_preview_and_writes_the_mp4(
    client: Any, user: Any, workspace: Any, settings: Any, tmp_path: Path
) -> None:
    """The operator points the worker at a diffusers folder; the editor offers Wan; it runs."""
    model = build_tiny_wan(tmp_path / "wan-tiny")
    settings.ENGINE_SETTINGS = EngineSettings(model_paths={"wan2.1-t2v": str(model)})
    client.force_login(user)
    editor = client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    option = re.search(r'<option value="wan2.1-t2v"[^>]*>', editor)
    assert option and "disabled" not in option.group(0)

    live.flush_broker()
    with live.running(live.start_worker("wan", REELSMITH_WAN21_T2V_MODEL=str(model))):
        response = client.post(
            reverse("job_new", args=[workspace.pk]),
            {
                "mode": "text-to-video",
                "prompt": "a red ball bounces on a wooden table",
                "engine": "wan2.1-t2v",
                "aspect": "1:1",
                "size": "small",
                "num_frames": "5",
                "fps": "8",
                "steps": "3",
                "guidance": "2",
                "seed": "11",
            },
        )
        assert response.status_code == 302, response.content.decode()[:1500]
        job = wait_for_job(Job.objects.latest("id").pk, lambda j: j.is_final, timeout=240)
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.queue == "gpu-large"
        assert job.preview.startswith("data:image/jpeg;base64,")
        info = probe(Path(Video.objects.get(job=job).file.path))
        assert (info.frames, info.width, info.height) == (5, 256, 256)

        # Re-run: the same seed makes the same video, a new seed another one.
        same, new = (_rerun(client, job, seed) for seed in ("same", "new"))
    original = _frames(job)
    assert same.seed == job.seed and np.array_equal(_frames(same), original)
    assert new.seed != job.seed and not np.array_equal(_frames(new), original)


def _rerun(client: Any, job: Job, seed: str) -> Job:
    url = reverse("job_rerun", args=[job.workspace_id, job.pk])
    assert client.post(url, {"seed": seed}).status_code == 302
    rerun = wait_for_job(Job.objects.latest("id").pk, lambda j: j.is_final, timeout=240)
    assert rerun.status == Job.Status.SUCCEEDED and rerun.rerun_of_id == job.pk
    return rerun


def _frames(job: Job) -> np.ndarray:
    """The decoded frames of a job's MP4."""
    with av.open(Video.objects.get(job=job).file.path) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
