"""Webhooks through the real stack: a job made by a real worker, its job.succeeded sent by a
real webhooks worker (threads, as in the Procfile) to a real receiver on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from studio import services
from studio.models import WebhookDelivery
from tests import live
from tests.integration.helpers import submit_camera_job, wait_for_job
from tests.webhook_receiver import Receiver, signature_valid

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_that_succeeds_is_told_to_the_receiver_signed(
    client: Any, user: Any, workspace: Any, settings: Any
) -> None:
    """Submit a job; the receiver gets one job.succeeded, signed with the endpoint's secret,
    naming the job and its video's download path."""
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    endpoint, secret = services.webhooks.webhook_endpoint_create(
        workspace=workspace, user=user, url=receiver.url, events=["job.succeeded", "job.failed"]
    )
    live.flush_broker()
    allow = {"REELSMITH_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}
    jobs = live.start_worker("itest-jobs", **allow)
    hooks = live.start_worker("itest-hooks", queues="webhooks", pool="threads", **allow)
    with live.running(jobs, hooks):
        client.force_login(user)
        job = submit_camera_job(client, workspace.pk)
        wait_for_job(job.pk, lambda j: j.is_final, timeout=180)
        [got] = receiver.wait(1, timeout=60)
    receiver.close()
    body = json.loads(got.body)
    assert got.headers["Reelsmith-Event"] == "job.succeeded"
    assert signature_valid(secret, got.headers["Reelsmith-Signature"], got.body)
    assert body["type"] == "job.succeeded" and body["workspace"] == workspace.pk
    assert body["data"]["id"] == job.pk and body["data"]["status"] == "succeeded"
    assert body["data"]["video"]["mp4"] == f"/w/{workspace.pk}/jobs/{job.pk}/download/"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert got.headers["Reelsmith-Delivery"] == str(delivery.pk)


def test_a_delivery_whose_message_was_lost_is_sent_by_the_sweep(
    user: Any, workspace: Any, settings: Any
) -> None:
    """A pending delivery with no message (the broker lost it) is found by the due-deliveries
    sweep that beat sends to the control queue, and delivered."""
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    _, secret = services.webhooks.webhook_endpoint_create(
        workspace=workspace, user=user, url=receiver.url, events=["job.succeeded"]
    )
    [delivery] = services.webhooks.webhook_event_send(
        workspace=workspace, event="job.succeeded", data={"id": 1}
    )
    live.flush_broker()  # its message is gone, and it is a minute overdue
    overdue = delivery.next_try_at - timedelta(minutes=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_try_at=overdue)
    env = {"REELSMITH_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "WEBHOOK_SWEEP_SECONDS": "1"}
    hooks = live.start_worker("itest-hooks", queues="webhooks", pool="threads", **env)
    sweeper = live.start_sweeper(**env)
    with live.running(hooks, sweeper):
        received = receiver.wait(1, timeout=60)
    receiver.close()
    assert len(received) == 1
    assert signature_valid(secret, received[0].headers["Reelsmith-Signature"], received[0].body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)
