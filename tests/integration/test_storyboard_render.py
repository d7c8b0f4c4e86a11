"""A storyboard rendered through the real stack: Render pressed on the page, its scenes made by a
pool of two real Celery workers, assembled on the cpu queue, live progress over a real
WebSocket, one MP4 per aspect read back with ffprobe, and storyboard.finished recorded."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from studio import selectors, services
from studio.models import Job, StoryboardRender, WebhookDelivery, WebhookEndpoint
from studio.services.storyboards import SceneEdit
from tests import live
from tests.integration.helpers import SocketRecorder, session_cookie

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCRIPT = """# Fresh from the oven

Our bakery opens at seven every morning.

The bread is shaped by hand.

Come and taste it this weekend.
"""


def _ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _wait_for_render(render_id: int, timeout: float) -> StoryboardRender:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        render = StoryboardRender.objects.get(pk=render_id)
        progress = selectors.storyboard_render_progress(render=render)
        if progress["status"] in ("succeeded", "failed", "cancelled"):
            return render
        time.sleep(0.5)
    raise TimeoutError(f"render {render_id} is {StoryboardRender.objects.get(pk=render_id).status}")


def test_a_four_scene_storyboard_renders_on_two_workers_into_one_mp4_per_aspect(
    client: Any, user: Any, workspace: Any, settings: Any, live_server_url: str
) -> None:
    """Two text cards and two embedded-engine scenes in 16:9 and 9:16: the four footage jobs
    are shared by the two workers, each aspect is assembled once, and the webhook is recorded."""
    settings.STORYBOARD_SHORT_SIDE = 240  # small frames: the test is about the flow
    settings.FAIR_SHARE_IN_FLIGHT = 2  # two workers on the queue: two scenes at once
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=SCRIPT
    )
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    assert len(scenes) == 4
    for scene, prompt in ((scenes[1], "a red ball bouncing"), (scenes[2], "a blue cube turning")):
        services.storyboards.storyboard_scene_update(
            scene=scene,
            edit=SceneEdit(
                visual="text-to-video",
                voiceover=scene.voiceover,
                on_screen_text=scene.on_screen_text,
                prompt=prompt,
                transition=scene.transition,
                engine="embedded",
            ),
        )
    storyboard.aspects = ["16:9", "9:16"]
    storyboard.music = "calm"
    storyboard.save()
    endpoint = WebhookEndpoint.objects.create(  # recorded is enough: delivery has its own test
        workspace=workspace, url="https://hooks.example.com/in", events=["storyboard.finished"]
    )

    live.flush_broker()
    pool = [live.start_worker(name, FAIR_SHARE_IN_FLIGHT="2") for name in ("board-a", "board-b")]
    client.force_login(user)
    ws_url = live_server_url.replace("http", "ws") + f"/ws/workspaces/{workspace.pk}/"
    with (
        live.running(*pool),
        SocketRecorder(ws_url, session_cookie(client), live_server_url) as socket,
    ):
        socket.wait_for(lambda m: m["type"] == "snapshot", timeout=10)
        response = client.post(reverse("storyboard_render", args=[workspace.pk, storyboard.pk]))
        assert response.status_code == 302
        render = StoryboardRender.objects.get(storyboard=storyboard)
        render = _wait_for_render(render.pk, timeout=540)
        socket.wait_for(
            lambda m: m["type"] == "storyboard.status" and m["status"] == "succeeded", timeout=30
        )
    assert render.status == StoryboardRender.Status.SUCCEEDED, [
        (job.pk, job.mode, job.status, job.error)
        for job in selectors.storyboard_render_jobs(render=render)
    ]

    scenes_done = max(
        job.finished_at for job in Job.objects.filter(storyboard_scenes__render=render)
    )
    assert render.finished_at is not None
    print(  # a figure to read with -s, never asserted
        f"render {render.pk}: scenes {(scenes_done - render.created_at).total_seconds():.1f} s, "
        f"then assembly {(render.finished_at - scenes_done).total_seconds():.1f} s"
    )

    # The scenes: one job per engine scene and aspect, made by both workers.
    scene_jobs = Job.objects.filter(storyboard_scenes__render=render).distinct()
    assert scene_jobs.count() == 4
    assert {job.status for job in scene_jobs} == {Job.Status.SUCCEEDED}
    assert len({job.lease_owner for job in scene_jobs}) == 2
    progress = [m for m in socket.messages if m["type"] == "storyboard.progress"]
    assert progress and all(m["storyboard"] == storyboard.pk for m in progress)
    assert any(
        m["type"] == "job.progress" and m["job"] in {j.pk for j in scene_jobs}
        for m in socket.messages
    )

    # One finished MP4 per aspect: H.264 with AAC sound, its size, as long as its row says.
    outputs = {o.aspect: o for o in render.outputs.select_related("job__video")}
    assert sorted(outputs) == ["16:9", "9:16"]
    for aspect, size in (("16:9", (426, 240)), ("9:16", (240, 426))):
        job = outputs[aspect].job
        assert (job.mode, job.engine, job.queue, job.status) == (
            Job.Mode.STORYBOARD,
            "storyboard",
            "cpu",
            Job.Status.SUCCEEDED,
        )
        video = job.video
        info = _ffprobe(Path(video.file.path))
        streams = {s["codec_type"]: s for s in info["streams"]}
        assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
        assert (streams["video"]["width"], streams["video"]["height"]) == size
        assert float(info["format"]["duration"]) == pytest.approx(video.duration, abs=0.2)
        assert video.duration > 5  # four scenes, each a sentence and some air
        assert video.captions  # WebVTT, shown by the player as a track
    assert list(
        selectors.job_list_for_workspace(workspace=workspace, mode="storyboard").order_by("pk")
    ) == [outputs["16:9"].job, outputs["9:16"].job]

    # storyboard.finished, recorded once, naming both videos.
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.event == "storyboard.finished"
    data = delivery.payload["data"]
    assert (data["id"], data["render"], data["scenes"]) == (storyboard.pk, render.pk, 4)
    assert sorted(data["videos"]) == ["16:9", "9:16"]
    assert data["videos"]["9:16"]["mp4"] == reverse(
        "video_download", args=[workspace.pk, outputs["9:16"].job.pk]
    )
