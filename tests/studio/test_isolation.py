"""Another user, in another workspace, can reach nothing of this one: every URL is a 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from studio import services
from studio.asgi import application
from studio.models import Job, Membership, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_job(video: Video) -> Job:
    return video.job


def _urls(job: Job) -> list[tuple[str, str]]:
    ws, pk = job.workspace_id, job.pk
    video = job.video
    return [
        ("get", reverse("workspace_dashboard", args=[ws])),
        ("get", reverse("job_new", args=[ws])),
        ("post", reverse("job_new", args=[ws])),
        ("get", reverse("gallery", args=[ws])),
        ("get", reverse("job_detail", args=[ws, pk])),
        ("get", reverse("job_state", args=[ws, pk])),
        ("post", reverse("job_cancel", args=[ws, pk])),
        ("post", reverse("job_rerun", args=[ws, pk])),
        ("get", reverse("video_download", args=[ws, pk])),
        ("get", reverse("file", args=[video.file.name])),
        ("get", reverse("file", args=[video.poster.name])),
        ("get", reverse("file", args=[job.image.file.name])),
        ("post", reverse("share_create", args=[ws, pk])),
        ("post", reverse("comment_create", args=[ws, pk])),
        ("post", reverse("review_state", args=[ws, pk])),
    ]


def test_a_member_reaches_every_url(member_client, finished_job):
    """The owner gets each page, download and file (the control for the test below)."""
    for method, url in _urls(finished_job):
        if method == "get":
            assert member_client.get(url).status_code == 200, url


def test_another_user_gets_404_everywhere(client, other_user, finished_job):
    """A signed-in user of another workspace gets 404 for every page, download and file."""
    services.workspaces.workspace_ensure_personal(user=other_user)
    client.force_login(other_user)
    for method, url in _urls(finished_job):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    finished_job.refresh_from_db()
    assert finished_job.status == Job.Status.SUCCEEDED
    assert Job.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, finished_job):
    """Without a session every page redirects to the sign-in page."""
    for method, url in _urls(finished_job):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def _ws_connect(user: Any, path: str) -> tuple[bool, Any]:
    """Open a socket as ``user``: (accepted, the first message or the close code)."""

    async def go() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"origin", b"http://127.0.0.1")]
        )
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        first = await communicator.receive_output() if connected else None
        await communicator.disconnect()
        if first and first["type"] == "websocket.close":
            return connected, first["code"]
        return connected, first and json.loads(first["text"])

    return async_to_sync(go)()


@pytest.mark.django_db(transaction=True)
def test_the_websocket_refuses_a_non_member(other_user, job):
    """The workspace and job streams close on a non-member with 4403, before sending anything."""
    assert _ws_connect(other_user, f"/ws/workspaces/{job.workspace_id}/") == (True, 4403)
    assert _ws_connect(other_user, f"/ws/workspaces/{job.workspace_id}/jobs/{job.pk}/") == (
        True,
        4403,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream", ["workspace", "job"])
def test_a_member_removed_from_the_workspace_is_closed_out(user, other_user, job, stream):
    """Removing a member closes their open sockets on that workspace with 4403; others stay."""
    services.workspaces.membership_add(workspace=job.workspace, user=other_user, role="viewer")
    path = f"/ws/workspaces/{job.workspace_id}/"
    if stream == "job":
        path += f"jobs/{job.pk}/"

    async def go() -> tuple[Any, Any]:
        sockets = []
        for who in (other_user, user):
            communicator = WebsocketCommunicator(
                application, path, headers=[(b"origin", b"http://127.0.0.1")]
            )
            communicator.scope["user"] = who
            assert (await communicator.connect())[0]
            assert (await communicator.receive_json_from())["type"] == "snapshot"
            sockets.append(communicator)
        removed = await database_sync_to_async(Membership.objects.get)(
            workspace_id=job.workspace_id, user=other_user
        )
        await database_sync_to_async(services.workspaces.membership_remove)(membership=removed)
        closed = await sockets[0].receive_output(timeout=5)
        stays = await sockets[1].receive_nothing(timeout=0.5)
        for communicator in sockets:
            await communicator.disconnect()
        return closed, stays

    closed, stays = async_to_sync(go)()
    assert closed == {"type": "websocket.close", "code": 4403}
    assert stays


@pytest.mark.django_db(transaction=True)
def test_the_websocket_sends_a_member_a_snapshot_first(user, job):
    """A member is accepted and first receives the job's true state."""
    connected, first = _ws_connect(user, f"/ws/workspaces/{job.workspace_id}/jobs/{job.pk}/")
    assert connected
    assert first["type"] == "snapshot" and first["jobs"][0]["job"] == job.pk
    assert first["jobs"][0]["status"] == "queued"


@pytest.mark.django_db(transaction=True)
def test_relayed_messages_reach_the_socket_without_a_database_hop(user, job, monkeypatch):
    """A progress message sent to the workspace group arrives as sent, and dispatching it does
    not close database connections (a thread hop per message per socket); connecting still does."""
    from channels import consumer as channels_consumer
    from channels.layers import get_channel_layer

    from studio import live

    hops: list[str] = []
    real = channels_consumer.aclose_old_connections

    async def counted() -> None:
        hops.append("hop")
        await real()

    monkeypatch.setattr(channels_consumer, "aclose_old_connections", counted)

    async def go() -> Any:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/workspaces/{job.workspace_id}/",
            headers=[(b"origin", b"http://127.0.0.1")],
        )
        communicator.scope["user"] = user
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from())["type"] == "snapshot"
        connecting = len(hops)
        message = {"type": "job.progress", "job": job.pk, "step": 3, "total": 8}
        await get_channel_layer().group_send(live.workspace_group(job.workspace_id), message)
        received = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return connecting, received

    connecting, received = async_to_sync(go)()
    assert connecting >= 1  # the connect still closes stale connections first
    assert received == {"type": "job.progress", "job": job.pk, "step": 3, "total": 8}
    assert len(hops) == connecting + 1  # the disconnect's, not the relayed message's
