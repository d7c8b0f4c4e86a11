"""Webhook events, endpoints and deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from studio.models.workspaces import Workspace


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint can be told about: the one list of event names."""

    JOB_SUCCEEDED = "job.succeeded", "A video is ready"
    JOB_FAILED = "job.failed", "A job failed"
    BATCH_FINISHED = "batch.finished", "A batch's last row ended"
    STORYBOARD_FINISHED = "storyboard.finished", "A storyboard is assembled"
    VIDEO_SHARED = "video.shared", "A video was shared"
    VIDEO_APPROVED = "video.approved", "A video was approved"


class WebhookEndpoint(models.Model):
    """An address outside the studio that is sent the workspace's events, signed with its
    secret (see studio/worker/webhooks.py). The secret is stored as it is, since the server
    signs with it; it is shown once, when the endpoint is made."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # names from WebhookEvent
    secret = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: its body, and how its attempts went.

    The row is the truth: a delivery whose message was lost is pending with a next try in
    the past, and the due-deliveries sweep sends it again."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # refused by the receiver (a 4xx, a redirect) or by the address guard
        GIVEN_UP = "given-up"  # retried for WEBHOOK_RETRY_HOURS without an answer

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=64)  # the body's "id": the same for every endpoint
    payload = models.JSONField()  # the body: {id, type, created, workspace, data}
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_tried_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Retries stop WEBHOOK_RETRY_HOURS after this: the first send, or the last "Send again".
    sending_since = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # An event is recorded once per endpoint, however many workers see it happen.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="one_delivery_per_event_and_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"
