"""Celery tasks: thin adapters that load by id and call studio.worker. Nothing imports this
module: studio.queueing sends its tasks by name, and a worker registers them."""

from __future__ import annotations

import os
from typing import Any

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.db import InterfaceError, OperationalError

from studio import queueing, services
from studio.worker import archive, cleanup, exports, lease, run, storyboard, webhooks


@shared_task(
    bind=True,
    name=queueing.RUN_JOB,
    # A database that is briefly unreachable must not leave the job queued forever.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def run_job(self: Any, job_id: int) -> None:
    run.job_run(job_id=job_id, worker=lease.worker_name(self.request.hostname))
    queueing.release_after([job_id])  # fair share: the workspace's next job takes its place


@shared_task(
    bind=True,
    name=queueing.RUN_JOBS,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def run_jobs(self: Any, job_ids: list[int]) -> None:
    """Jobs that share one generation request, made once (see studio.worker.run.jobs_run)."""
    run.jobs_run(job_ids=job_ids, worker=lease.worker_name(self.request.hostname))
    queueing.release_after(job_ids)


@shared_task(name=queueing.RECOVER_STALLED)
def recover_stalled_jobs() -> None:
    """The sweep, sent by beat to the control queue (see CELERY_BEAT_SCHEDULE)."""
    lease.jobs_recover_stalled()
    queueing.jobs_requeue_lost(in_broker=queueing.broker_task_ids())
    queueing.release_all()
    storyboard.renders_recover()


@shared_task(
    name=queueing.BUILD_ARCHIVE,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def build_batch_archive(archive_id: int) -> None:
    archive.archive_build(archive_id=archive_id)


@shared_task(
    name=queueing.MAKE_EXPORT,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def make_export(export_id: int) -> None:
    exports.export_make(export_id=export_id)


@shared_task(
    name=queueing.DELIVER_WEBHOOK,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt at a webhook delivery; its retries are queued by the attempt itself."""
    webhooks.delivery_attempt(delivery_id=delivery_id)


@shared_task(name=queueing.SEND_DUE_WEBHOOKS)
def send_due_webhooks() -> None:
    """Deliveries whose message was lost, sent again: beat sends this to the control queue."""
    webhooks.deliveries_send_due()


@shared_task(name="studio.tasks.sweep_leftovers")
def sweep_leftovers() -> None:
    cleanup.media_sweep()
    cleanup.temp_folders_sweep()
    services.api_tokens.idempotency_expired_delete()


@worker_init.connect
def _limit_torch_threads(**kwargs: Any) -> None:
    # Two threads fighting over two cores run many times slower than one; GPU workers barely
    # use CPU threads. REELSMITH_TORCH_THREADS overrides.
    import torch

    threads = os.environ.get("REELSMITH_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    elif not torch.cuda.is_available():
        torch.set_num_threads(1)


@worker_ready.connect
def _recover_after_restart(sender: Any, **kwargs: Any) -> None:
    """A worker that starts takes back the jobs whose lease lapsed (a killed predecessor's),
    without waiting for the next sweep."""
    lease.jobs_recover_stalled()
    # The periodic sweep runs on one worker; each machine clears its own folders on start.
    cleanup.temp_folders_sweep()
