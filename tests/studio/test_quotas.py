"""Quotas: a cap on a workspace's active jobs and its worker-seconds a month, per kind of
worker, checked on submission and batch launch under a lock, and shown to its owners."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from studio import selectors, services
from studio.batches import ParsedCsv
from studio.models import Batch, Job, Membership, Template, Workspace

pytestmark = pytest.mark.django_db


def _ran(workspace: Workspace, *, queue: str, seconds: float, ago: timedelta) -> Job:
    """A finished job that ran ``seconds`` on a worker, ending ``ago`` before now."""
    finished = timezone.now() - ago
    return Job.objects.create(
        workspace=workspace,
        mode="text-to-video",
        engine="embedded",
        queue=queue,
        prompt="a red ball",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=1,
        status=Job.Status.SUCCEEDED,
        started_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
    )


def _submit(workspace: Workspace, user: Any, asset: Any, camera_params: Any) -> Job:
    return services.jobs.job_submit(
        workspace=workspace, user=user, params=camera_params, image=asset
    )


def test_it_refuses_a_job_past_the_cap_of_active_jobs(
    workspace, user, asset, camera_params, no_queue, settings
):
    """At the cap, one more job is refused with a message that says so; nothing is stored."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 2
    _submit(workspace, user, asset, camera_params)
    _submit(workspace, user, asset, camera_params)
    with pytest.raises(ValidationError) as refused:
        _submit(workspace, user, asset, camera_params)
    assert refused.value.code == "too_many_active_jobs"
    assert refused.value.messages == [
        "This workspace has 2 active jobs, the most it may have at once; wait for some to finish."
    ]
    assert Job.objects.count() == 2


def test_finished_jobs_do_not_count_against_the_cap(
    workspace, user, asset, camera_params, no_queue, settings
):
    """Only queued and running jobs are active: once one ends, another may be submitted."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 1
    first = _submit(workspace, user, asset, camera_params)
    Job.objects.filter(pk=first.pk).update(status=Job.Status.SUCCEEDED)
    assert _submit(workspace, user, asset, camera_params).status == Job.Status.QUEUED


def test_a_workspaces_own_cap_overrides_the_default(
    workspace, user, asset, camera_params, no_queue, settings
):
    """A cap set on the workspace (in the admin) replaces the server's default."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 1
    Workspace.objects.filter(pk=workspace.pk).update(max_active_jobs=3)
    for _ in range(3):
        _submit(workspace, user, asset, camera_params)
    with pytest.raises(ValidationError, match="has 3 active jobs"):
        _submit(workspace, user, asset, camera_params)


def test_it_refuses_a_job_once_this_months_time_of_its_kind_is_used(
    workspace, user, asset, camera_params, no_queue, settings
):
    """A CPU job is refused when this month's CPU worker-seconds are spent, saying so."""
    settings.WORKSPACE_CPU_SECONDS_PER_MONTH = 3600
    _ran(workspace, queue="cpu", seconds=3600, ago=timedelta(seconds=1))
    with pytest.raises(ValidationError) as refused:
        _submit(workspace, user, asset, camera_params)
    assert refused.value.code == "quota_used"
    assert refused.value.messages == [
        "This month's CPU time is used: 3,600 of 3,600 worker-seconds; 0 left."
    ]


def test_gpu_time_does_not_use_the_cpu_quota(
    workspace, user, asset, camera_params, no_queue, settings
):
    """Worker-seconds count against the kind of the queue the job ran on."""
    settings.WORKSPACE_CPU_SECONDS_PER_MONTH = 3600
    _ran(workspace, queue="gpu-large", seconds=7200, ago=timedelta(seconds=1))
    _ran(workspace, queue="wan22-big", seconds=100, ago=timedelta(seconds=1))
    assert selectors.worker_seconds_this_month(workspace=workspace) == {"cpu": 0, "gpu": 7300}
    assert _submit(workspace, user, asset, camera_params).status == Job.Status.QUEUED


def test_only_jobs_run_this_calendar_month_count(workspace, settings):
    """A job that ran before the first of the month (UTC) is not in this month's usage."""
    start = selectors.month_start()
    _ran(workspace, queue="cpu", seconds=50, ago=timezone.now() - start + timedelta(hours=1))
    _ran(workspace, queue="cpu", seconds=30, ago=timedelta(seconds=0))
    assert selectors.worker_seconds_this_month(workspace=workspace)["cpu"] == 30


def test_a_running_job_counts_its_time_so_far(workspace):
    """A job still running counts from its start until now."""
    job = _ran(workspace, queue="cpu", seconds=0, ago=timedelta(0))
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        started_at=timezone.now() - timedelta(seconds=40),
        finished_at=None,
    )
    assert 40 <= selectors.worker_seconds_this_month(workspace=workspace)["cpu"] <= 45


# Batches ---------------------------------------------------------------------------------------


@pytest.fixture
def per_row_template(workspace: Workspace) -> Template:
    """A template whose prompt names the row: each row is its own generation."""
    return Template.objects.create(
        workspace=workspace,
        name="Per person",
        mode="image-to-video",
        engine="camera-motion",
        prompt="zoom in on a sign for {first_name}",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        seed=3,
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
    )


def _draft(workspace: Workspace, user: Any, template: Template, asset: Any, rows: int) -> Batch:
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[(n + 2, {"first_name": f"P{n}"}, {"first_name": f"P{n}"}) for n in range(rows)],
    )
    return services.batches.batch_create(
        workspace=workspace, user=user, template=template, parsed=parsed, image=asset
    )


def test_a_batch_past_the_cap_says_how_many_rows_fit_and_queues_nothing(
    workspace, user, asset, camera_params, per_row_template, no_queue, settings
):
    """A launch that would pass the cap of active jobs is refused whole, naming the room."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 5
    _submit(workspace, user, asset, camera_params)
    _submit(workspace, user, asset, camera_params)
    batch = _draft(workspace, user, per_row_template, asset, rows=4)
    with pytest.raises(ValidationError) as refused:
        services.batches.batch_launch(batch=batch, user=user)
    assert refused.value.code == "too_many_active_jobs"
    assert refused.value.messages == [
        "This batch has 4 rows, but the workspace has 2 active jobs of the 5 it may have at "
        "once: 3 rows fit. Wait for some to finish, or launch a smaller batch."
    ]
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT and Job.objects.count() == 2
    assert not batch.rows.filter(job__isnull=False).exists()


def test_a_batch_that_fits_is_launched(
    workspace, user, asset, per_row_template, no_queue, settings
):
    """A batch of exactly the room left is launched."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 4
    batch = services.batches.batch_launch(
        batch=_draft(workspace, user, per_row_template, asset, rows=4), user=user
    )
    assert batch.status == Batch.Status.LAUNCHED and Job.objects.count() == 4


def test_a_batch_needing_more_time_than_is_left_says_how_many_rows_fit(
    workspace, user, asset, per_row_template, no_queue, settings
):
    """The batch's estimated worker-seconds are held to this month's time left."""
    settings.WORKSPACE_CPU_SECONDS_PER_MONTH = 1000
    _ran(workspace, queue="cpu", seconds=900, ago=timedelta(seconds=1))
    batch = _draft(workspace, user, per_row_template, asset, rows=10)
    with (
        mock.patch.object(selectors.batches, "job_seconds_estimate", return_value=40.0),
        pytest.raises(ValidationError) as refused,
    ):
        services.batches.batch_launch(batch=batch, user=user)
    assert refused.value.code == "quota_exceeded"
    assert refused.value.messages == [
        "This batch needs about 400 CPU worker-seconds, but this month's CPU time has 100 of "
        "1,000 left (900 used): about 2 of its 10 rows fit."
    ]
    assert Job.objects.filter(batch_rows__batch=batch).count() == 0


def test_the_batch_page_shows_the_refusal(
    member_client, workspace, user, asset, per_row_template, no_queue, settings
):
    """Launching past the cap shows the reason on the batch's page."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 1
    batch = _draft(workspace, user, per_row_template, asset, rows=2)
    response = member_client.post(
        reverse("batch_launch", args=[workspace.pk, batch.pk]), follow=True
    )
    assert (
        "This batch has 2 rows, but the workspace has 0 active jobs of the 1 it may have at "
        "once: 1 row fits." in response.content.decode()
    )


# The lock --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (select_for_update does nothing); run with DATABASE_URL",
)
def test_two_submissions_at_once_cannot_both_pass_the_cap(
    workspace, user, asset, camera_params, no_queue, settings
):
    """Two threads, each with its own connection, submit at the same moment with room for
    one: the lock on the workspace's row makes the second count the first's job."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 1
    # Both submissions read the usage, then meet here before creating their job; with the
    # lock, the second cannot read until the first commits, so they never meet.
    met = threading.Barrier(2, timeout=2)
    read_usage = selectors.workspace_usage

    def usage_then_meet(**kwargs: Any) -> Any:
        usage = read_usage(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            met.wait()
        return usage

    outcomes: list[str] = []

    def submit() -> None:
        try:
            _submit(workspace, user, asset, camera_params)
            outcomes.append("queued")
        except ValidationError as exc:
            outcomes.append(exc.code or "")
        finally:
            connections.close_all()

    with mock.patch.object(selectors, "workspace_usage", side_effect=usage_then_meet):
        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(outcomes) == ["queued", "too_many_active_jobs"]
    assert Job.objects.filter(workspace=workspace).count() == 1


# The workspace page ----------------------------------------------------------------------------


def test_owners_see_the_workspaces_usage_on_its_page(member_client, workspace, settings):
    """The dashboard shows an owner the active jobs against the cap and this month's time."""
    settings.WORKSPACE_MAX_ACTIVE_JOBS = 20
    settings.WORKSPACE_GPU_SECONDS_PER_MONTH = 3600
    _ran(workspace, queue="gpu-large", seconds=1200, ago=timedelta(seconds=1))
    page = member_client.get(reverse("workspace_dashboard", args=[workspace.pk])).content.decode()
    assert "0 of 20 active jobs" in page
    assert "GPU: 1,200 of 3,600 worker-seconds used, 2,400 left" in page


def test_members_who_are_not_owners_do_not_see_usage(client, workspace, other_user):
    """An editor's view of the dashboard has no usage panel."""
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.EDITOR)
    client.force_login(other_user)
    page = client.get(reverse("workspace_dashboard", args=[workspace.pk])).content.decode()
    assert "worker-seconds" not in page and "active jobs" not in page


def test_a_superuser_sets_a_workspaces_quotas_in_the_admin(client, workspace, django_user_model):
    """The workspace's admin page has the quota fields; blank keeps the default."""
    admin_user = django_user_model.objects.create_superuser("root", "r@example.com", "pw-long-1")
    client.force_login(admin_user)
    url = reverse("admin:studio_workspace_change", args=[workspace.pk])
    form = client.get(url).content.decode()
    assert 'name="gpu_seconds_per_month"' in form and "Blank: the server's default" in form
    response = client.post(
        url,
        {
            "name": workspace.name,
            "personal_for": workspace.personal_for_id,
            "batch_row_limit": 500,
            "max_active_jobs": "7",
            "cpu_seconds_per_month": "",
            "gpu_seconds_per_month": "3600",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    workspace.refresh_from_db()
    assert (workspace.max_active_jobs, workspace.cpu_seconds_per_month) == (7, None)
    assert workspace.gpu_seconds_per_month == 3600
