"""A worker killed with SIGKILL in the middle of a job: the job ends in one true final state."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from django.utils import timezone

from studio.models import Job, Video
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Long enough that the kill lands mid-job on any machine: hundreds of frames at 720p.
SLOW_JOB = {"aspect": "16:9", "size": "large", "num_frames": "240", "fps": "24"}
LEASE = {"JOB_LEASE_SECONDS": "3"}  # a killed worker's lease lapses quickly


def _wait_for_the_lease_to_lapse(job: Job) -> None:
    """Only a lapsed lease frees a job: a worker's name proves nothing about its process."""
    time.sleep(max(0.0, (job.lease_expires_at - timezone.now()).total_seconds()) + 0.5)


def _kill_mid_job(client: Any, user: Any, workspace: Any, **worker_env: str) -> Job:
    client.force_login(user)
    live.flush_broker()
    worker = live.start_worker("fault", **LEASE, **worker_env)
    try:
        job = submit_camera_job(client, workspace.pk, **SLOW_JOB)
        wait_for_job(job.pk, lambda j: j.status == Job.Status.RUNNING and j.progress_step > 0)
        worker.kill(signal.SIGKILL)
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING  # the dead worker could not say otherwise
    _wait_for_the_lease_to_lapse(job)
    return job


def test_a_killed_job_is_retried_once_the_worker_restarts(client, user, workspace):
    """After a restart the job runs again and succeeds, with exactly one video."""
    job = _kill_mid_job(client, user, workspace)
    with live.running(live.start_worker("fault", **LEASE)):
        job = wait_for_job(job.pk, lambda j: j.is_final, timeout=300)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    assert Video.objects.filter(job=job).count() == 1
    assert Job.objects.filter(status=Job.Status.RUNNING).count() == 0


def test_a_job_out_of_attempts_fails_with_a_reason(client, user, workspace):
    """When no attempt is left, the restarted worker marks the job failed and says why."""
    job = _kill_mid_job(client, user, workspace, JOB_MAX_ATTEMPTS="1")
    with live.running(live.start_worker("fault", **LEASE, JOB_MAX_ATTEMPTS="1")):
        job = wait_for_job(job.pk, lambda j: j.is_final, timeout=120)
    assert job.status == Job.Status.FAILED
    assert "stopped unexpectedly" in job.error
    assert Video.objects.filter(job=job).count() == 0
