"""The Webhooks page: owners add and delete endpoints and send deliveries again, editors look,
viewers and other workspaces' members get nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from studio import services
from studio.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_allowed(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]


@pytest.fixture
def endpoint(workspace: Any, user: Any) -> WebhookEndpoint:
    endpoint, _ = services.webhooks.webhook_endpoint_create(
        workspace=workspace, user=user, url="http://127.0.0.1:9/hooks", events=["job.succeeded"]
    )
    return endpoint


@pytest.fixture
def failed_delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    [delivery] = services.webhooks.webhook_event_send(
        workspace=endpoint.workspace, event="job.succeeded", data={"id": 1}
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED,
        attempts=1,
        last_status_code=404,
        last_duration_ms=12,
        last_error="HTTP 404: no such hook",
    )
    return delivery


def _member(workspace: Any, django_user_model: Any, role: str) -> Client:
    teammate = django_user_model.objects.create_user(username=role, password="a-long-passphrase")
    services.workspaces.membership_add(workspace=workspace, user=teammate, role=role)
    client = Client()
    client.force_login(teammate)
    return client


def test_the_navigation_links_to_webhooks(member_client, workspace):
    """The workspace's navigation has a Webhooks link."""
    page = member_client.get(reverse("gallery", args=[workspace.pk])).content.decode()
    assert reverse("webhooks", args=[workspace.pk]) in page


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(member_client, workspace):
    """Adding an endpoint opens its page with the secret; a reload no longer shows it."""
    response = member_client.post(
        reverse("webhooks", args=[workspace.pk]),
        {"url": "http://127.0.0.1:9/in", "events": ["job.succeeded", "batch.finished"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == reverse("webhook_detail", args=[workspace.pk, endpoint.pk])
    first = member_client.get(response["Location"]).content.decode()
    assert endpoint.secret in first
    again = member_client.get(response["Location"]).content.decode()
    assert endpoint.secret not in again and "Delivery log" in again
    assert endpoint.events == ["job.succeeded", "batch.finished"]


def test_a_private_address_is_refused_next_to_the_field_and_nothing_is_made(
    member_client, workspace
):
    """The guard's reason shows by the address field; no endpoint is stored."""
    response = member_client.post(
        reverse("webhooks", args=[workspace.pk]),
        {"url": "http://169.254.169.254/latest/", "events": ["job.succeeded"]},
    )
    assert response.status_code == 400
    assert "link-local address" in response.context["form"].errors["url"][0]
    assert 'id="error-url"' in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_no_event_picked_is_refused_by_the_events_field(member_client, workspace):
    """At least one event must be ticked."""
    response = member_client.post(
        reverse("webhooks", args=[workspace.pk]), {"url": "http://127.0.0.1:9/in"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["events"] == ["Pick at least one event."]


def test_the_log_shows_each_delivery_and_send_again_restarts_it(
    member_client, workspace, endpoint, failed_delivery, django_capture_on_commit_callbacks
):
    """The log lists event, status code, duration and attempts; Send again makes it pending."""
    detail = reverse("webhook_detail", args=[workspace.pk, endpoint.pk])
    page = member_client.get(detail).content.decode()
    assert "job.succeeded" in page and "404" in page and "12 ms" in page and "Send again" in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = member_client.post(
            reverse("webhook_delivery_retry", args=[workspace.pk, failed_delivery.pk])
        )
    assert response["Location"] == detail and len(callbacks) == 1
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == WebhookDelivery.Status.PENDING


def test_an_owner_deletes_an_endpoint_and_its_log(
    member_client, workspace, endpoint, failed_delivery
):
    """Delete removes the endpoint and its deliveries."""
    response = member_client.post(reverse("webhook_delete", args=[workspace.pk, endpoint.pk]))
    assert response["Location"] == reverse("webhooks", args=[workspace.pk])
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


def test_an_editor_sees_the_log_but_cannot_add_delete_or_resend(
    workspace, endpoint, failed_delivery, django_user_model
):
    """Editors look (their jobs trigger the events); only owners change endpoints."""
    editor = _member(workspace, django_user_model, "editor")
    page = editor.get(reverse("webhook_detail", args=[workspace.pk, endpoint.pk]))
    assert page.status_code == 200 and "Send again" not in page.content.decode()
    assert endpoint.secret not in page.content.decode()
    listing = editor.get(reverse("webhooks", args=[workspace.pk])).content.decode()
    assert "Only owners can add or delete webhooks." in listing
    refused = [
        editor.post(
            reverse("webhooks", args=[workspace.pk]),
            {"url": "http://127.0.0.1:9/x", "events": ["job.failed"]},
        ),
        editor.post(reverse("webhook_delete", args=[workspace.pk, endpoint.pk])),
        editor.post(reverse("webhook_delivery_retry", args=[workspace.pk, failed_delivery.pk])),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_a_viewer_cannot_see_the_webhooks(workspace, endpoint, django_user_model):
    """Viewers get 403 on the page and the log, and no link to them."""
    viewer = _member(workspace, django_user_model, "viewer")
    assert viewer.get(reverse("webhooks", args=[workspace.pk])).status_code == 403
    assert (
        viewer.get(reverse("webhook_detail", args=[workspace.pk, endpoint.pk])).status_code == 403
    )
    gallery = viewer.get(reverse("gallery", args=[workspace.pk])).content.decode()
    assert reverse("webhooks", args=[workspace.pk]) not in gallery


def test_another_workspaces_endpoints_and_deliveries_are_404(
    workspace, endpoint, failed_delivery, other_user
):
    """An owner of another workspace cannot see, delete or resend this one's, even through
    their own workspace's addresses."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    client = Client()
    client.force_login(other_user)
    answers = [
        client.get(reverse("webhooks", args=[workspace.pk])),
        client.get(reverse("webhook_detail", args=[workspace.pk, endpoint.pk])),
        client.get(reverse("webhook_detail", args=[theirs.pk, endpoint.pk])),
        client.post(reverse("webhook_delete", args=[theirs.pk, endpoint.pk])),
        client.post(reverse("webhook_delivery_retry", args=[theirs.pk, failed_delivery.pk])),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    assert WebhookEndpoint.objects.count() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED
