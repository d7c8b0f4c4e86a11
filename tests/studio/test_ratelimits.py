"""Rate limits: starting videos, launching batches, Play voice and password resets, counted
per user (per address and email for resets) in Redis, refused with 429 and the wait."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from studio import services
from studio.models import Batch, Job, Membership
from tests.studio.test_batches import GOOD_CSV, _post_new, card_template  # noqa: F401
from tests.studio.test_views import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings: Any) -> dict[str, str]:
    """Small rates per hour, so a test never straddles the end of a window."""
    settings.RATE_LIMITS = {
        "jobs": "2/h",
        "batches": "1/h",
        "voice": "1/h",
        "password_reset": "2/h",
    }
    return settings.RATE_LIMITS


def _wait_in(response: Any) -> int:
    """The wait the page states, which must be the one Retry-After gives."""
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    return wait


def test_the_counts_live_in_redis():
    """The limiter's cache is Redis, shared by every web process (not one process's memory)."""
    assert django_settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert django_settings.CACHES["default"]["LOCATION"].startswith("redis://")


def test_starting_videos_too_fast_is_refused_with_429_and_the_wait(
    member_client, workspace, no_queue, rates
):
    """Past the rate the editor answers 429, says how long to wait next to Generate, and
    stores nothing."""
    url = reverse("job_new", args=[workspace.pk])
    assert [member_client.post(url, _form()).status_code for _ in range(2)] == [302, 302]
    response = member_client.post(url, _form())
    assert response.status_code == 429
    wait = _wait_in(response)
    html = response.content.decode()
    assert re.search(
        rf'Generate</button>\s*<p class="error" role="alert" id="throttled">'
        rf"Too many videos started: try again in {wait} s.</p>",
        html,
    )
    assert Job.objects.count() == 2


def test_the_limit_is_per_user(member_client, client, workspace, other_user, no_queue, rates):
    """One user at the limit does not hold back a teammate."""
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.EDITOR)
    url = reverse("job_new", args=[workspace.pk])
    for _ in range(3):
        member_client.post(url, _form())
    client.force_login(other_user)
    assert client.post(url, _form()).status_code == 302
    assert Job.objects.filter(created_by=other_user).count() == 1


def test_a_rerun_counts_as_starting_a_video(
    member_client, workspace, user, asset, camera_params, no_queue, rates
):
    """Re-run is held to the same rate; its refusal shows on the job's page by the buttons."""
    job = services.jobs.job_submit(
        workspace=workspace, user=user, params=camera_params, image=asset
    )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    url = reverse("job_rerun", args=[workspace.pk, job.pk])
    assert member_client.post(url, {"seed": "same"}).status_code == 302
    assert member_client.post(url, {"seed": "same"}).status_code == 302
    response = member_client.post(url, {"seed": "new"})
    assert response.status_code == 429
    assert (
        f"Too many videos started: try again in {_wait_in(response)} s."
        in response.content.decode()
    )
    assert Job.objects.count() == 3


def test_launching_batches_too_fast_is_refused_by_the_launch_button(
    member_client,
    workspace,
    card_template,  # noqa: F811
    no_queue,
    rates,
):
    """A second launch within the rate's window gets 429 on the batch's page; the draft
    stays a draft with no jobs."""
    for _ in range(2):
        _post_new(member_client, workspace, card_template, csv_text=GOOD_CSV)
    first_batch, second_batch = Batch.objects.order_by("pk")
    assert (
        member_client.post(reverse("batch_launch", args=[workspace.pk, first_batch.pk])).status_code
        == 302
    )
    response = member_client.post(reverse("batch_launch", args=[workspace.pk, second_batch.pk]))
    assert response.status_code == 429
    wait = _wait_in(response)
    assert re.search(
        rf"Launch 2 videos</button>\s*<p [^>]*>Too many batch launches: try again in {wait} s.",
        response.content.decode(),
    )
    second_batch.refresh_from_db()
    assert second_batch.status == Batch.Status.DRAFT
    assert not second_batch.rows.filter(job__isnull=False).exists()


def test_play_voice_too_fast_answers_429_with_the_wait(member_client, workspace, rates):
    """The voice preview is held to its rate; the JSON error shows by the Play voice button."""
    url = reverse("avatar_voice", args=[workspace.pk])
    form = {"script": "Hello there.", "voice": "espeak-en-us", "speed": "1.0"}
    assert member_client.post(url, form).status_code == 200
    response = member_client.post(url, form)
    assert response.status_code == 429
    assert response.json() == {
        "error": f"Too many voice previews: try again in {_wait_in(response)} s."
    }


def test_password_reset_is_throttled_per_address(client, rates, mailoutbox):
    """Requests for any emails from one address are counted together."""
    url = reverse("password_reset")
    for n in range(2):
        assert client.post(url, {"email": f"n{n}@example.com"}).status_code == 302
    response = client.post(url, {"email": "n3@example.com"})
    assert response.status_code == 429
    wait = _wait_in(response)
    assert re.search(
        rf'Send the reset link</button>\s*<span [^>]*id="throttled">'
        rf"Too many reset requests: try again in {wait} s.",
        response.content.decode(),
    )


def test_password_reset_is_throttled_per_email(client, user, rates, mailoutbox):
    """One email asked for from many addresses is counted too; no more mail is sent."""
    user.email = "maya@example.com"
    user.save()
    url = reverse("password_reset")
    codes = [
        client.post(url, {"email": "Maya@example.com"}, REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]
    assert codes == [302, 302, 429, 429]
    assert len(mailoutbox) == 2
