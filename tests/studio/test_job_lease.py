"""The lease on a Job row: one delivery runs a job, a dead worker's job is taken back."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from studio.models import Job
from studio.worker import lease


@pytest.mark.django_db
def test_it_runs_a_job_for_the_first_delivery_only(job: Any):
    """A second delivery of the same message while the job runs is skipped."""
    assert lease.job_start(job_id=job.pk, worker="gpu0@a:10") is not None
    assert lease.job_start(job_id=job.pk, worker="gpu1@b:20") is None
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.attempts) == (Job.Status.RUNNING, "gpu0@a:10", 1)


@pytest.mark.django_db
def test_it_skips_a_delivery_for_a_finished_job(job: Any):
    """A message that arrives after the job ended changes nothing."""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    assert lease.job_start(job_id=job.pk, worker="gpu0@a:10") is None


@pytest.mark.django_db
def test_it_takes_over_a_job_whose_lease_ran_out(job: Any):
    """A lease that was not renewed in time means its worker is gone."""
    lease.job_start(job_id=job.pk, worker="gpu0@a:10")
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken = lease.job_start(job_id=job.pk, worker="gpu1@b:20")
    assert taken is not None and taken.attempts == 2 and taken.lease_owner == "gpu1@b:20"


@pytest.mark.django_db
def test_it_leaves_a_live_lease_to_another_process_of_the_same_name(job: Any):
    """Two workers started with the same -n are two processes: neither takes the other's job."""
    lease.job_start(job_id=job.pk, worker="gpu0@a:10:boot-1")
    assert lease.job_start(job_id=job.pk, worker="gpu0@a:11:boot-2") is None
    assert lease.job_start(job_id=job.pk, worker="gpu0@a:10:boot-3") is None  # same pid, new boot
    assert lease.jobs_recover_stalled() == []
    job.refresh_from_db()
    assert (job.lease_owner, job.attempts) == ("gpu0@a:10:boot-1", 1)


@pytest.mark.django_db
def test_a_worker_name_tells_this_process_and_boot_apart():
    """The lease owner's name is the node name, the process id and a token drawn at this boot."""
    name = lease.worker_name("gpu0@a")
    node, pid, boot = name.split(":")
    assert (node, pid) == ("gpu0@a", str(os.getpid())) and len(boot) >= 8
    assert lease.worker_name("gpu0@a") == name


def _expire(job: Any) -> None:
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_it_fails_a_job_after_the_last_attempt(job: Any, settings: Any):
    """A job whose worker died on every attempt fails with the reason, instead of looping."""
    settings.JOB_MAX_ATTEMPTS = 2
    lease.job_start(job_id=job.pk, worker="gpu0@a:10:b1")
    _expire(job)
    lease.job_start(job_id=job.pk, worker="gpu0@a:11:b2")
    _expire(job)
    assert lease.job_start(job_id=job.pk, worker="gpu0@a:12:b3") is None
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped unexpectedly 2 times" in job.error


@pytest.mark.django_db
def test_the_sweep_requeues_a_stalled_job(job: Any, no_queue, django_capture_on_commit_callbacks):
    """The periodic sweep puts a job with a dead lease back on its queue."""
    lease.job_start(job_id=job.pk, worker="gpu0@a:10")
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    no_queue.reset_mock()
    with django_capture_on_commit_callbacks(execute=True):
        assert lease.jobs_recover_stalled() == [job.pk]
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    no_queue.assert_called_once_with(args=(job.pk,), queue="cpu", retry=False)


@pytest.mark.django_db
def test_the_sweep_leaves_a_live_lease_alone(job: Any):
    """A job whose worker keeps renewing its lease is not touched."""
    lease.job_start(job_id=job.pk, worker="gpu0@a:10")
    assert lease.jobs_recover_stalled() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_start_a_job_once(job: Any):
    """Two workers that receive the same job at the same moment: exactly one runs it.

    On PostgreSQL this is select_for_update's row lock; SQLite serialises the writes itself.
    """
    barrier = threading.Barrier(4)
    started: list[Any] = []

    def deliver(n: int) -> None:
        barrier.wait()
        try:
            started.append(lease.job_start(job_id=job.pk, worker=f"gpu{n}@host{n}:1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([s for s in started if s is not None]) == 1
    job.refresh_from_db()
    assert job.attempts == 1


def _stalled_shared_message(
    workspace: Any, user: Any, asset: Any, camera_params: Any, no_queue: Any, capture: Any
) -> list[Job]:
    """Three rows sent in one message; a worker took the first and died."""
    from studio import queueing, services

    jobs = [
        services.jobs.job_submit(workspace=workspace, user=user, params=camera_params, image=asset)
        for _ in range(3)
    ]
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(
        overlays={"title": {"text": "Hello"}}, generation_key="same-footage"
    )
    with capture(execute=True):
        queueing.enqueue_shared(list(Job.objects.filter(pk__in=[j.pk for j in jobs])))
    no_queue.together.assert_called_once()
    lease.job_start(job_id=jobs[0].pk, worker="gpu0@a:10:b1")
    _expire(jobs[0])
    no_queue.reset_mock()
    no_queue.together.reset_mock()
    return jobs


@pytest.mark.django_db
def test_the_sweep_resends_the_unstarted_rows_of_a_stalled_shared_message(
    workspace: Any,
    user: Any,
    asset: Any,
    camera_params: Any,
    no_queue: Any,
    django_capture_on_commit_callbacks: Any,
):
    """A worker died on the first row of a batch message: the rows it never started are sent
    again at once (with the stalled row), instead of waiting hours for the broker to redeliver."""
    capture = django_capture_on_commit_callbacks
    jobs = _stalled_shared_message(workspace, user, asset, camera_params, no_queue, capture)
    with capture(execute=True):
        assert lease.jobs_recover_stalled() == [jobs[0].pk]
    no_queue.together.assert_called_once_with(
        args=([j.pk for j in jobs],), queue="cpu", retry=False
    )


@pytest.mark.django_db
def test_the_sweep_resends_the_unstarted_rows_when_the_stalled_one_fails(
    workspace: Any,
    user: Any,
    asset: Any,
    camera_params: Any,
    no_queue: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
):
    """The stalled row is out of attempts and fails; the rows never started are still sent."""
    settings.JOB_MAX_ATTEMPTS = 1
    capture = django_capture_on_commit_callbacks
    jobs = _stalled_shared_message(workspace, user, asset, camera_params, no_queue, capture)
    with capture(execute=True):
        assert lease.jobs_recover_stalled() == [jobs[0].pk]
    assert Job.objects.get(pk=jobs[0].pk).status == Job.Status.FAILED
    no_queue.together.assert_called_once_with(
        args=([j.pk for j in jobs[1:]],), queue="cpu", retry=False
    )
