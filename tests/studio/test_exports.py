"""Exports on a video's page and the job editor's post-steps: who may, what is refused, what a
worker makes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.urls import reverse

from generation import render
from studio import queueing, services
from studio.models import Export, Job, Membership, Video
from studio.worker import exports as worker_exports
from studio.worker import run as worker_run
from tests.generation.test_exports import write_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _ask(client: Any, video: Video, kind: str = "tiktok", reframe: str = "blur") -> Any:
    job = video.job
    return client.post(
        reverse("export_create", args=[job.workspace_id, job.pk]),
        {"kind": kind, "reframe": reframe},
    )


def _page(client: Any, video: Video) -> str:
    job = video.job
    response = client.get(reverse("job_detail", args=[job.workspace_id, job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _viewer(client: Any, other_user: Any, video: Video) -> Any:
    services.workspaces.membership_add(
        workspace=video.workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    return client


def _real_clip(video: Video, tmp_path: Path, *, frames: int = 16) -> Video:
    """Give the video a real 2 s MP4 and poster, as a worker leaves them."""
    clip = write_clip(tmp_path / "clip.mp4", frames=frames)
    with clip.open("rb") as mp4, clip.with_suffix(".jpg").open("rb") as jpg:
        video.file.save("real.mp4", File(mp4), save=False)
        video.poster.save("real.jpg", File(jpg), save=False)
    video.width, video.height, video.duration = 128, 96, frames / 8
    video.save()
    return video


def test_an_editor_asks_for_a_tiktok_export_and_a_cpu_worker_is_sent_it(
    member_client, video, no_queue, django_capture_on_commit_callbacks
):
    """The export is stored queued, and sent by name to the cpu queue once committed."""
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(member_client, video, "tiktok", "crop")
    assert response.status_code == 302
    assert response["Location"].endswith("#exports")
    export = Export.objects.get()
    assert (export.video, export.kind, export.reframe, export.status) == (
        video,
        "tiktok",
        "crop",
        Export.Status.QUEUED,
    )
    no_queue.assert_called_once_with(args=(export.pk,), queue=queueing.ARCHIVE_QUEUE, retry=True)
    assert f'data-export="{export.pk}"' in _page(member_client, video)


def test_asking_again_for_the_same_export_uses_the_one_there(member_client, video, no_queue):
    """The same kind and framing is made once; another framing is another export."""
    _ask(member_client, video, "youtube", "blur")
    _ask(member_client, video, "youtube", "blur")
    _ask(member_client, video, "youtube", "crop")
    assert sorted(Export.objects.values_list("reframe", flat=True)) == ["blur", "crop"]


def test_a_format_keeps_the_videos_own_frame(member_client, video, no_queue):
    """A WebM or a GIF is not re-framed, whatever the form says."""
    _ask(member_client, video, "webm", "crop")
    assert Export.objects.get().reframe == ""


def test_viewers_cannot_start_exports(client, other_user, video, no_queue):
    """A viewer gets 403 and nothing is stored; the page shows no export form."""
    viewer = _viewer(client, other_user, video)
    assert _ask(viewer, video).status_code == 403
    assert not Export.objects.exists()
    html = _page(viewer, video)
    assert 'id="exports"' in html and 'id="export-form"' not in html


def test_non_members_get_404_for_every_export_page(client, other_user, video, tmp_path):
    """Asking, the states and the download are all 404 to someone outside the workspace."""
    export = Export.objects.create(video=video, kind="mp4", status=Export.Status.READY)
    export.file.save("x.mp4", File((tmp_path / "x").open("wb+")), save=True)
    client.force_login(other_user)
    job = video.job
    args = [job.workspace_id, job.pk]
    assert _ask(client, video).status_code == 404
    assert client.get(reverse("export_states", args=args)).status_code == 404
    download = reverse("export_download", args=[*args, export.pk])
    assert client.get(download).status_code == 404
    assert client.get(reverse("file", args=[export.file.name])).status_code == 404
    assert not Export.objects.exclude(pk=export.pk).exists()


@pytest.mark.parametrize(
    ("kind", "reframe", "field", "message"),
    [
        ("myspace", "blur", "kind", "There is no export called myspace."),
        ("tiktok", "stretch", "reframe", "There is no re-framing called stretch."),
        ("instagram-reels", "blur", "kind", "takes videos at least 3 s long; this one is 1 s."),
    ],
)
def test_a_bad_export_is_refused_next_to_its_field(
    member_client, video, no_queue, kind, reframe, field, message
):
    """An unknown preset or framing, or a clip out of the platform's limits: 400, nothing made."""
    response = _ask(member_client, video, kind, reframe)
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index(f'id="error-{field}"')
    assert message in html[start : start + 300]
    assert not Export.objects.exists()
    no_queue.assert_not_called()


def test_the_worker_makes_a_tiktok_export_that_downloads_as_1080x1920(
    member_client, video, no_queue, tmp_path
):
    """Made on the worker from the stored video, kept, listed and downloaded by a member."""
    _real_clip(video, tmp_path)
    _ask(member_client, video, "tiktok", "blur")
    export = worker_exports.export_make(export_id=Export.objects.get().pk)
    assert export is not None and export.status == Export.Status.READY, export and export.error
    assert (export.width, export.height) == (1080, 1920)
    assert export.size_bytes == export.file.size
    html = _page(member_client, video)
    url = reverse("export_download", args=[video.workspace_id, video.job_id, export.pk])
    assert f'href="{url}"' in html
    response = member_client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    saved = tmp_path / "downloaded.mp4"
    saved.write_bytes(b"".join(response.streaming_content))
    info = render.probe(saved)
    assert (info.width, info.height) == (1080, 1920)
    states = member_client.get(reverse("export_states", args=[video.workspace_id, video.job_id]))
    assert states.json()["exports"][0]["download"] == url


def test_a_second_delivery_of_an_export_does_nothing(member_client, video, no_queue, tmp_path):
    """An export already taken by a worker is not made twice."""
    _ask(member_client, video, "mp4")
    export = Export.objects.get()
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)
    made = worker_exports.export_make(export_id=export.pk)
    assert made is not None and made.status == Export.Status.RUNNING
    assert not made.file


def test_an_export_that_cannot_be_made_keeps_its_reason(member_client, video, no_queue):
    """The stored video is not a real MP4 here: the export fails with ffmpeg's reason, shown."""
    _ask(member_client, video, "webm")
    export = worker_exports.export_make(export_id=Export.objects.get().pk)
    assert export is not None and export.status == Export.Status.FAILED
    assert export.error.startswith("ffmpeg could not make it")
    assert export.error in _page(member_client, video).replace("&#x27;", "'")


# The job editor's post-steps -----------------------------------------------------------------


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "mode": "text-to-video",
        "prompt": "a red ball bounces on green grass",
        "engine": "embedded",
        "aspect": "1:1",
        "size": "small",
        "num_frames": 16,
        "fps": 8,
        "steps": 4,
        "guidance": 5.0,
        "interpolate": "2",
        "upscale": "2",
    }
    return {**data, **changes}


def test_the_editor_keeps_smooth_motion_and_upscale_on_the_job(member_client, workspace, no_queue):
    """Both choices go from the form to the row, and a re-run keeps them."""
    response = member_client.post(reverse("job_new", args=[workspace.pk]), _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get()
    assert (job.interpolate, job.upscale) == (2, 2)
    again = services.jobs.job_rerun(job=job, user=job.created_by, same_seed=True)
    assert (again.interpolate, again.upscale) == (2, 2)


def test_smooth_motion_past_the_frame_rate_limit_is_refused_next_to_it(
    member_client, workspace, no_queue
):
    """30 fps x3 would be 90 fps: 400, the message by Smooth motion, nothing queued."""
    response = member_client.post(
        reverse("job_new", args=[workspace.pk]), _form(fps=30, interpolate="3", upscale="1")
    )
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index('id="error-interpolate"')
    assert "would be 90 fps; at most 60 fps is made." in html[start : start + 200]
    assert not Job.objects.exists()


def test_the_worker_runs_the_post_steps_with_their_own_stages(
    workspace, user, asset, camera_params, no_queue, in_memory_layer, monkeypatch
):
    """A smoothed, upscaled job's video has twice the frames and twice each side."""
    stages: list[str] = []
    real = worker_run.ProgressReporter.__call__

    def record(self: Any, step: int, total: int, preview: Any = None, stage: str = "") -> None:
        stages.append(stage)
        real(self, step, total, preview, stage)

    monkeypatch.setattr(worker_run.ProgressReporter, "__call__", record)
    params = dataclasses.replace(camera_params, interpolate=2, upscale=2)
    job = services.jobs.job_submit(workspace=workspace, user=user, params=params, image=asset)
    worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    video = job.video
    assert (video.width, video.height, video.num_frames, video.fps) == (512, 512, 16, 16)
    assert "smoothing motion" in stages and "upscaling" in stages
    assert job.details["post_steps"]["smooth_motion"]["factor"] == 2
