"""A job's lease: which worker runs it, for how long, and what becomes of it when that worker
is gone (queued again, or failed once its attempts are spent).
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio.live import broadcast_state
from studio.models import Job
from studio.queueing import enqueue_shared
from studio.worker import webhooks

# Drawn once per process: a restarted container may get the same pid, and two workers may be
# started with the same -n; the token tells every boot of every process apart.
_BOOT = uuid.uuid4().hex[:12]


def worker_name(node: str) -> str:
    """The name a lease is held under: the Celery node name, the process id, this boot."""
    return f"{node}:{os.getpid()}:{_BOOT}"


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead); stop and write nothing."""


def job_start(*, job_id: int, worker: str) -> Job | None:
    """Take the lease on a job, or return None when this delivery must not run it.

    A message can arrive twice (a worker died before acknowledging it, or the stalled-job
    sweep queued it again). Only a delivery that finds the job queued, or running under a
    lease that is no longer held, may run it.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        decision = take_lease(job, worker=worker, now=timezone.now())
        if decision is None:
            return None
        job.save()
    broadcast_state(job)
    return job if decision == "run" else None


def take_lease(job: Job, *, worker: str, now: Any) -> str | None:
    """Decide what a delivery does with a job locked for update, changing it (unsaved):
    "run" (leased to ``worker``), "ended" (cancelled, or out of attempts) or None (another
    worker holds it, or it is over)."""
    if job.is_final:
        return None
    if job.status == Job.Status.RUNNING and not _lease_is_dead(job, now=now):
        return None
    if job.cancel_requested:
        mark_final(job, Job.Status.CANCELLED, stage="cancelled")
        return "ended"
    if job.attempts >= settings.JOB_MAX_ATTEMPTS:
        fail_out_of_attempts(job)
        return "ended"
    job.status = Job.Status.RUNNING
    job.stage = "starting"
    job.attempts += 1
    job.lease_owner = worker
    job.lease_expires_at = now + timedelta(seconds=settings.JOB_LEASE_SECONDS)
    job.started_at = now
    job.progress_step = job.progress_total = 0
    job.eta_seconds = None
    return "run"


def _lease_is_dead(job: Job, *, now: Any) -> bool:
    # Only a lapsed lease means its worker is gone: a live worker's heartbeat keeps it fresh,
    # and a name says nothing (two processes may be started with the same -n).
    return job.lease_expires_at is None or job.lease_expires_at <= now


LEASE_FIELDS = [
    "status",
    "stage",
    "error",
    "attempts",
    "lease_owner",
    "lease_expires_at",
    "started_at",
    "finished_at",
    "progress_step",
    "progress_total",
    "eta_seconds",
]


def job_end(job_id: int, worker: str, status: str, *, stage: str, error: str = "") -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.is_final or job.lease_owner != worker:
            return
        mark_final(job, status, stage=stage, error=error)
        job.save()
    broadcast_state(job)


def mark_final(job: Job, status: str, *, stage: str, error: str = "") -> None:
    job.status = status
    job.stage = stage
    job.error = error
    job.eta_seconds = None
    job.lease_expires_at = None
    job.finished_at = timezone.now()
    # Every final state passes here, in the transaction that saves it: the webhook events
    # are recorded with it, and sent once it commits.
    webhooks.job_ended(job)


def fail_out_of_attempts(job: Job) -> None:
    reason = (
        f"The worker making this video stopped unexpectedly {job.attempts} times; "
        "the job was not retried again."
    )
    mark_final(job, Job.Status.FAILED, stage="failed", error=reason)


def jobs_recover_stalled() -> list[int]:
    """Queue again (or fail) running jobs whose worker is gone: their lease ran out without
    renewal (a live worker's heartbeat renews it every third of a lease)."""
    now = timezone.now()
    recovered: list[int] = []
    for job_id in Job.objects.filter(status=Job.Status.RUNNING).values_list("pk", flat=True):
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            if job.status != Job.Status.RUNNING or not _lease_is_dead(job, now=now):
                continue
            if job.cancel_requested:
                mark_final(job, Job.Status.CANCELLED, stage="cancelled")
            elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
                fail_out_of_attempts(job)
            else:
                _requeue(job)
            job.save()
            resend = ([job] if job.status == Job.Status.QUEUED else []) + _unstarted_rows(job)
            if resend:
                transaction.on_commit(lambda jobs=resend: enqueue_shared(jobs))  # type: ignore[misc]
        recovered.append(job.pk)
        broadcast_state(job)
    return recovered


def _requeue(job: Job) -> None:
    job.status = Job.Status.QUEUED
    job.stage = "queued again after a worker stopped"
    job.lease_owner = ""
    job.lease_expires_at = None


def _unstarted_rows(job: Job) -> list[Job]:
    """The other jobs of a stalled job's message that never started, to be sent again now.

    A batch message carries many rows; the broker gives a dead worker's message back only after
    its visibility timeout (hours). Should that old message come back later, its rows are over
    or leased, and it runs nothing twice.
    """
    if not job.celery_task_id:
        return []
    rows = Job.objects.filter(status=Job.Status.QUEUED, celery_task_id=job.celery_task_id)
    return list(rows.exclude(pk=job.pk).order_by("pk"))
