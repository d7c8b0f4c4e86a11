"""Webhook events: recorded as deliveries, one per subscribed endpoint, and sent, signed, by
the deliver_webhook task on the webhooks queue, with retries on a schedule defined here.

An event is recorded in the transaction that makes it happen (a job's final write), so it is
sent if and only if that commits. Each delivery row holds its own state: a worker that dies
mid-attempt, or a message the broker lost, leaves a pending row whose next try has passed,
and the due-deliveries sweep sends it again. A message that arrives twice is harmless: an
attempt first claims the row, and a second message finds it claimed or done.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from studio import queueing, selectors, webhooks_guard
from studio.models import Batch, Job, Video, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Reelsmith-Signature"
EVENT_HEADER = "Reelsmith-Event"
DELIVERY_HEADER = "Reelsmith-Delivery"
USER_AGENT = "Reelsmith-Webhooks/1"

# The retry schedule: the n-th retry waits RETRY_BASE_SECONDS * 2**(n-1), at most
# RETRY_MAX_SECONDS, give or take RETRY_JITTER (so endpoints that fail together do not retry
# in lockstep), until WEBHOOK_RETRY_HOURS after the first attempt.
RETRY_BASE_SECONDS = 30.0
RETRY_MAX_SECONDS = 2 * 3600.0
RETRY_JITTER = 0.25  # a fraction of the delay, either way

CLAIM_SECONDS = 60.0  # an attempt holds its row this long: well over WEBHOOK_TIMEOUT_SECONDS
DUE_SLACK_SECONDS = 2.0  # a countdown message may fire a little before its row says (clocks)
SWEEP_GRACE_SECONDS = 30.0  # overdue by this much, a delivery's message is presumed lost


# Recording events ------------------------------------------------------------------------------


def event_record(
    *,
    workspace_id: int,
    event: str,
    data: dict[str, Any],
    event_id: str = "",
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Record one delivery of the event per active endpoint of the workspace that subscribed
    to it, and send each once the transaction commits."""
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}.")
    if endpoints is None:
        endpoints = list(WebhookEndpoint.objects.filter(workspace_id=workspace_id, active=True))
    subscribed = [endpoint for endpoint in endpoints if event in endpoint.events]
    if not subscribed:
        return []
    now = timezone.now()
    event_id = event_id or f"evt_{uuid.uuid4().hex}"
    body = {
        "id": event_id,
        "type": event,
        "created": int(now.timestamp()),
        "workspace": workspace_id,
        "data": data,
    }
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            event_id=event_id,
            payload=body,
            next_try_at=now,
            sending_since=now,
        )
        for endpoint in subscribed
    ]
    ids = [delivery.pk for delivery in deliveries]

    def send() -> None:
        for pk in ids:
            queueing.webhook_enqueue(pk)

    transaction.on_commit(send)
    return deliveries


def job_ended(job: Job) -> None:
    """A job reached its final state (lease.mark_final, inside the transaction that saves it):
    job.succeeded or job.failed to the endpoints that want it, and a check, once committed,
    whether it was its batch's last row."""
    if job.mode == Job.Mode.STORYBOARD_SCENE:  # a part of a storyboard, told as a whole
        return
    endpoints = list(WebhookEndpoint.objects.filter(workspace_id=job.workspace_id, active=True))
    if not endpoints:
        return
    events: dict[str, str] = {
        Job.Status.SUCCEEDED: WebhookEvent.JOB_SUCCEEDED,
        Job.Status.FAILED: WebhookEvent.JOB_FAILED,
    }
    event = events.get(job.status)
    if event is not None:
        event_record(
            workspace_id=job.workspace_id, event=event, data=job_data(job), endpoints=endpoints
        )
    if any(WebhookEvent.BATCH_FINISHED in endpoint.events for endpoint in endpoints):
        batch_ids = list(job.batch_rows.values_list("batch_id", flat=True))
        for batch_id in batch_ids:
            transaction.on_commit(lambda batch_id=batch_id: batch_check_finished(batch_id))  # type: ignore[misc]


def job_data(job: Job) -> dict[str, Any]:
    """What a job event says about the job: its video's files as paths of the studio's
    download views (fetched with a member's session or, through the API, a token)."""
    video = _video(job) if job.status == Job.Status.SUCCEEDED else None
    return {
        "id": job.pk,
        "status": job.status,
        "mode": job.mode,
        "prompt": job.prompt,
        "failure_reason": job.failure_reason if job.status == Job.Status.FAILED else "",
        "page": reverse("job_detail", args=[job.workspace_id, job.pk]),
        "video": None
        if video is None
        else {
            "mp4": reverse("video_download", args=[job.workspace_id, job.pk]),
            "poster": selectors.file_url(video.poster.name),
            "captions": selectors.file_url(video.captions.name) if video.captions else None,
            "width": video.width,
            "height": video.height,
            "duration": video.duration,
        },
    }


def _video(job: Job) -> Video | None:
    # Rows of a shared batch message save their videos just after their jobs end, and set
    # job.video for this (worker.shared); a single job's is saved before (worker.store).
    try:
        return job.video
    except Video.DoesNotExist:
        return None


def batch_check_finished(batch_id: int) -> list[WebhookDelivery]:
    """batch.finished once every row of the batch has a job that ended. Two workers ending
    the last two rows at once both check; the batch's lock and the event's id (the same for
    the same round of rows: retrying failed rows starts another) make it one event."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status == Batch.Status.DRAFT:
            return []
        rows = list(batch.rows.select_related("job"))
        if not rows or any(row.job is None or not row.job.is_final for row in rows):
            return []
        event_id = f"evt_batch_{batch.pk}_{sum(row.attempts for row in rows)}"
        if WebhookDelivery.objects.filter(
            endpoint__workspace_id=batch.workspace_id, event_id=event_id
        ).exists():
            return []
        counts = {status: 0 for status in Job.FINAL_STATUSES}
        for row in rows:
            assert row.job is not None
            counts[row.job.status] += 1  # type: ignore[index]
        data = {
            "id": batch.pk,
            "status": batch.status,
            "rows": len(rows),
            **{str(status): count for status, count in counts.items()},
            "page": reverse("batch_detail", args=[batch.workspace_id, batch.pk]),
            "results_csv": reverse("batch_results", args=[batch.workspace_id, batch.pk]),
        }
        return event_record(
            workspace_id=batch.workspace_id,
            event=WebhookEvent.BATCH_FINISHED,
            data=data,
            event_id=event_id,
        )


# Sending ---------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Reelsmith-Signature header's value: t=<unix seconds>,v1=<HMAC-SHA256 hex>, over
    "<t>.<raw body>", as Stripe signs its webhooks."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempt: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the ``attempt``-th failed attempt (1, 2, ...), with jitter."""
    nominal = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return nominal * (1 - RETRY_JITTER + 2 * RETRY_JITTER * rng())


def retry_schedule() -> list[float]:
    """The nominal waits between attempts, without jitter, within WEBHOOK_RETRY_HOURS."""
    waits: list[float] = []
    while sum(waits) + (wait := retry_delay(len(waits) + 1, rng=lambda: 0.5)) <= (
        settings.WEBHOOK_RETRY_HOURS * 3600
    ):
        waits.append(wait)
    return waits


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Send a pending delivery that is due, and record how it went: succeeded; failed (a 4xx
    other than 429, a redirect, an address the guard refuses); or, on a timeout, a connection
    error, a 429 or a 5xx, pending with its next try (given up once past the retry window).
    Returns None when this message has nothing to do (done, or another attempt's turn)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None
        due = delivery.next_try_at is None or delivery.next_try_at <= now + timedelta(
            seconds=DUE_SLACK_SECONDS
        )
        if not due:
            return None
        delivery.attempts += 1
        delivery.last_tried_at = now
        # Claimed: a second message now finds it not due; a worker that dies here leaves it
        # to the sweep once the claim has passed.
        delivery.next_try_at = now + timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "last_tried_at", "next_try_at"])
    status_code, duration_ms, error, retry, asked_wait = _send(delivery, now=now)
    delivery.last_status_code = status_code
    delivery.last_duration_ms = duration_ms
    delivery.last_error = error
    if not retry:
        delivery.status = (
            WebhookDelivery.Status.SUCCEEDED if not error else WebhookDelivery.Status.FAILED
        )
        delivery.next_try_at = None
    else:
        # A receiver's Retry-After is honoured, up to the schedule's longest wait.
        wait = max(retry_delay(delivery.attempts), min(asked_wait or 0.0, RETRY_MAX_SECONDS))
        window_ends = delivery.sending_since + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        if now + timedelta(seconds=wait) > window_ends:
            delivery.status = WebhookDelivery.Status.GIVEN_UP
            delivery.next_try_at = None
        else:
            delivery.next_try_at = now + timedelta(seconds=wait)
    fields = ["status", "last_status_code", "last_duration_ms", "last_error", "next_try_at"]
    # Only if no "Send again" came in meanwhile (it starts the delivery over).
    changed = WebhookDelivery.objects.filter(
        pk=delivery.pk, attempts=delivery.attempts, status=WebhookDelivery.Status.PENDING
    ).update(**{field: getattr(delivery, field) for field in fields})
    if changed and delivery.status == WebhookDelivery.Status.PENDING:
        assert delivery.next_try_at is not None
        countdown = (delivery.next_try_at - now).total_seconds()
        queueing.webhook_enqueue(delivery.pk, countdown=countdown)
    return delivery


def _send(
    delivery: WebhookDelivery, *, now: datetime
) -> tuple[int | None, int | None, str, bool, float | None]:
    """POST the delivery; returns (status code, duration ms, error, whether to retry, the
    receiver's Retry-After)."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(delivery.endpoint.secret, int(now.timestamp()), body),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
    }
    try:
        answer = webhooks_guard.post(delivery.endpoint.url, body=body, headers=headers)
    except webhooks_guard.Refused as exc:
        return None, None, str(exc), False, None
    except webhooks_guard.DeliveryError as exc:
        return None, None, str(exc), True, None
    code = answer.status
    said = answer.body.decode("utf-8", "replace").strip()[:300]
    if 200 <= code < 300:
        return code, answer.duration_ms, "", False, None
    if code == 429 or code >= 500:
        error = f"HTTP {code}: {said}".rstrip(": ")
        return code, answer.duration_ms, error, True, answer.retry_after
    if 300 <= code < 400:
        error = f"HTTP {code}: the receiver answered with a redirect, which is not followed."
        return code, answer.duration_ms, error, False, None
    return code, answer.duration_ms, f"HTTP {code}: {said}".rstrip(": "), False, None


def deliveries_send_due(*, now: datetime | None = None) -> list[int]:
    """Send again the pending deliveries whose next try is well past: their message was lost
    (a broker restart, a worker killed mid-attempt). The periodic sweep on the control queue."""
    cutoff = (now or timezone.now()) - timedelta(seconds=SWEEP_GRACE_SECONDS)
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_try_at__lte=cutoff
    ).values_list("pk", flat=True)
    ids = list(due[:1000])
    for pk in ids:
        queueing.webhook_enqueue(pk)
    return ids
