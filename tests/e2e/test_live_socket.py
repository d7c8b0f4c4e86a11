"""The live socket as a page sees it: a removed member is closed out for good, and a snapshot
that matches the page changes nothing on it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from studio import services
from studio.models import Job, Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _users(django_user_model: Any) -> tuple[Any, Any]:
    owner = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    viewer = django_user_model.objects.create_user(username="otto", password="a-long-passphrase")
    return owner, viewer


def test_a_member_removed_while_watching_is_told_and_the_page_stops_reconnecting(
    page: Any, live_server_url: str, django_user_model: Any
) -> None:
    """The dashboard of a workspace the viewer was removed from says so and opens no new socket."""
    owner, viewer = _users(django_user_model)
    workspace = services.workspaces.workspace_create(name="Launch team", owner=owner)
    services.workspaces.membership_add(workspace=workspace, user=viewer, role="viewer")
    _sign_in(page, live_server_url, "otto")
    page.goto(f"{live_server_url}/w/{workspace.pk}/")
    page.wait_for_selector("body[data-live=connected]")
    reopened: list[Any] = []
    page.on("websocket", lambda socket: reopened.append(socket))

    membership = Membership.objects.get(workspace=workspace, user=viewer)
    services.workspaces.membership_remove(membership=membership)

    page.wait_for_selector("#live-refused", timeout=10_000)
    assert "no longer a member" in page.inner_text("#live-refused")
    time.sleep(3)  # back-off would have reconnected twice by now
    assert reopened == []
    assert page.evaluate("document.body.dataset.live") == "refused"


def test_a_snapshot_that_matches_the_page_fetches_nothing(
    page: Any, live_server_url: str, django_user_model: Any
) -> None:
    """A running job on the dashboard, unchanged when the socket opens: no fetch of the page."""
    owner, _ = _users(django_user_model)
    workspace = services.workspaces.workspace_ensure_personal(user=owner)
    Job.objects.create(
        workspace=workspace,
        created_by=owner,
        mode="text-to-video",
        engine="embedded",
        prompt="a red ball rolls",
        status=Job.Status.RUNNING,
        stage="denoising",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=2.0,
        seed=1,
        queue="cpu",
    )
    _sign_in(page, live_server_url, "maya")
    dashboard = f"{live_server_url}/w/{workspace.pk}/"
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if r.url == dashboard else None)
    page.goto(dashboard)
    page.wait_for_selector("body[data-live=connected]")
    time.sleep(2.5)  # a refresh is debounced by one second
    assert fetched == [dashboard]  # the navigation itself, and no fetch after it
