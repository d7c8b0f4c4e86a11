"""A Redis that restarts without persistence forgets its queues; no job is lost with it."""

from __future__ import annotations

from typing import Any

import pytest

from studio import queueing
from studio.models import Job, Video
from studio.queueing import broker_task_ids
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_whose_message_vanished_is_sent_again_and_runs_once(
    client: Any, user: Any, workspace: Any
) -> None:
    """The sweep sees the job's message missing from Redis, sends it again, and it succeeds."""
    client.force_login(user)
    live.flush_broker()
    job = submit_camera_job(client, workspace.pk)
    job.refresh_from_db()
    assert job.celery_task_id in (broker_task_ids() or set())
    assert queueing.jobs_requeue_lost(in_broker=broker_task_ids(), grace_seconds=0) == []

    live.flush_broker()  # what a restart without persistence does to the queues
    assert queueing.jobs_requeue_lost(in_broker=broker_task_ids(), grace_seconds=0) == [job.pk]
    resent = Job.objects.get(pk=job.pk)
    assert resent.celery_task_id != job.celery_task_id
    assert resent.celery_task_id in (broker_task_ids() or set())

    with live.running(live.start_worker("broker")):
        done = wait_for_job(job.pk, lambda j: j.is_final, timeout=120)
    assert done.status == Job.Status.SUCCEEDED and done.attempts == 1
    assert Video.objects.filter(job=done).count() == 1
