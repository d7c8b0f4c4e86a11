"""Celery tasks: load by id, call a service. Queued with transaction.on_commit by the services."""

from __future__ import annotations

import json
import os
from typing import Any

import redis
from celery import current_app, shared_task
from celery.signals import worker_init, worker_ready
from django.db import InterfaceError, OperationalError

from studio import services

QUEUES = ("cpu", "gpu-small", "gpu-large")


@shared_task(
    bind=True,
    name="studio.tasks.run_job",
    # A database that is briefly unreachable must not leave the job queued forever.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def run_job(self: Any, job_id: int) -> None:
    # The process id tells this run apart from an earlier, killed process of the same worker.
    services.job_run(job_id=job_id, worker=f"{self.request.hostname}:{os.getpid()}")


@shared_task(
    bind=True,
    name="studio.tasks.run_jobs",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=8,
)
def run_jobs(self: Any, job_ids: list[int]) -> None:
    """Jobs that share one generation request, made once (see services.jobs_run)."""
    services.jobs_run(job_ids=job_ids, worker=f"{self.request.hostname}:{os.getpid()}")


@shared_task(name="studio.tasks.recover_stalled_jobs")
def recover_stalled_jobs() -> None:
    services.jobs_recover_stalled()
    services.jobs_requeue_lost(in_broker=broker_task_ids())


def broker_task_ids() -> set[str] | None:
    """The ids of the tasks a Redis broker holds, queued or delivered and not yet acknowledged.

    None for other brokers, whose queues are durable. This reads kombu's Redis layout: one
    list per queue, and the "unacked" hash of messages in flight.
    """
    url = current_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = redis.Redis.from_url(url)
    raw: list[bytes | str] = []
    for queue in QUEUES:
        raw.extend(client.lrange(queue, 0, -1))
    ids = {json.loads(message)["headers"]["id"] for message in raw}
    for entry in client.hvals("unacked"):
        message = json.loads(entry)[0]
        ids.add(message["headers"]["id"])
    return ids


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
    """A worker that starts again takes back the jobs its killed predecessor left running."""
    services.jobs_recover_stalled(restarted_worker=sender.hostname)
