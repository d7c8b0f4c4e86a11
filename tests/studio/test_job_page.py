"""The job page shows each state as a user needs it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from studio import services
from studio.models import Job
from studio.worker import lease

pytestmark = pytest.mark.django_db


def _page(client: Any, job: Job) -> str:
    return client.get(reverse("job_detail", args=[job.workspace_id, job.pk])).content.decode()


def test_a_queued_job_shows_progress_and_a_cancel_button(member_client, job):
    """A queued job has the bar, the stage and a cancel button; no video yet."""
    html = _page(member_client, job)
    assert "<progress" in html and 'id="stage"' in html
    assert reverse("job_cancel", args=[job.workspace_id, job.pk]) in html
    assert 'id="result" hidden' in html


def test_a_failed_job_shows_its_reason(member_client, job):
    """The reason a job failed is on its page."""
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="The image was empty.")
    html = _page(member_client, job)
    assert "The image was empty." in html
    assert 'id="failure" class="errors" role="alert" hidden' not in html


def test_every_parameter_is_listed(member_client, job):
    """Size, frames, fps, steps, guidance and the seed used are all shown."""
    html = _page(member_client, job)
    for text in [
        "256 \u00d7 256",
        "8 at 8 fps",
        ">7<",
        "camera-motion",
        "slow zoom in on the product",
    ]:
        assert text in html, text


def test_cancel_and_rerun_buttons_work_from_the_page(member_client, job, no_queue):
    """Cancel stops a queued job; re-run with the same seed queues a copy."""
    member_client.post(reverse("job_cancel", args=[job.workspace_id, job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    response = member_client.post(
        reverse("job_rerun", args=[job.workspace_id, job.pk]), {"seed": "same"}
    )
    rerun = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("job_detail", args=[job.workspace_id, rerun.pk])
    assert rerun.seed == job.seed and rerun.status == Job.Status.QUEUED


def test_the_state_endpoint_returns_the_snapshot(member_client, job):
    """state.json is the same state the WebSocket snapshot sends."""
    lease.job_start(job_id=job.pk, worker="w@h:1")
    data = member_client.get(reverse("job_state", args=[job.workspace_id, job.pk])).json()
    assert data["status"] == "running" and data["job"] == job.pk


def test_a_queued_job_says_how_many_jobs_are_ahead(
    member_client, workspace, user, asset, camera_params, no_queue, job
):
    """A job waiting behind others on its queue says how many."""
    later = services.jobs.job_submit(
        workspace=workspace, user=user, params=camera_params, image=asset
    )
    data = member_client.get(reverse("job_state", args=[workspace.pk, later.pk])).json()
    assert data["stage"] == "queued · 1 job ahead"
    first = member_client.get(reverse("job_state", args=[workspace.pk, job.pk])).json()
    assert first["stage"] == "queued"


def test_an_unexpected_failure_shows_a_plain_reason_and_logs_the_exception(
    member_client, job, monkeypatch, caplog
):
    """Members read what happened and what to do; the exception is in the worker's log."""
    from generation.pipelines import image_to_video
    from studio.worker import run as worker_run

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("CUDA error: an illegal memory access at 0x7f3a")

    monkeypatch.setattr(image_to_video, "generate", crash)
    with caplog.at_level("ERROR"):
        worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    html = _page(member_client, job)
    state = member_client.get(reverse("job_state", args=[job.workspace_id, job.pk])).json()
    for shown in (html, str(state)):
        assert "The engine failed unexpectedly" in shown
        assert "RuntimeError" not in shown and "0x7f3a" not in shown
    assert "0x7f3a" in caplog.text and "Traceback" in caplog.text


def test_the_page_names_what_the_prompt_asked_that_the_model_cannot_use(member_client, job):
    """The embedded model's reading is shown: its attributes, then the words it understood
    but cannot use ("slowly") and the words it did not understand ("pizza")."""
    from generation.engines.embedded.vocabulary import understand

    reading = dict(understand("a red ball slowly moves from left to right with a pizza"))
    Job.objects.filter(pk=job.pk).update(details={"prompt_analysis": reading})
    html = _page(member_client, job)
    assert "What the prompt was understood as" in html
    for row in ("<dt>shape</dt><dd>circle</dd>", "<dt>motion</dt><dd>right</dd>"):
        assert row in html, row
    assert "<dt>not used</dt><dd>slowly</dd>" in html
    assert "<dt>not understood</dt><dd>pizza</dd>" in html
