"""A page that opens its live socket after jobs have finished still shows them finished.

Jobs can end between the moment a page is rendered and the moment its WebSocket opens (a batch's
shared rows end milliseconds after their footage is made). No message reaches the page for them,
and the workspace snapshot lists active jobs only, so the page fetches itself again on the
snapshot. Here the jobs are finished, silently, while the browser waits for the page's script.
"""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest

from studio import services
from studio.batches import ParsedCsv
from studio.models import Job, Template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_jobs_that_end_before_the_socket_opens_are_shown_ended(
    page: Any, live_server_url: str, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user(username="maya", password="a-long-passphrase")
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    template = Template.objects.create(
        workspace=workspace,
        name="Hello",
        mode="text-to-video",
        engine="embedded",
        prompt="a slow zoom",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
        overlays={"lower_third": {"name": "{first_name}"}},
    )
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[
            (2, {"first_name": "Ana"}, {"first_name": "Ana"}),
            (3, {"first_name": "Bo"}, {"first_name": "Bo"}),
        ],
    )
    batch = services.batches.batch_create(
        workspace=workspace, user=user, template=template, parsed=parsed
    )
    with mock.patch("studio.queueing.enqueue_shared"), mock.patch("studio.queueing.enqueue"):
        services.batches.batch_launch(batch=batch, user=user)
    jobs = Job.objects.filter(batch_rows__batch=batch)
    Job.objects.filter(pk=jobs.order_by("pk").first().pk).update(status=Job.Status.RUNNING)

    page.goto(f"{live_server_url}/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", "a-long-passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")

    def finish_then_serve(route: Any) -> None:
        # The page is rendered and its socket not yet open: the jobs end, with no message.
        jobs.update(status=Job.Status.SUCCEEDED, stage="done")
        route.continue_()

    page.route("**/static/js/gallery.js*", finish_then_serve)
    page.goto(f"{live_server_url}/w/{workspace.pk}/batches/{batch.pk}/")
    assert "1 running" in page.inner_text("#batch-progress")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "2 done" not in page.inner_text("#batch-progress"):
        time.sleep(0.2)
    assert "2 done" in page.inner_text("#batch-progress"), page.inner_text("#batch-progress")
