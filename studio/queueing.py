"""Sending jobs to the workers, and sending again the ones whose message was lost.

Tasks are sent by name, so nothing here (or anywhere) imports studio.tasks; a worker
registers them. A broker that is down leaves the job queued and unsent, to be sent later.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from studio.celery import app
from studio.engines import engine_settings
from studio.live import broadcast_state
from studio.models import Job, Workspace

logger = logging.getLogger(__name__)

QUEUES = ("cpu", "gpu-small", "gpu-large")  # the built-in engines' queues
RUN_JOB = "studio.tasks.run_job"  # one job
RUN_JOBS = "studio.tasks.run_jobs"  # jobs that share one generation request, made once
BUILD_ARCHIVE = "studio.tasks.build_batch_archive"  # a batch's ZIP of videos
ARCHIVE_QUEUE = "cpu"  # reading and writing files: any CPU worker
MAKE_EXPORT = "studio.tasks.make_export"  # a video in another format, on ARCHIVE_QUEUE
RECOVER_STALLED = "studio.tasks.recover_stalled_jobs"  # the sweep, on settings.CONTROL_QUEUE
DELIVER_WEBHOOK = "studio.tasks.deliver_webhook"  # one attempt, on settings.WEBHOOK_QUEUE
SEND_DUE_WEBHOOKS = "studio.tasks.send_due_webhooks"  # lost deliveries, on the control queue


def send_task(
    name: str, *, args: tuple[Any, ...], queue: str, retry: bool, countdown: float | None = None
) -> Any:
    """Send a task by its name (the worker knows the function); returns Celery's result."""
    if countdown:
        return app.send_task(name, args=args, queue=queue, retry=retry, countdown=countdown)
    return app.send_task(name, args=args, queue=queue, retry=retry)


def enqueue(job_id: int, queue: str) -> None:
    """Send the job's message. If the broker is down the job stays queued, unsent, and
    jobs_requeue_lost sends it once the broker answers again."""
    try:
        result = send_task(RUN_JOB, args=(job_id,), queue=queue, retry=False)
    except Exception:  # kombu raises many kinds of connection error
        logger.warning("job %s: the queue is unreachable; it will be sent later", job_id)
        Job.objects.filter(pk=job_id).update(stage="waiting for the queue")
        return
    Job.objects.filter(pk=job_id).update(celery_task_id=result.id, enqueued_at=timezone.now())


def send_on_commit(job: Job) -> None:
    """Once the transaction commits, announce the job, then send it to its queue (or, when
    it is held for fair share, send its workspace's next jobs while it has room).

    Announced first: once queued, a worker may report it running at any moment, and a late
    "queued" message would then show a stale state."""

    def announce_and_enqueue() -> None:
        broadcast_state(job)
        if job.held:
            release(workspace_id=job.workspace_id, queue=job.queue)
        else:
            enqueue(job.pk, job.queue)

    transaction.on_commit(announce_and_enqueue)


def archive_send_on_commit(archive_id: int) -> None:
    """Ask a worker to build a batch's ZIP once the row asking for it is committed."""
    transaction.on_commit(
        lambda: send_task(BUILD_ARCHIVE, args=(archive_id,), queue=ARCHIVE_QUEUE, retry=True)
    )


def export_send_on_commit(export_id: int) -> None:
    """Ask a CPU worker to make an export once the row asking for it is committed."""
    transaction.on_commit(
        lambda: send_task(MAKE_EXPORT, args=(export_id,), queue=ARCHIVE_QUEUE, retry=True)
    )


def webhook_enqueue(delivery_id: int, *, countdown: float = 0.0) -> None:
    """Send a webhook delivery's attempt, now or in ``countdown`` seconds. A broker that is
    down leaves the row pending, and the due-deliveries sweep sends it later."""
    try:
        send_task(
            DELIVER_WEBHOOK,
            args=(delivery_id,),
            queue=settings.WEBHOOK_QUEUE,
            retry=False,
            countdown=max(0.0, countdown),
        )
    except Exception:  # kombu raises many kinds of connection error
        logger.warning("webhook delivery %s: the queue is unreachable; sent later", delivery_id)


SHARED_MESSAGE_JOBS = 100  # at most this many jobs in one message, so other workers can help


def enqueue_shared(jobs: list[Job]) -> None:
    """Send jobs whose generation request is the same (rows of a batch that differ only in
    their overlays) in one message each, so one worker makes the footage once and draws every
    row's overlays on it; other jobs go one per message."""
    groups: dict[tuple[str, str], list[int]] = {}
    for job in jobs:
        key = job.generation_key if job.overlays and job.generation_key else f"job-{job.pk}"
        groups.setdefault((job.queue, key), []).append(job.pk)
    for (queue, _), ids in groups.items():
        for start in range(0, len(ids), SHARED_MESSAGE_JOBS):
            chunk = ids[start : start + SHARED_MESSAGE_JOBS]
            if len(chunk) == 1:
                enqueue(chunk[0], queue)
            else:
                _enqueue_together(chunk, queue)


def send_all(jobs: list[Job]) -> None:
    """Send new jobs (a batch's rows) now: the held ones by their workspace's turn, the
    others at once, those that share footage together (enqueue_shared)."""
    for workspace_id, queue in sorted({(job.workspace_id, job.queue) for job in jobs if job.held}):
        release(workspace_id=workspace_id, queue=queue)
    enqueue_shared([job for job in jobs if not job.held])


# Fair share between workspaces ----------------------------------------------------------------
# Workers take messages in the order they were sent, one at a time. If a batch sent all its
# rows at once, another workspace's job would wait behind every one of them. So a workspace's
# new jobs are stored held, and a workspace has at most FAIR_SHARE_IN_FLIGHT messages per queue
# sent and unfinished; when one finishes, its worker sends that workspace's next (release). A
# job of a workspace with nothing in flight is sent at once, and so waits for at most the
# messages ahead of it: about one per busy workspace.


def holding() -> bool:
    """Whether new jobs are held for their workspace's turn (FAIR_SHARE), not sent at once."""
    return bool(settings.FAIR_SHARE)


def release(*, workspace_id: int, queue: str) -> list[int]:
    """Send the workspace's next held jobs on ``queue`` while it has fewer messages in flight
    than FAIR_SHARE_IN_FLIGHT; returns the ids sent. Rows that share footage go in one
    message, as enqueue_shared sends them."""
    active = Job.objects.filter(
        workspace_id=workspace_id, queue=queue, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
    )
    messages: list[list[int]] = []
    with transaction.atomic():
        # One release of a workspace at a time, so two workers finishing at once cannot both
        # fill the same free place (the quota checks take the same lock).
        Workspace.objects.select_for_update().filter(pk=workspace_id).first()
        sent = active.filter(held=False).values_list("pk", "celery_task_id")
        in_flight = len({task_id or f"job-{pk}" for pk, task_id in sent})
        held = active.filter(held=True).order_by("pk")
        picked: list[int] = []
        for _ in range(settings.FAIR_SHARE_IN_FLIGHT - in_flight):
            first = held.exclude(pk__in=picked).only("pk", "overlays", "generation_key").first()
            if first is None:
                break
            message = [first.pk]
            if first.overlays and first.generation_key:
                same = held.filter(generation_key=first.generation_key).exclude(overlays={})
                same = same.exclude(pk__in=picked)
                message = list(same.values_list("pk", flat=True)[:SHARED_MESSAGE_JOBS])
            messages.append(message)
            picked.extend(message)
        Job.objects.filter(pk__in=picked).update(held=False)
    for message in messages:
        if len(message) == 1:
            enqueue(message[0], queue)
        else:
            _enqueue_together(message, queue)
    return [pk for message in messages for pk in message]


def release_after(job_ids: list[int]) -> None:
    """A worker is done with a message of these jobs: send their workspaces' next ones."""
    pairs = Job.objects.filter(pk__in=job_ids).values_list("workspace_id", "queue").distinct()
    for workspace_id, queue in sorted(set(pairs)):
        release(workspace_id=workspace_id, queue=queue)


def release_all() -> list[int]:
    """Send what every workspace has room for: for the sweep, in case a worker died before
    releasing, or a held job's place was freed by a cancel."""
    pairs = (
        Job.objects.filter(status=Job.Status.QUEUED, held=True)
        .values_list("workspace_id", "queue")
        .distinct()
    )
    sent: list[int] = []
    for workspace_id, queue in sorted(set(pairs)):
        sent += release(workspace_id=workspace_id, queue=queue)
    return sent


def _enqueue_together(job_ids: list[int], queue: str) -> None:
    try:
        result = send_task(RUN_JOBS, args=(job_ids,), queue=queue, retry=False)
    except Exception:  # as in enqueue: jobs_requeue_lost sends them later, one by one
        logger.warning("jobs %s..: the queue is unreachable; they will be sent later", job_ids[0])
        Job.objects.filter(pk__in=job_ids).update(stage="waiting for the queue")
        return
    Job.objects.filter(pk__in=job_ids).update(celery_task_id=result.id, enqueued_at=timezone.now())


def jobs_requeue_lost(*, in_broker: set[str] | None, grace_seconds: float = 30) -> list[int]:
    """Send again the queued jobs whose message is gone.

    A message is gone when it was never sent (the broker was down) or, where the broker can
    be inspected (``in_broker`` holds the task ids it has queued or in flight), when it is not
    there: a Redis that restarted without persistence forgets its queues. The grace period
    covers a message that is being sent or taken right now. A job sent twice still runs once
    (see job_start).
    """
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    stale = Job.objects.filter(status=Job.Status.QUEUED, held=False, created_at__lte=cutoff)
    resent: list[int] = []
    for job in stale.only("pk", "queue", "celery_task_id", "enqueued_at"):
        never_sent = job.enqueued_at is None
        lost = (
            in_broker is not None
            and job.enqueued_at is not None
            and (job.enqueued_at <= cutoff and job.celery_task_id not in in_broker)
        )
        if never_sent or lost:
            enqueue(job.pk, job.queue)
            resent.append(job.pk)
    return resent


def job_queues() -> set[str]:
    """Every queue a job may wait on: the built-in ones, those the operator's REELSMITH_MODELS
    names, and any a queued job still names (an engine since removed from the settings)."""
    queued = Job.objects.filter(status=Job.Status.QUEUED).values_list("queue", flat=True)
    return {*QUEUES, *engine_settings().queues.values(), *queued.distinct()}


def broker_task_ids() -> set[str] | None:
    """The ids of the tasks a Redis broker holds, queued or delivered and not yet acknowledged.

    None for other brokers, whose queues are durable. This reads kombu's Redis layout: one
    list per queue, and the "unacked" hash of messages in flight.
    """
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = redis.Redis.from_url(url)
    raw: list[bytes | str] = []
    for queue in job_queues():
        raw.extend(client.lrange(queue, 0, -1))
    ids = {json.loads(message)["headers"]["id"] for message in raw}
    for entry in client.hvals("unacked"):
        message = json.loads(entry)[0]
        ids.add(message["headers"]["id"])
    return ids
