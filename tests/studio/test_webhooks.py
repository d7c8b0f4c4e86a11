"""Webhooks: endpoints, events recorded with the writes that cause them, signed deliveries to a
real receiver on loopback, the retry schedule on a fake clock, and the address guard."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from studio import services, webhooks_guard
from studio.models import Job, WebhookDelivery, WebhookEndpoint
from studio.worker import lease
from studio.worker import webhooks as worker_webhooks
from tests.studio.test_batches import card_template, draft, launched  # noqa: F401  # fixtures
from tests.studio.test_batches_sharing import greeting, in_memory_layer  # noqa: F401  # fixtures
from tests.webhook_receiver import Answer, Receiver, signature_valid

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def receiver(settings: Any) -> Any:
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def endpoint(workspace: Any, user: Any, receiver: Receiver) -> WebhookEndpoint:
    endpoint, _ = services.webhooks.webhook_endpoint_create(
        workspace=workspace,
        user=user,
        url=receiver.url,
        events=["job.succeeded", "job.failed", "batch.finished"],
    )
    return endpoint


def _sends(no_queue: Any) -> list[tuple[int, float | None]]:
    """The webhook attempts sent to the broker: (delivery id, countdown)."""
    return [
        (call.kwargs["args"][0], call.kwargs.get("countdown") or None)
        for call in no_queue.call_args_list
        if call.kwargs.get("queue") == "webhooks"
    ]


def _delivery(endpoint: WebhookEndpoint, no_queue: Any, *, event: str = "job.succeeded") -> Any:
    with transaction.atomic():
        [delivery] = services.webhooks.webhook_event_send(
            workspace=endpoint.workspace, event=event, data={"id": 1}
        )
    return delivery


# The retry schedule ---------------------------------------------------------------------------


def test_the_wait_doubles_from_30_seconds_up_to_2_hours():
    """Without jitter, the n-th retry waits 30 s * 2^(n-1), never more than 2 h."""
    waits = [worker_webhooks.retry_delay(n, rng=lambda: 0.5) for n in range(1, 12)]
    assert waits[:4] == [30, 60, 120, 240]
    assert waits[8:] == [7200, 7200, 7200]


def test_jitter_keeps_each_wait_within_a_quarter_of_its_nominal():
    """The jitter spreads retries by up to 25% either way, never more."""
    low = worker_webhooks.retry_delay(3, rng=lambda: 0.0)
    high = worker_webhooks.retry_delay(3, rng=lambda: 0.999999)
    assert low == pytest.approx(90) and high == pytest.approx(150, rel=1e-5)


def test_the_schedule_fits_in_24_hours():
    """The nominal waits add up to no more than a day, and retry for most of it."""
    waits = worker_webhooks.retry_schedule()
    assert 20 * 3600 < sum(waits) <= 24 * 3600
    assert len(waits) == 18  # 19 attempts in all


# The address guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.254",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # the cloud's metadata service
        "100.100.100.200",  # a metadata service in shared address space
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "::",
        "fd00:ec2::254",  # a metadata service over IPv6 (unique local)
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_the_guard_refuses_addresses_inside_the_network(address):
    """Loopback, private, link-local, metadata, shared, multicast, unspecified, reserved and
    IPv4-mapped addresses are refused."""
    import ipaddress

    assert not webhooks_guard.is_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111"])
def test_the_guard_allows_public_addresses(address):
    """Public addresses, IPv4 or IPv6, are allowed."""
    import ipaddress

    assert webhooks_guard.is_allowed(ipaddress.ip_address(address))


def _resolving(mapping: dict[str, list[str]]) -> Any:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in mapping:
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port),
                )
                for ip in mapping[host]
            ]
        return real(host, port, *args, **kwargs)

    return mock.patch("socket.getaddrinfo", side_effect=getaddrinfo)


def test_a_name_that_resolves_to_a_private_address_is_refused():
    """The host is resolved and its addresses checked: a public-looking name is no way in."""
    with (
        _resolving({"hooks.example.com": ["10.1.2.3"]}),
        pytest.raises(webhooks_guard.Refused, match=r"10\.1\.2\.3, a private address"),
    ):
        webhooks_guard.target("https://hooks.example.com/in")


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    """Every address a name resolves to must be allowed, not just the first."""
    with (
        _resolving({"hooks.example.com": ["93.184.216.34", "169.254.169.254"]}),
        pytest.raises(webhooks_guard.Refused, match="link-local"),
    ):
        webhooks_guard.target("https://hooks.example.com/in")


def test_the_operator_allows_chosen_hosts_and_networks(settings):
    """REELSMITH_WEBHOOK_ALLOW_HOSTS lets a host name or a network through, nothing else."""
    settings.WEBHOOK_ALLOW_HOSTS = ["10.1.2.0/24", "crm.internal"]
    with _resolving(
        {"a.internal": ["10.1.2.9"], "crm.internal": ["10.9.9.9"], "b.internal": ["10.1.3.1"]}
    ):
        assert webhooks_guard.target("http://a.internal/").address == "10.1.2.9"
        assert webhooks_guard.target("http://crm.internal/").address == "10.9.9.9"
        with pytest.raises(webhooks_guard.Refused):
            webhooks_guard.target("http://b.internal/")


def test_it_connects_to_the_checked_address_without_a_second_lookup(receiver):
    """The name is resolved once; the connection goes to that address with the name in the
    Host header, so a DNS answer that changes after the check (rebinding) is never used."""
    with _resolving({"hooks.example.test": ["127.0.0.1"]}) as resolver:
        answer = webhooks_guard.post(
            f"http://hooks.example.test:{receiver.port}/in", body=b"{}", headers={}
        )
    lookups = [c for c in resolver.call_args_list if c.args[0] == "hooks.example.test"]
    assert answer.status == 200 and len(lookups) == 1
    assert receiver.received[0].headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_a_redirect_is_not_followed(receiver):
    """A 3xx is answered to the client as it is; the client does not go where it points."""
    receiver.answers = [Answer(302, b"", headers={"Location": "http://169.254.169.254/"})]
    answer = webhooks_guard.post(receiver.url, body=b"{}", headers={})
    assert answer.status == 302 and len(receiver.received) == 1


def test_at_most_4_kib_of_an_answer_is_read(receiver):
    """A receiver that answers a megabyte has 4 KiB of it read."""
    receiver.answers = [Answer(200, b"x" * 1_000_000)]
    answer = webhooks_guard.post(receiver.url, body=b"{}", headers={})
    assert len(answer.body) == 4096


def test_the_whole_request_has_a_deadline(receiver, settings):
    """A receiver that does not answer in time is a DeliveryError that says so."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.answers = [Answer(200, b"late", delay=3)]
    with pytest.raises(webhooks_guard.DeliveryError, match=r"No answer within 0\.5 seconds"):
        webhooks_guard.post(receiver.url, body=b"{}", headers={})


# Endpoints ------------------------------------------------------------------------------------


def test_an_endpoint_is_made_with_a_secret_returned_once(workspace, user, receiver):
    """The secret comes back from the service (to show once) and is stored to sign with."""
    endpoint, secret = services.webhooks.webhook_endpoint_create(
        workspace=workspace, user=user, url=receiver.url, events=["job.failed", "job.succeeded"]
    )
    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoint.secret == secret
    assert endpoint.events == ["job.succeeded", "job.failed"]  # in the one list's order


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://10.0.0.8/hooks", "address_refused"),
        ("http://169.254.169.254/latest/meta-data/", "address_refused"),
        ("http://[::1]:8000/hooks", "address_refused"),
        ("http://localhost/hooks", "address_refused"),
        ("ftp://example.com/hooks", "invalid_url"),
        ("https://user:pass@example.com/hooks", "invalid_url"),
        ("https:///hooks", "invalid_url"),
        ("https://no-such-host.invalid/hooks", "host_unresolved"),
    ],
)
def test_an_address_that_cannot_be_called_is_refused_by_the_url_field(workspace, user, url, code):
    """The guard is applied when the endpoint is made, with a message on the url field."""
    with pytest.raises(ValidationError) as caught:
        services.webhooks.webhook_endpoint_create(
            workspace=workspace, user=user, url=url, events=["job.succeeded"]
        )
    assert caught.value.error_dict["url"][0].code == code
    assert not WebhookEndpoint.objects.exists()


def test_events_must_be_named_from_the_list(workspace, user, receiver):
    """No events, or an unknown one, is refused on the events field."""
    for events, code in (([], "no_events"), (["job.done"], "unknown_event")):
        with pytest.raises(ValidationError) as caught:
            services.webhooks.webhook_endpoint_create(
                workspace=workspace, user=user, url=receiver.url, events=events
            )
        assert caught.value.error_dict["events"][0].code == code


# Events ---------------------------------------------------------------------------------------


def test_an_event_is_recorded_once_per_subscribed_endpoint_and_sent_on_commit(
    endpoint, workspace, user, receiver, no_queue, django_capture_on_commit_callbacks
):
    """Endpoints that did not subscribe to the event get nothing; the task is sent once the
    transaction commits, on the webhooks queue."""
    services.webhooks.webhook_endpoint_create(
        workspace=workspace, user=user, url=receiver.url, events=["video.shared"]
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        deliveries = services.webhooks.webhook_event_send(
            workspace=workspace, event="job.succeeded", data={"id": 7}
        )
        assert _sends(no_queue) == []
    assert [d.endpoint for d in deliveries] == [endpoint]
    assert _sends(no_queue) == [(deliveries[0].pk, None)]
    body = deliveries[0].payload
    assert body["type"] == "job.succeeded" and body["data"] == {"id": 7}
    assert body["workspace"] == workspace.pk and body["id"].startswith("evt_")


def test_a_failed_job_sends_job_failed_with_its_reason(
    endpoint, job, no_queue, django_capture_on_commit_callbacks
):
    """Where a job reaches its final state, its event is recorded in the same write."""
    started = lease.job_start(job_id=job.pk, worker="w1")
    assert started is not None
    with django_capture_on_commit_callbacks(execute=True):
        lease.job_end(job.pk, "w1", Job.Status.FAILED, stage="failed", error="No face found.")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "job.failed"
    data = delivery.payload["data"]
    assert data["id"] == job.pk and data["status"] == "failed" and data["mode"] == job.mode
    assert data["failure_reason"] == "No face found." and data["video"] is None
    assert _sends(no_queue)[-1] == (delivery.pk, None)


def test_a_succeeded_job_says_where_its_video_is(endpoint, job, video):
    """job.succeeded carries the paths of the video's download views."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        locked.status = Job.Status.RUNNING
        lease.mark_final(locked, Job.Status.SUCCEEDED, stage="done")
        locked.save()
    data = WebhookDelivery.objects.get(event="job.succeeded").payload["data"]
    assert data["video"]["mp4"] == f"/w/{job.workspace_id}/jobs/{job.pk}/download/"
    assert data["video"]["poster"] == f"/files/{video.poster.name}"
    assert data["failure_reason"] == ""


def test_batch_finished_is_sent_once_when_the_last_row_ends(
    endpoint, request, django_capture_on_commit_callbacks
):
    """The batch's last row ending sends batch.finished with the counts, once."""
    batch = request.getfixturevalue("launched")  # test_batches's: a batch of two rows
    rows = list(batch.rows.select_related("job"))
    for row, status in zip(rows, (Job.Status.SUCCEEDED, Job.Status.FAILED), strict=True):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            assert row.job is not None
            lease.mark_final(row.job, status, stage="done", error="x" if status == "failed" else "")
            row.job.save()
        finished = WebhookDelivery.objects.filter(event="batch.finished")
        assert finished.count() == (0 if row is rows[0] else 1)
    worker_webhooks.batch_check_finished(batch.pk)  # a second worker's check: no second event
    [delivery] = WebhookDelivery.objects.filter(event="batch.finished")
    data = delivery.payload["data"]
    assert (data["rows"], data["succeeded"], data["failed"]) == (2, 1, 1)


# Deliveries to a real receiver ----------------------------------------------------------------


def test_a_delivery_is_signed_with_the_endpoints_secret(endpoint, receiver, no_queue):
    """The receiver gets the JSON body, the event and delivery headers, and a signature over
    "<t>.<body>" it can check with the secret."""
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    [got] = receiver.received
    assert signature_valid(endpoint.secret, got.headers["Reelsmith-Signature"], got.body)
    assert not signature_valid("whsec_other", got.headers["Reelsmith-Signature"], got.body)
    assert got.headers["Reelsmith-Event"] == "job.succeeded"
    assert got.headers["Reelsmith-Delivery"] == str(delivery.pk)
    assert json.loads(got.body) == delivery.payload
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.SUCCEEDED,
        1,
        200,
    )


def test_a_500_then_a_200_takes_two_attempts_on_the_schedule(endpoint, receiver, no_queue):
    """A 5xx is retried after the schedule's first wait (a fake clock): not before, and the
    retry is sent as a countdown; then the 200 ends it."""
    receiver.answers = [Answer(500, b"busy"), Answer(200)]
    delivery = _delivery(endpoint, no_queue)
    t0 = timezone.now()
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk, now=t0)
    delivery.refresh_from_db()
    wait = (delivery.next_try_at - t0).total_seconds()
    assert delivery.status == Status.PENDING and 22.5 <= wait <= 37.5
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500: busy"
    assert _sends(no_queue)[-1] == (delivery.pk, pytest.approx(wait))
    early = t0 + timedelta(seconds=10)
    assert worker_webhooks.delivery_attempt(delivery_id=delivery.pk, now=early) is None
    later = delivery.next_try_at
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk, now=later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.SUCCEEDED,
        2,
        200,
    )
    first, second = receiver.received
    assert (
        first.body == second.body
        and first.headers["Reelsmith-Delivery"] == second.headers["Reelsmith-Delivery"]
    )
    assert signature_valid(
        endpoint.secret, second.headers["Reelsmith-Signature"], second.body, now=later.timestamp()
    )


def test_a_404_fails_at_once_after_one_attempt(endpoint, receiver, no_queue):
    """A 4xx other than 429 is the receiver's answer: not retried."""
    receiver.answers = [Answer(404, b"no such hook")]
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_try_at) == (Status.FAILED, 1, None)
    assert delivery.last_error == "HTTP 404: no such hook"
    assert _sends(no_queue) == [] and len(receiver.received) == 1


@pytest.mark.parametrize("code", [429, 503])
def test_a_429_or_a_5xx_is_retried(endpoint, receiver, no_queue, code):
    """Too many requests and server errors are worth another try."""
    receiver.answers = [Answer(code)]
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING and delivery.last_status_code == code


def test_a_429s_retry_after_is_honoured(endpoint, receiver, no_queue):
    """A receiver that asks for 10 minutes' rest gets them, not the schedule's 30 s."""
    receiver.answers = [Answer(429, headers={"Retry-After": "600"})]
    delivery = _delivery(endpoint, no_queue)
    t0 = timezone.now()
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk, now=t0)
    delivery.refresh_from_db()
    assert (delivery.next_try_at - t0).total_seconds() == pytest.approx(600)


def test_a_timeout_is_retried(endpoint, receiver, no_queue, settings):
    """A receiver that does not answer in time is tried again later."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.answers = [Answer(200, delay=3)]
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING and delivery.last_status_code is None
    assert "No answer within 0.5 seconds" in delivery.last_error
    assert _sends(no_queue)[-1][0] == delivery.pk


def test_a_redirect_fails_the_delivery(endpoint, receiver, no_queue):
    """A 3xx is a failure, not followed."""
    receiver.answers = [Answer(301, headers={"Location": "http://10.0.0.1/"})]
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and "redirect" in delivery.last_error
    assert len(receiver.received) == 1


def test_an_address_refused_at_send_time_fails_without_a_request(
    endpoint, receiver, no_queue, settings
):
    """The guard runs again at each attempt: an address no longer allowed is not called."""
    settings.WEBHOOK_ALLOW_HOSTS = []
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and "loopback" in delivery.last_error
    assert receiver.received == []


def test_retries_stop_24_hours_after_the_first_attempt(endpoint, receiver, no_queue):
    """A receiver that still fails a day later: the delivery is given up."""
    receiver.answers = [Answer(502)]
    delivery = _delivery(endpoint, no_queue)
    late = delivery.sending_since + timedelta(hours=23, minutes=59, seconds=45)  # < a wait
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_try_at=late)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk, now=late)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_try_at) == (Status.GIVEN_UP, None)
    assert _sends(no_queue) == []


def test_a_message_delivered_twice_sends_once(endpoint, receiver, no_queue):
    """A second message for a delivery already done does nothing."""
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    assert worker_webhooks.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


def test_the_sweep_sends_again_a_delivery_whose_message_was_lost(endpoint, receiver, no_queue):
    """A pending delivery well past its next try is sent again by the due-deliveries sweep;
    one whose try is not yet due, or just due, is left to its own message."""
    delivery = _delivery(endpoint, no_queue)
    now = timezone.now()
    assert worker_webhooks.deliveries_send_due(now=now) == []
    assert worker_webhooks.deliveries_send_due(now=now + timedelta(minutes=1)) == [delivery.pk]
    assert _sends(no_queue)[-1] == (delivery.pk, None)


def test_send_again_starts_a_failed_delivery_over(endpoint, receiver, no_queue):
    """ "Send again" sends the same delivery (same id and body) now, with a new window."""
    receiver.answers = [Answer(410)]
    delivery = _delivery(endpoint, no_queue)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    with pytest.raises(ValidationError):  # not while it is pending
        services.webhooks.webhook_delivery_retry(
            delivery=WebhookDelivery(pk=delivery.pk, status=Status.PENDING)
        )
    delivery.refresh_from_db()
    with mock.patch("django.db.transaction.on_commit", side_effect=lambda f: f()):
        services.webhooks.webhook_delivery_retry(delivery=delivery)
    worker_webhooks.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 2)
    assert receiver.received[0].body == receiver.received[1].body


def test_rows_made_together_each_send_job_succeeded_and_the_batch_finished_once(
    endpoint,
    request,
    settings,
    workspace,
    user,
    asset,
    no_queue,
    django_capture_on_commit_callbacks,
):
    """Rows of one shared-footage message end in one write: each row's event names its own
    video (saved in that write), and the batch's last row sends batch.finished once."""
    from tests.studio import test_batches_sharing as sharing

    request.getfixturevalue("in_memory_layer")
    settings.ROW_THREADS = 1
    template = request.getfixturevalue("greeting")
    batch = sharing._batch(workspace, user, template, asset, ["Ana", "Bo", "Cy"])
    with django_capture_on_commit_callbacks(execute=True):
        jobs, _, _ = sharing._run_together(batch)
    assert all(job.status == Job.Status.SUCCEEDED for job in jobs), [j.error for j in jobs]
    succeeded = WebhookDelivery.objects.filter(event="job.succeeded")
    posters = {d.payload["data"]["id"]: d.payload["data"]["video"]["poster"] for d in succeeded}
    assert posters == {job.pk: f"/files/{job.video.poster.name}" for job in jobs}
    [finished] = WebhookDelivery.objects.filter(event="batch.finished")
    assert (finished.payload["data"]["rows"], finished.payload["data"]["succeeded"]) == (3, 3)


def test_sharing_a_video_sends_video_shared(
    endpoint, video, user, no_queue, django_capture_on_commit_callbacks
):
    """A new share link is told to the endpoints that want video.shared, with its page."""
    from studio import services

    endpoint.events = ["video.shared"]
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        link = services.sharing.share_link_create(video=video, user=user)
    delivery = WebhookDelivery.objects.get()
    data = delivery.payload["data"]
    assert delivery.event == "video.shared" and data["id"] == video.job_id
    assert data["share"]["url"] == f"/s/{link.token}/"


def test_approving_a_video_sends_video_approved(
    endpoint, video, user, no_queue, django_capture_on_commit_callbacks
):
    """Moving a video to approved is told with who approved it; other states are not."""
    from studio import services

    endpoint.events = ["video.approved"]
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.review.review_state_set(video=video, state="in_review", user=user)
    assert not WebhookDelivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.review.review_state_set(video=video, state="approved", user=user)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "video.approved"
    assert delivery.payload["data"]["approved_by"] == user.username
