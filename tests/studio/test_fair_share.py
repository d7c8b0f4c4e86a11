"""Fair share between workspaces: a workspace has at most FAIR_SHARE_IN_FLIGHT messages per
queue sent and unfinished; the rest of its jobs wait, held, and are sent as those finish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from studio import queueing, services
from studio.batches import ParsedCsv
from studio.models import Job, Template, Workspace

pytestmark = pytest.mark.django_db


def _template(workspace: Workspace, prompt: str) -> Template:
    return Template.objects.create(
        workspace=workspace,
        name="Hello",
        mode="image-to-video",
        engine="camera-motion",
        prompt=prompt,
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        seed=3,
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
        overlays={"lower_third": {"name": "{first_name}"}},
    )


def _launch(workspace: Workspace, user: Any, template: Template, asset: Any, rows: int) -> None:
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[(n + 2, {"first_name": f"P{n}"}, {"first_name": f"P{n}"}) for n in range(rows)],
    )
    batch = services.batches.batch_create(
        workspace=workspace, user=user, template=template, parsed=parsed, image=asset
    )
    services.batches.batch_launch(batch=batch, user=user)


def _sent(no_queue: Any) -> list[int]:
    """The job ids sent so far, in order, one per message or several together."""
    calls = [*no_queue.call_args_list, *no_queue.together.call_args_list]
    ids: list[int] = []
    for call in calls:
        (first,) = call.kwargs["args"]
        ids.extend(first if isinstance(first, list) else [first])
    return ids


@pytest.fixture
def other(other_user: Any) -> Workspace:
    return services.workspaces.workspace_ensure_personal(user=other_user)


def test_a_batch_sends_only_its_workspaces_share_of_messages(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks, settings
):
    """Of a batch's rows, only FAIR_SHARE_IN_FLIGHT go to the broker; the rest wait, held."""
    settings.FAIR_SHARE_IN_FLIGHT = 2
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "a sign for {first_name}"), asset, rows=6)
    jobs = list(Job.objects.order_by("pk"))
    assert _sent(no_queue) == [jobs[0].pk, jobs[1].pk]
    assert [job.held for job in jobs] == [False, False, True, True, True, True]


def test_another_workspaces_job_is_sent_at_once_behind_a_batch(
    workspace, user, other, other_user, asset, camera_params, no_queue,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """A workspace with nothing in flight has its job sent straight away, so it waits behind
    one message of the batch, not behind all of its rows."""
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "a sign for {first_name}"), asset, rows=20)
        theirs = services.jobs.job_submit(
            workspace=other, user=other_user, params=camera_params, image=asset
        )
    batch_jobs = Job.objects.filter(workspace=workspace).order_by("pk")
    assert _sent(no_queue) == [batch_jobs[0].pk, theirs.pk]


def test_the_next_rows_are_sent_as_earlier_ones_finish(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks
):
    """When a worker is done with a message, its workspace's next held job is sent."""
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "a sign for {first_name}"), asset, rows=3)
    first, second, third = Job.objects.order_by("pk")
    queueing.release_after([first.pk])  # still queued: nothing more is sent
    assert _sent(no_queue) == [first.pk]
    Job.objects.filter(pk=first.pk).update(status=Job.Status.SUCCEEDED)
    queueing.release_after([first.pk])
    assert _sent(no_queue) == [first.pk, second.pk]
    Job.objects.filter(pk=second.pk).update(status=Job.Status.FAILED)
    queueing.release_all()  # the sweep does the same for a worker that died before releasing
    assert _sent(no_queue) == [first.pk, second.pk, third.pk]


def test_rows_that_share_footage_are_released_as_one_message(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks
):
    """Rows with the same generation request still go together, one message for the lot."""
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "the same sign for all"), asset, rows=5)
    ids = list(Job.objects.order_by("pk").values_list("pk", flat=True))
    assert not no_queue.called
    no_queue.together.assert_called_once_with(args=(ids,), queue="cpu", retry=False)
    assert not Job.objects.filter(held=True).exists()


def test_the_sweep_does_not_send_held_jobs_as_lost(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks
):
    """A held job was never sent on purpose; the lost-message sweep leaves it to release."""
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "a sign for {first_name}"), asset, rows=3)
    Job.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    held = set(Job.objects.filter(held=True).values_list("pk", flat=True))
    assert len(held) == 2
    resent = queueing.jobs_requeue_lost(in_broker=None)
    assert not held & set(resent)


def test_without_fair_share_every_row_is_sent_at_once(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks, settings
):
    """FAIR_SHARE off: the old way, every message sent on launch (the benchmark's baseline)."""
    settings.FAIR_SHARE = False
    with django_capture_on_commit_callbacks(execute=True):
        _launch(workspace, user, _template(workspace, "a sign for {first_name}"), asset, rows=4)
    assert len(_sent(no_queue)) == 4 and not Job.objects.filter(held=True).exists()
