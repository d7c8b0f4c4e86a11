"""Reads of webhook endpoints and deliveries."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from studio.models import WebhookDelivery, WebhookEndpoint, Workspace

# Webhooks -----------------------------------------------------------------------------------


def webhook_endpoint_list(*, workspace: Workspace) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(workspace=workspace).annotate(
        delivery_count=Count("deliveries"),
        failing_count=Count(
            "deliveries",
            filter=Q(
                deliveries__status__in=[
                    WebhookDelivery.Status.FAILED,
                    WebhookDelivery.Status.GIVEN_UP,
                ]
            ),
        ),
    )


def webhook_endpoint_get(*, workspace: Workspace, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(workspace=workspace, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


def webhook_delivery_list(
    *, endpoint: WebhookEndpoint, limit: int = 100
) -> QuerySet[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first, for its delivery log."""
    return endpoint.deliveries.all()[:limit]


def webhook_delivery_get(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(endpoint__workspace=workspace, pk=delivery_id)
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery
