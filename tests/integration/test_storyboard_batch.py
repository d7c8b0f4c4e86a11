"""A CSV batch of a storyboard template through the real stack: the batch launched on its
page, the shared scene made once and each row's own scene once per row by a real Celery
worker, every row assembled into an MP4 read back with ffprobe, and the batch's ZIP built."""

from __future__ import annotations

import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from studio import selectors, services
from studio.models import Batch, BatchArchive, Job, StoryboardRender
from studio.services.storyboards import SceneEdit
from tests import live

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCRIPT = """# Fresh from the oven

Our bakery opens at seven every morning.

Come and taste it this weekend.
"""


def _duration(path: Path) -> float:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout)["format"]["duration"])


def _wait(batch: Batch, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(selectors.batch_render_states(batch=batch).values())
        if states and all(s["status"] in ("succeeded", "failed", "cancelled") for s in states):
            return states
        time.sleep(0.5)
    raise TimeoutError(f"batch {batch.pk}: {selectors.batch_render_states(batch=batch)}")


def test_a_three_row_batch_makes_its_shared_scene_once_and_one_mp4_per_row(
    client: Any, user: Any, workspace: Any, settings: Any
) -> None:
    """A title card, a shared engine scene and a personal one: 1 + 3 scene jobs, 3 videos."""
    settings.STORYBOARD_SHORT_SIDE = 240  # small frames: the test is about the flow
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=SCRIPT
    )
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    assert len(scenes) == 3
    for scene, prompt, voiceover in (
        (scenes[1], "a red ball bouncing", scenes[1].voiceover),
        (scenes[2], "a {colour} cube turning", "Come and taste it, {first_name}."),
    ):
        services.storyboards.storyboard_scene_update(
            scene=scene,
            edit=SceneEdit(
                visual="text-to-video",
                voiceover=voiceover,
                on_screen_text=scene.on_screen_text,
                prompt=prompt,
                transition=scene.transition,
                engine="embedded",
            ),
        )
    template = services.storyboard_batches.storyboard_template_create(
        storyboard=storyboard, user=user, name="Oven"
    )
    client.force_login(user)
    response = client.post(
        reverse("batch_new", args=[workspace.pk]),
        {
            "template": template.pk,
            "csv_text": "first_name,colour\nAna,blue\nBo,green\nCy,yellow\n",
            "filename_column": "first_name",
        },
    )
    assert response.status_code == 302
    batch = Batch.objects.get(template=template)
    page = client.get(response["Location"])
    assert b"4 scene renders needed" in page.content  # 1 shared + 3 personal, against 9

    live.flush_broker()
    with live.running(live.start_worker("batch-a")):
        assert (
            client.post(reverse("batch_launch", args=[workspace.pk, batch.pk])).status_code == 302
        )
        states = _wait(batch, timeout=540)
        assert [s["status"] for s in states] == ["succeeded"] * 3, states
        scene_jobs = Job.objects.filter(
            workspace=workspace, mode=Job.Mode.STORYBOARD_SCENE
        ).distinct()
        assert scene_jobs.count() == 4
        assert {job.status for job in scene_jobs} == {Job.Status.SUCCEEDED}

        # Every row's video: its first aspect's assembly, a real MP4 with the row's voice.
        rows = list(selectors.batch_rows(batch=batch))
        durations = []
        for row in rows:
            assert row.job is not None and row.job.mode == Job.Mode.STORYBOARD
            assert row.render is not None
            assert row.render.status == StoryboardRender.Status.SUCCEEDED
            durations.append(_duration(Path(row.job.video.file.path)))
        assert all(d > 1.0 for d in durations)
        page = client.get(reverse("batch_detail", args=[workspace.pk, batch.pk]))
        assert page.content.count(b'class="row-player"') == 3

        # The batch's ZIP holds the three, named after the column chosen.
        client.post(
            reverse("batch_zip_make", args=[workspace.pk, batch.pk]), {"name": "first_name"}
        )
        deadline = time.monotonic() + 120
        archive = BatchArchive.objects.get(batch=batch)
        while archive.status == BatchArchive.Status.BUILDING and time.monotonic() < deadline:
            time.sleep(0.5)
            archive.refresh_from_db()
    assert archive.status == BatchArchive.Status.READY, archive.error
    with zipfile.ZipFile(archive.file.path) as zipped:
        names = sorted(name for name in zipped.namelist() if name.endswith(".mp4"))
    assert [Path(name).stem for name in names] == ["Ana", "Bo", "Cy"]
