from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from generation.engines import EngineSettings
from studio import queueing, services
from studio.models import Job
from studio.params import JobParams
from studio.worker import lease

pytestmark = pytest.mark.django_db


def test_it_stores_a_queued_job_with_every_parameter(
    workspace, user, asset, camera_params, no_queue
):
    """A submitted job is stored queued, with its parameters and seed."""
    job = services.jobs.job_submit(
        workspace=workspace, user=user, params=camera_params, image=asset
    )
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert (job.width, job.height, job.num_frames, job.fps, job.seed) == (256, 256, 8, 8, 7)
    assert job.image == asset
    assert job.queue == "cpu"


def test_it_queues_the_task_only_once_the_row_is_committed(
    workspace, user, asset, camera_params, no_queue, django_capture_on_commit_callbacks
):
    """The task is sent on commit, on the engine's queue, and its id is stored."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.jobs.job_submit(
            workspace=workspace, user=user, params=camera_params, image=asset
        )
        assert not no_queue.called
    for callback in callbacks:
        callback()
    no_queue.assert_called_once_with(args=(job.pk,), queue="cpu", retry=False)
    job.refresh_from_db()
    assert job.celery_task_id == "task-1"


def test_it_picks_a_random_seed_when_none_is_given(workspace, user, asset, camera_params, no_queue):
    """A blank seed becomes a random one, which is stored so the job can be reproduced."""
    seeds = {
        services.jobs.job_submit(
            workspace=workspace, user=user, params=replace(camera_params, seed=None), image=asset
        ).seed
        for _ in range(3)
    }
    assert len(seeds) > 1


def test_it_rejects_an_unknown_engine_and_stores_nothing(workspace, user, camera_params, no_queue):
    """An engine the registry does not know is refused before anything is written."""
    with pytest.raises(ValidationError, match="camera-motion"):
        services.jobs.job_submit(
            workspace=workspace, user=user, params=replace(camera_params, engine="nonesuch")
        )
    assert Job.objects.count() == 0


def test_it_rejects_an_unavailable_engine(workspace, user, camera_params, no_queue):
    """An engine without its weights is refused with the reason."""
    params = replace(camera_params, engine="wan2.1-t2v", mode="text-to-video")
    with pytest.raises(ValidationError, match=r"weights|model"):
        services.jobs.job_submit(workspace=workspace, user=user, params=params)
    assert Job.objects.count() == 0


def test_it_rejects_image_to_video_without_an_image(workspace, user, camera_params, no_queue):
    """Image-to-video with no image is refused."""
    with pytest.raises(ValidationError, match="needs an image"):
        services.jobs.job_submit(workspace=workspace, user=user, params=camera_params)


def test_it_cancels_a_queued_job_at_once(job: Any, no_queue):
    """A queued job is cancelled immediately; its message will be skipped by the worker."""
    services.jobs.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert lease.job_start(job_id=job.pk, worker="w@host:1") is None


def test_it_asks_a_running_job_to_stop(job: Any, no_queue):
    """A running job gets a cancel request and keeps running until its next step."""
    lease.job_start(job_id=job.pk, worker="w@host:1")
    services.jobs.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert job.cancel_requested


def test_it_reruns_with_the_same_or_a_new_seed(job: Any, user, no_queue):
    """A re-run copies every setting; the seed is kept or replaced as asked."""
    same = services.jobs.job_rerun(job=job, user=user, same_seed=True)
    new = services.jobs.job_rerun(job=job, user=user, same_seed=False)
    assert same.seed == job.seed and same.rerun_of == job
    assert (same.prompt, same.image, same.width, same.steps) == (
        job.prompt,
        job.image,
        job.width,
        job.steps,
    )
    assert new.prompt == job.prompt
    assert new.seed != job.seed


def test_a_job_submitted_while_the_queue_is_down_is_kept_and_sent_later(
    workspace, user, asset, camera_params, no_queue, django_capture_on_commit_callbacks
):
    """An unreachable broker does not lose the job: it waits, unsent, for the sweep."""
    no_queue.side_effect = ConnectionError("Redis is down")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.jobs.job_submit(
            workspace=workspace, user=user, params=camera_params, image=asset
        )
    job.refresh_from_db()
    assert (job.status, job.stage, job.enqueued_at) == (
        Job.Status.QUEUED,
        "waiting for the queue",
        None,
    )

    no_queue.side_effect = None
    assert queueing.jobs_requeue_lost(in_broker=None, grace_seconds=0) == [job.pk]
    job.refresh_from_db()
    assert job.celery_task_id == "task-1" and job.enqueued_at is not None
    assert queueing.jobs_requeue_lost(in_broker=None, grace_seconds=0) == []


def test_it_refuses_a_frame_count_the_model_cannot_make(
    workspace, user, no_queue, settings, tmp_path
):
    """An operator-named model folder's limits are checked at submit, saying what is valid."""
    from generation.testing import build_tiny_wan

    settings.ENGINE_SETTINGS = EngineSettings(
        model_paths={"my-wan": str(build_tiny_wan(tmp_path / "wan"))}
    )
    params = JobParams(
        mode="text-to-video",
        engine="my-wan",
        prompt="a red ball",
        negative_prompt="",
        width=256,
        height=256,
        num_frames=16,
        fps=16,
        steps=2,
        guidance=2.0,
        seed=1,
    )
    with pytest.raises(ValidationError, match="choose 13 or 17"):
        services.jobs.job_submit(workspace=workspace, user=user, params=params)
    assert Job.objects.count() == 0


def test_it_refuses_more_frames_than_a_built_in_engine_makes(workspace, user, no_queue):
    """A built-in engine's own frame limit is checked at submit too, not first on a worker."""
    params = JobParams(
        mode="text-to-video",
        engine="embedded",
        prompt="a red ball",
        negative_prompt="",
        width=256,
        height=256,
        num_frames=257,
        fps=8,
        steps=2,
        guidance=2.0,
        seed=1,
    )
    with pytest.raises(ValidationError, match=r"The frame count is 257; .* at most 256 frames"):
        services.jobs.job_submit(workspace=workspace, user=user, params=params)
    assert Job.objects.count() == 0
    assert not no_queue.called
