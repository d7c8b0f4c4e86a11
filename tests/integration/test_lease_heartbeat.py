"""A job that is silent for longer than its lease (a model loading, a long step, an upload)
keeps its lease from the worker's heartbeat: the sweep leaves it alone, it runs once."""

from __future__ import annotations

from typing import Any

import pytest

from studio.models import Job, Video
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUIET_APP = "tests.integration.quiet_worker"
LEASE_SECONDS = 3


def test_a_job_silent_for_three_lease_lengths_runs_once_and_succeeds(
    client: Any, user: Any, workspace: Any
) -> None:
    """Two workers and the sweep running: the silent job is not taken over, and makes one video."""
    client.force_login(user)
    live.flush_broker()
    silent = 3 * LEASE_SECONDS + 1  # seconds without a word from the engine
    env = {"JOB_LEASE_SECONDS": str(LEASE_SECONDS), "SILENT_ENGINE_SECONDS": str(silent)}
    workers = [live.start_worker(name, app=QUIET_APP, **env) for name in ("quiet-a", "quiet-b")]
    with live.running(*workers, live.start_sweeper(JOB_SWEEP_SECONDS="0.5")):
        job = submit_camera_job(client, workspace.pk)
        job = wait_for_job(job.pk, lambda j: j.is_final, timeout=180)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 1
    assert Video.objects.filter(job=job).count() == 1
