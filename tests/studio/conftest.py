from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from studio import queueing, services
from studio.models import Job, Video
from studio.params import JobParams
from tests.conftest import make_png


@pytest.fixture
def no_queue() -> Any:
    """Unit tests check what is queued without a broker: the tasks sent are recorded.
    Yields run_job's (one job per message); run_jobs's (jobs sent together) is ``.together``."""
    apply_async, together = mock.Mock(), mock.Mock()

    def send_task(name: str, **options: Any) -> Any:
        return (together if name == queueing.RUN_JOBS else apply_async)(**options)

    with mock.patch("studio.queueing.send_task", side_effect=send_task):
        apply_async.return_value = mock.Mock(id="task-1")
        together.return_value = mock.Mock(id="task-together")
        apply_async.together = together
        yield apply_async


@pytest.fixture
def camera_params() -> JobParams:
    return JobParams(
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the product",
        negative_prompt="",
        width=256,
        height=256,
        num_frames=8,
        fps=8,
        steps=1,
        guidance=0.0,
        seed=7,
    )


@pytest.fixture
def asset(workspace: Any, user: Any) -> Any:
    from studio.forms.uploads import check_image

    upload = SimpleUploadedFile("product.png", make_png(), content_type="image/png")
    image = check_image(upload)
    return services.uploads.asset_create(workspace=workspace, user=user, upload=upload, image=image)


@pytest.fixture
def job(workspace: Any, user: Any, asset: Any, camera_params: Any, no_queue: Any) -> Job:
    return services.jobs.job_submit(
        workspace=workspace, user=user, params=camera_params, image=asset
    )


@pytest.fixture
def video(job: Job) -> Video:
    """The job, finished: a stored (tiny, fake) MP4 and poster, as a worker leaves them."""
    video = Video(
        job=job,
        workspace=job.workspace,
        width=8,
        height=8,
        fps=8,
        num_frames=8,
        duration=1.0,
        size_bytes=10,
    )
    video.file.save("clip.mp4", ContentFile(b"0123456789"), save=False)
    video.poster.save("clip.jpg", ContentFile(b"jpeg"), save=False)
    video.save()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    job.refresh_from_db()
    return video
