"""Share links through the API: POST makes a public link to a finished video, DELETE revokes."""

from __future__ import annotations

import pytest
from django.test import Client

from studio.models import Job, ShareLink
from tests.studio.api.test_jobs import post_json

pytestmark = pytest.mark.django_db


def _share_url(job_id: int) -> str:
    return f"/api/v1/jobs/{job_id}/share/"


def test_it_shares_a_finished_video_with_a_link_anyone_opens(api, video):
    """201 with absolute page and embed URLs; the page opens signed out."""
    answer = post_json(api, _share_url(video.job_id), {"allow_download": True})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["url"].startswith("http://testserver/s/") and body["embed"].endswith("/embed/")
    assert body["allow_download"] is True and body["expires_at"] is None
    page = Client().get(body["url"].removeprefix("http://testserver"))
    assert page.status_code == 200 and body["poster"] in page.content.decode()


def test_delete_revokes_every_link_at_once(api, video):
    """After DELETE, each link's page and video answer 404."""
    urls = [post_json(api, _share_url(video.job_id), {}).json() for _ in range(2)]
    answer = api.delete(_share_url(video.job_id))
    assert answer.status_code == 200 and answer.json() == {"revoked": 2}
    for url in urls:
        for address in (url["url"], url["video"]):
            assert Client().get(address.removeprefix("http://testserver")).status_code == 404


def test_a_read_token_cannot_share(read_api, video):
    """Sharing publishes the video: a read token is refused and no link is made."""
    assert post_json(read_api, _share_url(video.job_id), {}).status_code == 403
    assert read_api.delete(_share_url(video.job_id)).status_code == 403
    assert not ShareLink.objects.exists()


def test_another_workspaces_video_is_not_found(other_api, video):
    """Another workspace's token gets 404, as if the job did not exist."""
    assert post_json(other_api, _share_url(video.job_id), {}).status_code == 404
    assert other_api.delete(_share_url(video.job_id)).status_code == 404


def test_an_unfinished_video_and_a_past_expiry_are_problems(api, video):
    """Both are refused with a problem naming why; nothing is made."""
    past = post_json(api, _share_url(video.job_id), {"expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400 and past["Content-Type"] == "application/problem+json"
    Job.objects.filter(pk=video.job_id).update(status=Job.Status.RUNNING)
    running = post_json(api, _share_url(video.job_id), {})
    assert running.status_code == 400 and "finished" in running.json()["detail"]
    assert not ShareLink.objects.exists()
