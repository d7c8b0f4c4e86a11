"""Webhook endpoints (where a workspace's events go) and their deliveries.

Only owners manage endpoints; the page and the API check that before calling these. The
sending itself is studio/worker/webhooks.py's, on the webhooks queue.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from studio import queueing, webhooks_guard
from studio.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, Workspace
from studio.worker import webhooks

MAX_ENDPOINTS = 20  # per workspace: each event is sent to every one of them
SECRET_PREFIX = "whsec_"  # noqa: S105  # a prefix that says what the secret is, not a secret


def webhook_endpoint_create(
    *, workspace: Workspace, user: User | None, url: str, events: list[str]
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its signing secret, which is shown only this once.

    The address is checked now as it will be at each delivery (studio/webhooks_guard.py), so
    an owner learns at once that a private address will never be called.
    """
    url = url.strip()
    _check_events(events)
    _check_url(url)
    if WebhookEndpoint.objects.filter(workspace=workspace).count() >= MAX_ENDPOINTS:
        raise ValidationError(
            "A workspace has at most %(max)d webhook endpoints; delete one first.",
            code="too_many_endpoints",
            params={"max": MAX_ENDPOINTS},
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace,
        url=url,
        events=[event for event in WebhookEvent.values if event in events],
        secret=secret,
        created_by=user,
    )
    return endpoint, secret


def _check_events(events: list[str]) -> None:
    if not events:
        raise ValidationError(
            {"events": ValidationError("Pick at least one event.", code="no_events")}
        )
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(
            {
                "events": ValidationError(
                    "Unknown event %(names)s; the events are %(known)s.",
                    code="unknown_event",
                    params={"names": ", ".join(unknown), "known": ", ".join(WebhookEvent.values)},
                )
            }
        )


def _check_url(url: str) -> None:
    def refuse(message: str, code: str) -> ValidationError:
        return ValidationError({"url": ValidationError(message, code=code)})

    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:  # type: ignore[operator]
        raise refuse("The address is too long.", "url_too_long")
    problem = webhooks_guard.url_problem(url)
    if problem:
        raise refuse(problem, "invalid_url")
    try:
        webhooks_guard.target(url)
    except webhooks_guard.Refused as exc:
        raise refuse(str(exc), "address_refused") from None
    except webhooks_guard.DeliveryError as exc:
        raise refuse(str(exc), "host_unresolved") from None


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log; its pending deliveries are not sent."""
    endpoint.delete()


def webhook_event_send(
    *, workspace: Workspace, event: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """Send an event to the workspace's endpoints that subscribed to it, once the current
    transaction commits. Call it in the transaction that makes the event happen."""
    return webhooks.event_record(workspace_id=workspace.pk, event=event, data=data)


def webhook_delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """ "Send again": the same delivery (same id and body, so a receiver that has it already
    can tell), now, with a fresh retry window. A delivery still being retried is left be."""
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise ValidationError(
            "This delivery is still being sent; its next try is shown in the log.",
            code="delivery_pending",
        )
    now = timezone.now()
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
            status=WebhookDelivery.Status.PENDING
        )
        if updated.update(
            status=WebhookDelivery.Status.PENDING, next_try_at=now, sending_since=now
        ):
            transaction.on_commit(lambda: queueing.webhook_enqueue(delivery.pk))
    delivery.refresh_from_db()
    return delivery
