"""The Webhooks page in a real Chromium: an owner adds an endpoint, copies its secret (shown
once), reads the delivery log and sends a failed delivery again."""

from __future__ import annotations

from typing import Any

import pytest

from studio.models import WebhookDelivery, WebhookEndpoint
from studio.worker import webhooks as worker_webhooks
from tests import live
from tests.e2e.helpers import shot
from tests.webhook_receiver import Answer, Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_adds_an_endpoint_and_reads_its_delivery_log(
    page: Any, user: Any, workspace: Any, settings: Any
) -> None:
    """Add from the navigation's Webhooks link; the secret shows once; the log lists the
    deliveries with their answers; Send again makes a failed one pending."""
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    port = live.free_port()
    server = live.start_server(port, "daphne-webhooks", REELSMITH_WEBHOOK_ALLOW_HOSTS="127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    try:
        page.goto(f"{url}/accounts/login/")
        page.fill("input[name=username]", "maya")
        page.fill("input[name=password]", "a-long-passphrase")
        page.click("button[type=submit]")
        page.get_by_role("link", name="Webhooks").click()
        page.fill("input[name=url]", "http://10.0.0.7/hooks")
        page.click("#webhook-form button[type=submit]")
        assert "a private address" in page.inner_text("#error-url")
        page.fill("input[name=url]", receiver.url)
        page.check("input[value='batch.finished']")
        page.click("#webhook-form button[type=submit]")
        endpoint = WebhookEndpoint.objects.get()
        assert page.inner_text("#webhook-secret code") == endpoint.secret
        shot(page, "webhook-secret")

        # Three deliveries: one answered 200, one refused with a 404, one retried after a 503.
        receiver.answers = [Answer(200), Answer(404, b"no such hook"), Answer(503, b"down")]
        for event in ("job.succeeded", "job.failed", "batch.finished"):
            [delivery] = worker_webhooks.event_record(
                workspace_id=workspace.pk, event=event, data={"id": 1}
            )
            worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
        page.reload()
        assert page.locator("#webhook-secret").count() == 0  # shown once
        log = page.inner_text("#webhook-deliveries")
        assert "200" in log and "HTTP 404: no such hook" in log and "HTTP 503: down" in log
        shot(page, "webhook-log")
        page.get_by_role("button", name="Send again").first.click()
        page.wait_for_selector("text=job.failed is being sent again.")
        failed = WebhookDelivery.objects.get(event="job.failed")
        assert failed.status == WebhookDelivery.Status.PENDING
        page.get_by_role("link", name="← Webhooks").click()
        assert receiver.url in page.inner_text("#webhook-endpoints")
        shot(page, "webhooks")
    finally:
        server.stop()
        receiver.close()
