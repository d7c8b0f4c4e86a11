"""Idempotency-Key: a retried creating request gets the first answer and creates nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from studio import services
from studio.models import Asset, IdempotencyKey, Job
from tests.conftest import make_png
from tests.studio.api.conftest import TokenClient
from tests.studio.api.test_jobs import JOBS, ZOOM, post_json


@pytest.mark.django_db
def test_the_same_key_gets_the_first_answer_and_makes_nothing(api, asset, no_queue):
    """A retry with the same key answers the same status and body; one job exists."""
    body = {**ZOOM, "asset": asset.pk}
    first = post_json(api, JOBS, body, **{"Idempotency-Key": "crm-42"})
    again = post_json(api, JOBS, body, **{"Idempotency-Key": "crm-42"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_key_belongs_to_its_token(api, raw_token, workspace, user, asset, no_queue):
    """Another token's request with the same key is its own: a second job."""
    _, other = services.api_tokens.api_token_create(workspace=workspace, user=user, name="2")
    body = {**ZOOM, "asset": asset.pk}
    post_json(api, JOBS, body, **{"Idempotency-Key": "k"})
    post_json(TokenClient(other), JOBS, body, **{"Idempotency-Key": "k"})
    assert Job.objects.count() == 2


@pytest.mark.django_db
def test_another_request_with_a_used_key_is_422(api, asset, no_queue):
    """A different body under a used key is refused as a problem; nothing is made."""
    post_json(api, JOBS, {**ZOOM, "asset": asset.pk}, **{"Idempotency-Key": "k"})
    response = post_json(
        api, JOBS, {**ZOOM, "asset": asset.pk, "seed": 1}, **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_frees_its_key(api, asset, no_queue):
    """A 400 is not kept: the fixed request, sent with the same key, is made."""
    bad = post_json(api, JOBS, {**ZOOM, "asset": 999999}, **{"Idempotency-Key": "k"})
    assert bad.status_code == 400
    good = post_json(api, JOBS, {**ZOOM, "asset": asset.pk}, **{"Idempotency-Key": "k"})
    assert good.status_code == 201


@pytest.mark.django_db
def test_a_key_older_than_a_day_makes_a_new_job(api, asset, no_queue):
    """After 24 hours the key is forgotten."""
    body = {**ZOOM, "asset": asset.pk}
    post_json(api, JOBS, body, **{"Idempotency-Key": "k"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert post_json(api, JOBS, body, **{"Idempotency-Key": "k"}).status_code == 201
    assert Job.objects.count() == 2


@pytest.mark.django_db
def test_uploads_are_idempotent_too(api):
    """The same image posted twice with one key is stored once."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    for _ in range(2):
        image = SimpleUploadedFile("p.png", make_png(), content_type="image/png")
        response = api.post("/api/v1/assets/", {"image": image}, headers={"Idempotency-Key": "u"})
        assert response.status_code == 201
    assert Asset.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_make_one_job(api, asset, no_queue, monkeypatch):
    """Two requests with one key, claiming it at the same moment: the database's unique
    constraint lets one create; the other is told to retry (409) or gets the first answer,
    and a retry afterwards gets the one job."""
    claim = services.api_tokens.idempotency_claim
    barrier = threading.Barrier(2, timeout=30)

    def claim_together(**kwargs: Any) -> Any:
        barrier.wait()
        return claim(**kwargs)

    monkeypatch.setattr(services.api_tokens, "idempotency_claim", claim_together)
    body = {**ZOOM, "asset": asset.pk}
    answers: list[int] = []

    def send() -> None:
        from django.db import connection

        try:
            answers.append(post_json(api, JOBS, body, **{"Idempotency-Key": "same"}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) in ([201, 201], [201, 409])
    assert Job.objects.count() == 1
    monkeypatch.setattr(services.api_tokens, "idempotency_claim", claim)
    replay = post_json(api, JOBS, body, **{"Idempotency-Key": "same"})
    assert replay.status_code == 201 and replay.json()["id"] == Job.objects.get().pk


@pytest.mark.django_db
def test_a_claim_never_answered_is_freed_after_ten_minutes(api, asset, no_queue):
    """A key whose first request died mid-way (no answer kept) is usable again later."""
    IdempotencyKey.objects.create(owner=f"token:{api_token_id()}", key="k", request_hash="x")
    body = {**ZOOM, "asset": asset.pk}
    assert post_json(api, JOBS, body, **{"Idempotency-Key": "k"}).status_code == 422
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert post_json(api, JOBS, body, **{"Idempotency-Key": "k"}).status_code == 201


def api_token_id() -> int:
    from studio.models import ApiToken

    return ApiToken.objects.get().pk


@pytest.mark.django_db
def test_the_hourly_sweep_forgets_keys_past_their_day() -> None:
    """Answers older than a day and claims never answered go; today's answers stay."""
    from studio.tasks import sweep_leftovers

    kept = IdempotencyKey.objects.create(
        owner="token:1", key="today", request_hash="h", status_code=201
    )
    old = IdempotencyKey.objects.create(
        owner="token:1", key="old", request_hash="h", status_code=201
    )
    stale = IdempotencyKey.objects.create(owner="token:1", key="stale", request_hash="h")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    IdempotencyKey.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    sweep_leftovers()
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [kept.pk]
