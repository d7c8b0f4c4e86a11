"""The worker's heartbeat: it renews the leases this worker holds and notices what stops a job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from generation import Cancelled
from studio.models import Job
from studio.worker import lease
from studio.worker.heartbeat import Heartbeat
from studio.worker.timelimit import JobTimedOut, job_time_limit

pytestmark = pytest.mark.django_db

WORKER = "gpu0@a:10:boot-1"


def _lease_nearly_out(job: Job) -> None:
    lease.job_start(job_id=job.pk, worker=WORKER)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=1))


def test_it_renews_the_lease_of_a_job_it_holds(job: Any, settings: Any):
    """One beat moves the lease a whole lease length ahead, whatever the pipeline reported."""
    _lease_nearly_out(job)
    Heartbeat(worker=WORKER, job_ids=[job.pk]).beat()
    job.refresh_from_db()
    left = (job.lease_expires_at - timezone.now()).total_seconds()
    assert settings.JOB_LEASE_SECONDS - 5 < left <= settings.JOB_LEASE_SECONDS


def test_it_picks_up_a_cancel_request(job: Any):
    """A cancel asked while the pipeline is silent stops the job at its next callback."""
    _lease_nearly_out(job)
    heartbeat = Heartbeat(worker=WORKER, job_ids=[job.pk])
    heartbeat.check(job.pk)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    heartbeat.beat()
    with pytest.raises(Cancelled):
        heartbeat.check(job.pk)


def test_it_leaves_a_lease_another_worker_took_and_says_so(job: Any):
    """A job another worker holds is not renewed by this one, which is told to stop."""
    _lease_nearly_out(job)
    Job.objects.filter(pk=job.pk).update(lease_owner="gpu1@b:20:boot-2")
    heartbeat = Heartbeat(worker=WORKER, job_ids=[job.pk])
    heartbeat.beat()
    job.refresh_from_db()
    assert (job.lease_expires_at - timezone.now()).total_seconds() <= 1
    with pytest.raises(lease.LeaseLost):
        heartbeat.check(job.pk)


def test_it_stops_a_job_past_its_time_limit(job: Any):
    """Past the deadline, the next progress callback stops the job with the limit's reason."""
    _lease_nearly_out(job)
    with pytest.raises(JobTimedOut, match="time limit"):
        Heartbeat(worker=WORKER, job_ids=[job.pk], time_limit=(0, "time limit")).check(job.pk)


def test_a_jobs_limit_is_its_engines_then_its_queues_then_the_default(job: Any, settings: Any):
    """JOB_TIME_LIMITS names engines or queues; the engine's entry wins, then the queue's."""
    settings.JOB_TIME_LIMIT_SECONDS = 3600
    settings.JOB_TIME_LIMITS = {"cpu": 600, "camera-motion": 60}
    assert job_time_limit(job)[0] == 60 and "60 s for camera-motion jobs" in job_time_limit(job)[1]
    settings.JOB_TIME_LIMITS = {"cpu": 600}
    assert job_time_limit(job)[0] == 600
    settings.JOB_TIME_LIMITS = {}
    assert job_time_limit(job) == (
        3600,
        "The job ran past its time limit (3600 s for every job on this server) and was stopped.",
    )
