"""The stalled-job sweep on its own control queue, and workers that share a name, on the real
stack: Redis, Celery workers, beat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from studio.models import Job, Video
from studio.worker import lease
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUIET_APP = "tests.integration.quiet_worker"


def test_the_sweep_runs_while_every_job_worker_is_busy(
    client: Any, user: Any, workspace: Any
) -> None:
    """A job worker busy for long does not hold the sweep back: a dead worker's job is requeued."""
    client.force_login(user)
    live.flush_broker()
    busy = live.start_worker("busy", app=QUIET_APP, SILENT_ENGINE_SECONDS="40")
    with live.running(busy, live.start_sweeper(JOB_SWEEP_SECONDS="1")):
        working = submit_camera_job(client, workspace.pk)
        wait_for_job(working.pk, lambda j: j.status == Job.Status.RUNNING)
        stalled = submit_camera_job(client, workspace.pk)
        assert lease.job_start(job_id=stalled.pk, worker="gone@elsewhere:1:b0") is not None
        Job.objects.filter(pk=stalled.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        requeued = wait_for_job(stalled.pk, lambda j: j.status == Job.Status.QUEUED, timeout=20)
        assert requeued.stage == "queued again after a worker stopped"
        assert Job.objects.get(pk=working.pk).status == Job.Status.RUNNING


def test_a_worker_started_with_a_running_workers_name_leaves_its_job_alone(
    client: Any, user: Any, workspace: Any
) -> None:
    """Two processes started with the same -n: the second's start-up does not take the first's
    live job, which runs once and makes one video."""
    client.force_login(user)
    live.flush_broker()
    env = {"JOB_LEASE_SECONDS": "3", "SILENT_ENGINE_SECONDS": "20"}
    first = live.start_worker("twin", app=QUIET_APP, **env)
    with live.running(first):
        job = submit_camera_job(client, workspace.pk)
        wait_for_job(job.pk, lambda j: j.status == Job.Status.RUNNING)
        with live.running(live.start_worker("twin", app=QUIET_APP, **env)):
            job = wait_for_job(job.pk, lambda j: j.is_final, timeout=120)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 1
    assert Video.objects.filter(job=job).count() == 1
