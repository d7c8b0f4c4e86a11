"""Shared work is done once: rows whose generation request is the same share one generation."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from generation import overlays, render
from studio import selectors, services
from studio.batches import ParsedCsv
from studio.models import Batch, BatchRow, Generation, Job, Template, Video
from studio.params import JobParams
from studio.worker import run as worker_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def greeting(workspace: Any) -> Template:
    """The footage is the same for everyone; only the lower third names the person."""
    return Template.objects.create(
        workspace=workspace,
        name="Greeting",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the storefront",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=None,
        fields=[
            {
                "name": "first_name",
                "label": "Name",
                "type": "text",
                "required": True,
                "max_length": 40,
            }
        ],
        overlays={
            "lower_third": {"name": "Hello {first_name}"},
            "end_card": {"cta": "Visit", "seconds": 0.5},
        },
    )


def _batch(workspace: Any, user: Any, template: Template, asset: Any, names: list[str]) -> Batch:
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[
            (n, {"first_name": name}, {"first_name": name}) for n, name in enumerate(names, start=2)
        ],
    )
    batch = services.batches.batch_create(
        workspace=workspace, user=user, template=template, parsed=parsed, image=asset
    )
    return services.batches.batch_launch(batch=batch, user=user)


def test_rows_that_differ_only_in_overlays_have_one_generation_key(
    workspace, user, greeting, asset, no_queue
):
    """A batch picks one seed for all rows when the template has none, so their keys match."""
    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy"])
    jobs = [row.job for row in BatchRow.objects.filter(batch=batch).select_related("job")]
    assert len({job.seed for job in jobs}) == 1
    assert len({job.generation_key for job in jobs}) == 1 and jobs[0].generation_key


def test_a_different_prompt_or_seed_makes_a_different_key(
    workspace, user, asset, camera_params, no_queue
):
    """The key covers everything the engine sees."""
    a = services.jobs.job_submit(workspace=workspace, user=user, params=camera_params, image=asset)
    b = services.jobs.job_submit(workspace=workspace, user=user, params=camera_params, image=asset)
    other_seed = JobParams(**{**camera_params.__dict__, "seed": 8})
    other_prompt = JobParams(**{**camera_params.__dict__, "prompt": "pan left"})
    c = services.jobs.job_submit(workspace=workspace, user=user, params=other_seed, image=asset)
    d = services.jobs.job_submit(workspace=workspace, user=user, params=other_prompt, image=asset)
    assert a.generation_key == b.generation_key
    assert len({a.generation_key, c.generation_key, d.generation_key}) == 3


def test_n_rows_run_the_engine_once(
    client, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """Three rows: one generation; every row gets its own video with its own overlays."""
    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy"])
    real = worker_run._run_pipeline
    with mock.patch("studio.worker.run._run_pipeline", side_effect=real) as pipeline:
        for row in BatchRow.objects.filter(batch=batch):
            worker_run.job_run(job_id=row.job_id, worker="test-host:1")
    assert pipeline.call_count == 1
    assert Generation.objects.count() == 1
    generation = Generation.objects.get()
    jobs = list(Job.objects.filter(batch_rows__batch=batch))
    assert all(job.status == Job.Status.SUCCEEDED for job in jobs), [j.error for j in jobs]
    assert all(job.generation_id == generation.pk for job in jobs)
    videos = Video.objects.filter(job__in=jobs)
    assert len({v.file.name for v in videos}) == 3
    assert {v.num_frames for v in videos} == {12}  # 8 frames of footage and a 0.5 s end card
    assert render.probe(Path(videos[0].file.path)).frames == 12
    source = generation.source_job_id
    last = jobs[-1] if jobs[-1].pk != source else jobs[0]
    client.force_login(user)
    html = client.get(reverse("job_detail", args=[workspace.pk, last.pk])).content.decode()
    assert "Shared: generated once" in html and f"job {source}" in html


def test_a_job_without_overlays_stores_no_shared_footage(job, in_memory_layer):
    """Plain jobs keep one copy of their video, as before."""
    worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and not Generation.objects.exists()


def test_the_estimate_counts_shared_generations_once(
    member_client, workspace, user, greeting, asset
):
    """Three rows with the same footage are estimated as one generation."""
    parsed = ParsedCsv(
        header=["first_name"],
        mapping={"first_name": "first_name"},
        rows=[
            (n, {"first_name": x}, {"first_name": x}) for n, x in [(2, "Ana"), (3, "Bo"), (4, "Cy")]
        ],
    )
    batch = services.batches.batch_create(
        workspace=workspace, user=user, template=greeting, parsed=parsed, image=asset
    )
    assert selectors.batch_generations(batch=batch) == 1
    html = member_client.get(
        reverse("batch_detail", args=[workspace.pk, batch.pk])
    ).content.decode()
    assert "generated 1 time and shared" in html
    Template.objects.filter(pk=greeting.pk).update(prompt="zoom in on a sign for {first_name}")
    batch.refresh_from_db()
    assert selectors.batch_generations(batch=batch) == 3


def test_a_launch_sends_the_rows_that_share_footage_in_one_message(
    workspace, user, greeting, asset, no_queue, django_capture_on_commit_callbacks
):
    """One worker gets them all, so the footage is made and decoded once."""
    with django_capture_on_commit_callbacks(execute=True):
        batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy"])
    jobs = list(Job.objects.filter(batch_rows__batch=batch).order_by("pk"))
    assert not no_queue.called
    no_queue.together.assert_called_once_with(
        args=([job.pk for job in jobs],), queue="cpu", retry=False
    )
    assert {job.celery_task_id for job in jobs} == {"task-together"}
    assert all(job.enqueued_at is not None for job in jobs)


def test_rows_with_their_own_footage_are_sent_one_by_one(
    workspace, user, asset, no_queue, django_capture_on_commit_callbacks, settings
):
    """Rows whose prompts differ share nothing: a message each, so any worker may take them."""
    settings.FAIR_SHARE_IN_FLIGHT = 2  # room for both rows at once (see test_fair_share.py)
    template = Template.objects.create(
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
        fields=[{"name": "first_name", "label": "Name", "type": "text", "required": True}],
        overlays={"lower_third": {"name": "{first_name}"}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        _batch(workspace, user, template, asset, ["Ana", "Bo"])
    assert no_queue.call_count == 2 and not no_queue.together.called


def _run_together(batch: Batch) -> tuple[list[Job], mock.Mock, mock.Mock]:
    ids = list(
        Job.objects.filter(batch_rows__batch=batch).order_by("pk").values_list("pk", flat=True)
    )
    real_pipeline, real_read = worker_run._run_pipeline, overlays.read_frames
    with (
        mock.patch("studio.worker.run._run_pipeline", side_effect=real_pipeline) as pipeline,
        mock.patch("generation.overlays.read_frames", side_effect=real_read) as read,
    ):
        worker_run.jobs_run(job_ids=ids, worker="test-host:1")
    return list(Job.objects.filter(pk__in=ids).order_by("pk")), pipeline, read


def test_rows_sent_together_make_and_decode_the_footage_once(
    settings, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """Four rows in one message: the engine runs once, the footage is decoded twice (by the
    row that made it, and once for the other three), and each row has its own name on it."""
    settings.ROW_THREADS = 1
    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy", "Di"])
    jobs, pipeline, read = _run_together(batch)
    assert all(job.status == Job.Status.SUCCEEDED for job in jobs), [j.error for j in jobs]
    assert pipeline.call_count == 1 and read.call_count == 2
    generation = Generation.objects.get()
    assert {job.generation_id for job in jobs} == {generation.pk}
    assert ["shared_generation" in job.details for job in jobs] == [False, True, True, True]
    videos = [Video.objects.get(job=job) for job in jobs]
    assert len({Path(v.file.path).read_bytes() for v in videos}) == 4, "the names differ"
    assert {render.probe(Path(v.file.path)).frames for v in videos} == {12}


def test_a_row_cancelled_while_waiting_is_skipped_and_the_rest_are_made(
    settings, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """Cancelling one row of the message leaves the others to finish."""
    settings.ROW_THREADS = 1
    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy"])
    second = Job.objects.filter(batch_rows__batch=batch).order_by("pk")[1]
    services.jobs.job_cancel(job=second)
    jobs, pipeline, _ = _run_together(batch)
    assert [job.status for job in jobs] == [
        Job.Status.SUCCEEDED,
        Job.Status.CANCELLED,
        Job.Status.SUCCEEDED,
    ]
    assert pipeline.call_count == 1 and not Video.objects.filter(job=second).exists()


@pytest.mark.django_db(transaction=True)
def test_rows_are_drawn_two_at_a_time_each_with_its_own_lease(
    settings, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """Eleven rows: the first makes the footage, the other ten are leased and stored in
    chunks (of 8, then 2) and drawn two at a time; every row succeeds once, under this
    worker's lease, with its own video."""
    settings.ROW_THREADS = 2
    batch = _batch(workspace, user, greeting, asset, [f"Row {n}" for n in range(11)])
    jobs, pipeline, read = _run_together(batch)
    assert all(job.status == Job.Status.SUCCEEDED for job in jobs), [j.error for j in jobs]
    assert {job.attempts for job in jobs} == {1} and {job.lease_owner for job in jobs} == {
        "test-host:1"
    }
    assert pipeline.call_count == 1 and read.call_count == 2
    videos = Video.objects.filter(job__in=jobs)
    assert videos.count() == 11 and len({v.size_bytes for v in videos}) > 1
    assert all(Path(v.file.path).is_file() and Path(v.poster.path).is_file() for v in videos)
    assert {job.generation_id for job in jobs} == {Generation.objects.get().pk}


def test_a_row_whose_overlays_fail_fails_alone(
    settings, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """One row's drawing raises: that row fails with the reason, the others succeed."""
    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy", "Di"])
    real = overlays.apply

    def apply(frames, *, fps, spec, brand):
        if spec.lower_third is not None and spec.lower_third.name == "Hello Cy":
            raise RuntimeError("the font went missing")
        return real(frames, fps=fps, spec=spec, brand=brand)

    with mock.patch("generation.overlays.apply", side_effect=apply):
        jobs, _, _ = _run_together(batch)
    assert [job.status for job in jobs] == ["succeeded", "succeeded", "failed", "succeeded"]
    assert "the font went missing" in jobs[2].error and jobs[2].finished_at is not None
    assert not Video.objects.filter(job=jobs[2]).exists()


def test_a_row_another_worker_holds_is_left_to_it(
    settings, workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """A message delivered twice: a row running under another live lease is not run again."""
    from datetime import timedelta

    from django.utils import timezone

    batch = _batch(workspace, user, greeting, asset, ["Ana", "Bo", "Cy"])
    held = Job.objects.filter(batch_rows__batch=batch).order_by("pk")[2]
    Job.objects.filter(pk=held.pk).update(
        status=Job.Status.RUNNING,
        attempts=1,
        lease_owner="other-host:7",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    jobs, _, _ = _run_together(batch)
    assert [job.status for job in jobs] == ["succeeded", "succeeded", "running"]
    assert jobs[2].lease_owner == "other-host:7" and jobs[2].attempts == 1
    assert not Video.objects.filter(job=held).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_with_the_same_request_make_the_footage_once(
    workspace, user, greeting, asset, no_queue, in_memory_layer
):
    """Worker 1 is making the footage when worker 2 starts a job of the same request:
    worker 2 waits (saying so) and reuses it, instead of generating it again."""
    import threading
    import time

    first = services.templates.template_submit(
        template=greeting,
        workspace=workspace,
        user=user,
        values={"first_name": "Ana"},
        image=asset,
        seed=5,
    )
    second = services.templates.template_submit(
        template=greeting,
        workspace=workspace,
        user=user,
        values={"first_name": "Bo"},
        image=asset,
        seed=5,
    )
    assert first.generation_key == second.generation_key
    real = worker_run._run_pipeline
    making = threading.Event()
    stages: list[str] = []

    def slow_pipeline(*args, **kwargs):
        making.set()
        time.sleep(2.5)  # long enough for the second worker to find it running
        return real(*args, **kwargs)

    def watch():
        from django import db

        try:
            while not making.is_set() or Job.objects.filter(pk=second.pk, status="queued").exists():
                time.sleep(0.05)
            for _ in range(40):
                stages.append(Job.objects.get(pk=second.pk).stage)
                time.sleep(0.05)
        finally:
            db.connections.close_all()  # each thread has its own connection

    def run(job_id, worker):
        from django import db

        try:
            worker_run.job_run(job_id=job_id, worker=worker)
        finally:
            db.connections.close_all()

    with mock.patch("studio.worker.run._run_pipeline", side_effect=slow_pipeline) as pipeline:
        one = threading.Thread(target=run, args=(first.pk, "host-1:1"))
        one.start()
        assert making.wait(30)
        two = threading.Thread(target=run, args=(second.pk, "host-2:1"))
        watcher = threading.Thread(target=watch)
        two.start()
        watcher.start()
        for thread in (one, two, watcher):
            thread.join(60)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("succeeded", "succeeded"), (first.error, second.error)
    assert pipeline.call_count == 1 and Generation.objects.count() == 1
    assert second.details["shared_generation"] == first.generation_key
    assert f"waiting for job {first.pk}'s footage" in stages
