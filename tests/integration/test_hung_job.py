"""A job whose engine hangs is stopped at its time limit with the reason, and the worker that
ran it goes on to the next job: a real worker (-P solo), a real hang."""

from __future__ import annotations

from typing import Any

import pytest

from studio.models import Job, Video
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUIET_APP = "tests.integration.quiet_worker"
HANG = "and then hang"


def test_a_hung_job_fails_at_its_limit_and_the_worker_runs_the_next(
    client: Any, user: Any, workspace: Any
) -> None:
    """The engine never returns: the job fails naming its limit; the next job succeeds."""
    client.force_login(user)
    live.flush_broker()
    env = {"HANGING_ENGINE_PROMPT": HANG, "JOB_TIME_LIMITS": "camera-motion=6"}
    worker = live.start_worker("hung", app=QUIET_APP, **env)
    with live.running(worker):
        hung = submit_camera_job(client, workspace.pk, prompt=f"slow zoom in {HANG}")
        hung = wait_for_job(hung.pk, lambda j: j.is_final, timeout=60)
        after = submit_camera_job(client, workspace.pk)
        after = wait_for_job(after.pk, lambda j: j.is_final, timeout=120)
        assert worker.proc.poll() is None  # the same process ran both
    assert hung.status == Job.Status.FAILED
    assert "time limit" in hung.error and "6 s" in hung.error, hung.error
    assert Video.objects.filter(job=hung).count() == 0
    assert after.status == Job.Status.SUCCEEDED, after.error
    assert after.lease_owner == hung.lease_owner  # the same process and boot
