"""A storyboard's render: what is queued (a job per footage not stored yet, one assembly per
aspect once they are made), what a change makes again, cancel, retry, bad input refused with
nothing queued, and members only."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.urls import reverse

from studio import selectors, services
from studio.models import (
    Generation,
    Job,
    Membership,
    Storyboard,
    StoryboardRender,
    StoryboardScene,
    WebhookDelivery,
    WebhookEndpoint,
)
from studio.services.storyboard_render import (
    storyboard_render,
    storyboard_render_cancel,
    storyboard_scene_retry,
)
from studio.services.storyboards import SceneEdit, StoryboardSettings
from studio.worker.storyboard import assembly_start, renders_recover
from studio.worker.webhooks import job_ended

pytestmark = pytest.mark.django_db

ARTICLE = """# Spring at the bakery

Our bakery opens at seven in the old town.

Fresh bread comes out of the oven every hour.

Visit us this weekend and taste the new rye.
"""


@pytest.fixture
def storyboard(workspace: Any, user: Any) -> Storyboard:
    """Four scenes: a title card, a text card and two embedded-engine text-to-video scenes."""
    board = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )
    scenes = selectors.storyboard_scenes(storyboard=board)
    for scene, prompt in ((scenes[1], "a bakery at dawn"), (scenes[3], "a loaf of rye bread")):
        services.storyboards.storyboard_scene_update(
            scene=scene, edit=_edit(scene, visual="text-to-video", engine="embedded", prompt=prompt)
        )
    return board


def _edit(scene: StoryboardScene, **changes: Any) -> SceneEdit:
    fields = {
        "visual": scene.visual,
        "voiceover": scene.voiceover,
        "on_screen_text": scene.on_screen_text,
        "prompt": scene.prompt,
        "transition": scene.transition,
        "engine": scene.engine,
        "duration": scene.duration,
    }
    return SceneEdit(**(fields | changes))


def _settings(storyboard: Storyboard, **changes: Any) -> StoryboardSettings:
    fields = {
        "voice": storyboard.voice,
        "speed": storyboard.speed,
        "music": storyboard.music,
        "music_db": storyboard.music_db,
        "captions": storyboard.captions,
        "transition": storyboard.transition,
        "aspects": storyboard.aspects,
    }
    return StoryboardSettings(**(fields | changes))  # type: ignore[arg-type]


def _scene_jobs(render: StoryboardRender) -> list[Job]:
    return [
        job
        for job in selectors.storyboard_render_jobs(render=render)
        if job.mode == Job.Mode.STORYBOARD_SCENE
    ]


def _make_footage(render: StoryboardRender) -> None:
    """What the scene jobs' workers do: store each footage under its key, end the job."""
    for job in _scene_jobs(render):
        Generation.objects.get_or_create(
            workspace_id=job.workspace_id,
            key=job.generation_key,
            defaults={
                "file": f"workspaces/{job.workspace_id}/generations/{job.generation_key}.mp4",
                "poster": f"workspaces/{job.workspace_id}/generations/{job.generation_key}.jpg",
                "engine": job.engine,
                "width": job.width,
                "height": job.height,
                "fps": 24,
                "num_frames": 49,
                "seconds": 1.0,
            },
        )
        Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)


def _finish(render: StoryboardRender) -> None:
    """The render's every scene made and assembled."""
    _make_footage(render)
    assembly_start(render_id=render.pk)
    StoryboardRender.objects.filter(pk=render.pk).update(status=StoryboardRender.Status.SUCCEEDED)


def test_it_queues_a_job_per_engine_scene_and_aspect_and_draws_the_cards_in_the_assembly(
    storyboard: Storyboard,
    user: Any,
    no_queue: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """Two engine scenes in two aspects: four scene jobs on the engine's queue, none for cards."""
    settings.FAIR_SHARE_IN_FLIGHT = 4  # four workers on the queue: every scene runs at once
    services.storyboards.storyboard_settings_update(
        storyboard=storyboard, settings=_settings(storyboard, aspects=["16:9", "9:16"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        render = storyboard_render(storyboard=storyboard, user=user)
    jobs = _scene_jobs(render)
    assert len(jobs) == 4
    assert {(job.mode, job.engine, job.queue) for job in jobs} == {
        (Job.Mode.STORYBOARD_SCENE, "embedded", "cpu")
    }
    assert {(job.width, job.height) for job in jobs} == {(1280, 720), (720, 1280)}
    rows = list(render.scenes.order_by("aspect", "position"))
    assert len(rows) == 8
    assert [row.visual for row in rows if not row.footage_key] == ["text-card"] * 4
    assert all(len(row.footage_key) == 64 for row in rows if row.visual == "text-to-video")
    assert {job.generation_key for job in jobs} == {r.footage_key for r in rows if r.footage_key}
    assert no_queue.call_count == 4  # sent at once, one message per scene job
    assert render.status == StoryboardRender.Status.RENDERING
    assert not render.outputs.exists()  # the assembly waits for the scenes


def test_it_starts_one_assembly_per_aspect_once_every_scene_is_made(
    storyboard: Storyboard, user: Any
) -> None:
    """The assembly is started exactly once, however many finishing scenes ask for it."""
    render = storyboard_render(storyboard=storyboard, user=user)
    assert assembly_start(render_id=render.pk) == []  # the scenes are not made yet
    _make_footage(render)
    started = assembly_start(render_id=render.pk)
    assert assembly_start(render_id=render.pk) == []
    assert [(job.mode, job.engine, job.queue) for job in started] == [
        (Job.Mode.STORYBOARD, "storyboard", "cpu")
    ]
    render.refresh_from_db()
    assert render.status == StoryboardRender.Status.ASSEMBLING
    assert list(render.outputs.values_list("aspect", flat=True)) == ["16:9"]


def test_editing_one_scene_and_rendering_again_makes_that_scene_only(
    storyboard: Storyboard, user: Any
) -> None:
    """A new prompt in scene 4: exactly one scene job; the other scene's footage is reused."""
    _finish(storyboard_render(storyboard=storyboard, user=user))
    scene = selectors.storyboard_scenes(storyboard=storyboard)[3]
    services.storyboards.storyboard_scene_update(
        scene=scene, edit=_edit(scene, prompt="a loaf of rye bread on a wooden table")
    )
    again = storyboard_render(storyboard=storyboard, user=user)
    jobs = _scene_jobs(again)
    assert len(jobs) == 1
    made = again.scenes.get(job=jobs[0])
    assert (made.position, made.scene_id) == (3, scene.pk)
    reused = again.scenes.get(position=1)
    assert reused.job is None and reused.footage_key
    assert again.status == StoryboardRender.Status.RENDERING


def test_changing_only_the_music_makes_no_scene_and_assembles_each_aspect(
    storyboard: Storyboard, user: Any
) -> None:
    """Music, voice, captions and a transition changed: zero scene jobs, one assembly per
    aspect."""
    services.storyboards.storyboard_settings_update(
        storyboard=storyboard, settings=_settings(storyboard, aspects=["16:9", "1:1"])
    )
    _finish(storyboard_render(storyboard=storyboard, user=user))
    services.storyboards.storyboard_settings_update(
        storyboard=storyboard,
        settings=_settings(
            storyboard, music="calm", voice="espeak-en-gb", captions="burn", transition="cut"
        ),
    )
    again = storyboard_render(storyboard=storyboard, user=user)
    assert _scene_jobs(again) == []
    again.refresh_from_db()
    assert again.status == StoryboardRender.Status.ASSEMBLING
    outputs = list(again.outputs.select_related("job"))
    assert [output.aspect for output in outputs] == ["16:9", "1:1"]
    assert {output.job.mode for output in outputs} == {Job.Mode.STORYBOARD}


def test_cancel_stops_every_job_still_active_and_no_assembly_follows(
    storyboard: Storyboard, user: Any
) -> None:
    """Cancelling cancels the queued scene jobs; a scene finishing after starts nothing."""
    render = storyboard_render(storyboard=storyboard, user=user)
    storyboard_render_cancel(render=render)
    assert render.status == StoryboardRender.Status.CANCELLED
    assert {job.status for job in _scene_jobs(render)} == {Job.Status.CANCELLED}
    _make_footage(render)
    assert assembly_start(render_id=render.pk) == []
    with pytest.raises(ValidationError) as refused:
        storyboard_render_cancel(render=render)
    assert refused.value.code == "ended"


def test_a_failed_scene_keeps_its_reason_and_is_retried_alone(
    storyboard: Storyboard, user: Any
) -> None:
    """Retry makes one new job for the failed scene; the other scene's job is left as it is."""
    render = storyboard_render(storyboard=storyboard, user=user)
    failed, other = _scene_jobs(render)
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED, error="The engine broke.")
    context = selectors.storyboard_render_context(storyboard=storyboard)
    assert context["render_progress"]["status"] == "failed"  # type: ignore[index]
    shown = [s for s in context["render_scenes"] if s["status"] == "failed"]  # type: ignore[attr-defined]
    assert [(s["number"], s["error"]) for s in shown] == [(2, "The engine broke.")]
    scene = render.scenes.get(job=failed).scene
    assert scene is not None
    (again,) = storyboard_scene_retry(render=render, scene=scene, user=user)
    assert (again.generation_key, again.rerun_of_id) == (failed.generation_key, failed.pk)
    assert render.scenes.get(position=1).job_id == again.pk
    assert render.scenes.get(position=3).job_id == other.pk
    assert selectors.storyboard_render_progress(render=render)["status"] == "rendering"
    with pytest.raises(ValidationError) as refused:
        storyboard_scene_retry(render=render, scene=scene, user=user)
    assert refused.value.code == "not_failed"


def test_it_names_a_missing_engine_and_queues_nothing(storyboard: Storyboard, user: Any) -> None:
    """A scene whose engine is not installed is named before anything is stored or queued."""
    storyboard.scenes.filter(position=3).update(engine="wan2.1-t2v")
    with pytest.raises(ValidationError) as refused:
        storyboard_render(storyboard=storyboard, user=user)
    assert "Scene 4" in refused.value.messages[0]
    assert "wan2.1-t2v" in refused.value.messages[0]
    assert not StoryboardRender.objects.exists() and not Job.objects.exists()


def test_render_on_the_page_names_a_missing_engine_and_queues_nothing(
    client: Any, storyboard: Storyboard, user: Any, no_queue: Any
) -> None:
    """Render pressed with scene 4 set to an engine this install lacks: the page says which
    scene and engine, and no render or job is stored or sent."""
    storyboard.scenes.filter(position=3).update(engine="wan2.1-t2v")
    client.force_login(user)
    args = [storyboard.workspace_id, storyboard.pk]
    page = client.post(reverse("storyboard_render", args=args), follow=True).content.decode()
    assert "Scene 4: the engine &#x27;wan2.1-t2v&#x27; is not installed here." in page
    assert not StoryboardRender.objects.exists() and not Job.objects.exists()
    assert not no_queue.called


def test_it_refuses_a_second_render_while_one_is_going(storyboard: Storyboard, user: Any) -> None:
    """One render of a storyboard at a time; the second press changes nothing."""
    storyboard_render(storyboard=storyboard, user=user)
    with pytest.raises(ValidationError) as refused:
        storyboard_render(storyboard=storyboard, user=user)
    assert refused.value.code == "render_active"
    assert StoryboardRender.objects.count() == 1 and Job.objects.count() == 2


def test_it_refuses_a_render_past_the_workspaces_cap_of_active_jobs(
    storyboard: Storyboard, user: Any
) -> None:
    """Quotas as job submission counts them: a render's jobs must fit under the cap."""
    storyboard.workspace.max_active_jobs = 2  # two scenes fit, their assembly would not
    storyboard.workspace.save()
    with pytest.raises(ValidationError) as refused:
        storyboard_render(storyboard=storyboard, user=user)
    assert refused.value.code == "too_many_active_jobs"
    assert not Job.objects.exists()


def test_scene_jobs_stay_out_of_the_gallery_and_send_no_job_webhook(
    storyboard: Storyboard, user: Any
) -> None:
    """The gallery lists the storyboard's videos under "storyboard", not its scenes."""
    render = storyboard_render(storyboard=storyboard, user=user)
    _make_footage(render)
    (assembly,) = assembly_start(render_id=render.pk)
    workspace = storyboard.workspace
    assert list(selectors.job_list_for_workspace(workspace=workspace)) == [assembly]
    assert list(selectors.job_list_for_workspace(workspace=workspace, mode="storyboard")) == [
        assembly
    ]
    assert "embedded" not in selectors.engines_used_in_workspace(workspace=workspace)
    WebhookEndpoint.objects.create(
        workspace=workspace, url="https://hooks.example.com/in", events=["job.succeeded"]
    )
    scene_job = _scene_jobs(render)[0]
    scene_job.status = Job.Status.SUCCEEDED
    job_ended(scene_job)
    assert not WebhookDelivery.objects.exists()


def test_its_pages_are_for_members_and_its_buttons_for_editors(
    client: Any, storyboard: Storyboard, user: Any, other_user: Any, no_queue: Any
) -> None:
    """Another workspace's member gets 404; a viewer 403; an editor renders and sees progress."""
    args = [storyboard.workspace_id, storyboard.pk]
    client.force_login(other_user)
    assert client.post(reverse("storyboard_render", args=args)).status_code == 404
    assert client.get(reverse("storyboard_render_panel", args=args)).status_code == 404
    Membership.objects.create(
        workspace=storyboard.workspace, user=other_user, role=Membership.Role.VIEWER
    )
    assert client.post(reverse("storyboard_render", args=args)).status_code == 403
    assert client.post(reverse("storyboard_render_cancel", args=args)).status_code == 403
    scene = selectors.storyboard_scenes(storyboard=storyboard)[1]
    retry = reverse("storyboard_scene_retry", args=[*args, scene.pk])
    assert client.post(retry).status_code == 403
    panel = client.get(reverse("storyboard_render_panel", args=args))
    assert panel.status_code == 200 and b"data-render-button" not in panel.content
    assert not StoryboardRender.objects.exists()

    client.force_login(user)
    page = client.get(reverse("storyboard_render_panel", args=args), {"partial": "1"})
    assert b"data-render-button" in page.content and b"<html" not in page.content
    response = client.post(
        reverse("storyboard_render", args=args), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("storyboard_render_panel", args=args)
    assert StoryboardRender.objects.count() == 1
    panel = client.get(reverse("storyboard_render_panel", args=args)).content.decode()
    assert "making scenes: 0 of 2 done" in panel
    assert "Scene 2" in panel and "Cancel" in panel
    client.post(reverse("storyboard_render_cancel", args=args))
    assert StoryboardRender.objects.get().status == StoryboardRender.Status.CANCELLED


def test_the_gallery_filters_storyboards_and_opens_their_pages(
    client: Any, storyboard: Storyboard, user: Any
) -> None:
    """Kind "storyboard" lists the assemblies only; an assembly's job page opens."""
    render = storyboard_render(storyboard=storyboard, user=user)
    _make_footage(render)
    (assembly,) = assembly_start(render_id=render.pk)
    client.force_login(user)
    gallery = reverse("gallery", args=[storyboard.workspace_id])
    page = client.get(gallery, {"kind": "storyboard"})
    assert page.status_code == 200
    assert [job.pk for job in page.context["page"]] == [assembly.pk]
    assert b'<option value="storyboard" selected>Storyboard</option>' in page.content
    assert b'value="storyboard-scene"' not in page.content
    other = client.get(gallery, {"kind": "text-to-video"})
    assert list(other.context["page"]) == []
    Job.objects.filter(pk=assembly.pk).update(status=Job.Status.FAILED, error="No sound.")
    detail = client.get(reverse("job_detail", args=[storyboard.workspace_id, assembly.pk]))
    assert detail.status_code == 200
    render_page = reverse("storyboard_render_panel", args=[storyboard.workspace_id, storyboard.pk])
    assert render_page in detail.content.decode() and b"Re-run" not in detail.content
    scene_job = _scene_jobs(render)[0]
    scene_page = client.get(reverse("job_detail", args=[storyboard.workspace_id, scene_job.pk]))
    assert scene_page.status_code == 200 and render_page in scene_page.content.decode()


def test_the_sweep_starts_an_assembly_its_last_scenes_worker_did_not(
    storyboard: Storyboard, user: Any
) -> None:
    """Every scene made, no assembly (its worker stopped in between): the sweep starts it once."""
    render = storyboard_render(storyboard=storyboard, user=user)
    _make_footage(render)
    assert renders_recover() == [render.pk]
    assert renders_recover() == []
    assert render.outputs.count() == 1


def test_a_storyboard_video_is_made_again_from_its_storyboard(
    storyboard: Storyboard, user: Any
) -> None:
    """Re-run on an assembly's job says to render the storyboard again, and queues nothing."""
    render = storyboard_render(storyboard=storyboard, user=user)
    _make_footage(render)
    (assembly,) = assembly_start(render_id=render.pk)
    with pytest.raises(ValidationError) as refused:
        services.jobs.job_rerun(job=assembly, user=user, same_seed=True)
    assert refused.value.code == "storyboard_job"


def test_rendering_again_after_a_failed_scene_starts_over(
    storyboard: Storyboard, user: Any
) -> None:
    """A render with a failed scene is not in the way: Render cancels it and starts anew."""
    first = storyboard_render(storyboard=storyboard, user=user)
    failed, other = _scene_jobs(first)
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED, error="The engine broke.")
    second = storyboard_render(storyboard=storyboard, user=user)
    first.refresh_from_db()
    assert first.status == StoryboardRender.Status.CANCELLED
    assert Job.objects.get(pk=other.pk).status == Job.Status.CANCELLED
    assert len(_scene_jobs(second)) == 2


@pytest.mark.django_db(transaction=True)
def test_two_scenes_finishing_at_once_start_one_assembly(
    storyboard: Storyboard, user: Any, no_queue: Any
) -> None:
    """The last two scenes' workers both ask at the same moment: one assembly is queued."""
    render = storyboard_render(storyboard=storyboard, user=user)
    _make_footage(render)
    barrier = threading.Barrier(2)
    started: list[int] = []

    def finish_a_scene() -> None:
        try:
            barrier.wait(timeout=10)
            started.extend(job.pk for job in assembly_start(render_id=render.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish_a_scene) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(started) == 1
    assert render.outputs.count() == 1
    assert Job.objects.filter(mode=Job.Mode.STORYBOARD).count() == 1
