"""Storyboard templates and CSV batches of them: a storyboard saved with its placeholders, a
batch that makes the scenes without placeholders once for every row and the others per row,
the count of scene renders on its page, bad input refused with nothing queued, members only."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from studio import batches, selectors, services
from studio.forms.uploads import check_image
from studio.models import (
    Asset,
    Avatar,
    Batch,
    Generation,
    Job,
    Membership,
    Storyboard,
    StoryboardRender,
    StoryboardScene,
    Template,
)
from studio.services.storyboards import SceneEdit
from studio.worker.storyboard import assembly_start
from tests.conftest import make_png

pytestmark = pytest.mark.django_db

ARTICLE = """# Spring at the bakery

Our bakery opens at seven in the old town.

Fresh bread comes out of the oven every hour.

Visit us this weekend and taste the new rye.
"""

PROMPTS = ("a bakery at dawn", "bread in an oven", "a rye loaf on a table", "a baker waving")


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


def _storyboard(workspace: Any, user: Any, personal: dict[int, dict[str, str]]) -> Storyboard:
    """Four embedded-engine text-to-video scenes; ``personal`` changes some scenes' texts."""
    board = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, text=ARTICLE
    )
    for index, scene in enumerate(selectors.storyboard_scenes(storyboard=board)):
        changes = {"visual": "text-to-video", "engine": "embedded", "prompt": PROMPTS[index]}
        services.storyboards.storyboard_scene_update(
            scene=scene, edit=_edit(scene, **(changes | personal.get(index, {})))
        )
    return board


@pytest.fixture
def template(workspace: Any, user: Any) -> Template:
    """One personal scene of four: the third, whose prompt and voiceover name the company."""
    board = _storyboard(
        workspace,
        user,
        {
            2: {
                "prompt": "a shop sign that reads {company}",
                "voiceover": "Hello {first_name}, this one is for {company}.",
            }
        },
    )
    return services.storyboard_batches.storyboard_template_create(
        storyboard=board, user=user, name="Spring offer"
    )


def _csv(rows: int) -> str:
    return "first_name,company\n" + "".join(f"Name{n},Company {n}\n" for n in range(rows))


def _batch(template: Template, user: Any, text: str) -> Batch:
    parsed = batches.parse(text, fields=template.fields, max_rows=500)
    assert parsed.ok, parsed.errors
    return services.batches.batch_create(
        workspace=template.workspace, user=user, template=template, parsed=parsed
    )


def _scene_jobs(workspace: Any) -> list[Job]:
    return list(Job.objects.filter(workspace=workspace, mode=Job.Mode.STORYBOARD_SCENE))


def _make_footage(jobs: list[Job]) -> None:
    """What the scene jobs' workers do: store each footage under its key, end the job."""
    for job in jobs:
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


def test_saving_a_storyboard_as_a_template_finds_its_placeholders(template: Template) -> None:
    """The placeholders of the scenes' texts become the template's fields, in order of use."""
    assert template.mode == Template.Mode.STORYBOARD
    assert [f["name"] for f in template.fields] == ["first_name", "company"]
    summary = services.storyboard_batches.template_scene_summary(template=template)
    assert [scene["placeholders"] for scene in summary] == [[], [], ["first_name", "company"], []]


def test_the_template_keeps_the_storyboard_as_it_was_saved(
    template: Template, workspace: Any, user: Any
) -> None:
    """Editing the storyboard afterwards does not change the template."""
    assert template.source_storyboard is not None
    scene = selectors.storyboard_scenes(storyboard=template.source_storyboard)[0]
    services.storyboards.storyboard_scene_update(scene=scene, edit=_edit(scene, prompt="a cat"))
    template.refresh_from_db()
    assert template.board["scenes"][0]["prompt"] == PROMPTS[0]


def test_a_ten_row_batch_with_one_personal_scene_of_four_makes_3_plus_10_scene_renders(
    template: Template,
    user: Any,
    no_queue: Any,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    """Three shared scenes are made once for the batch, the personal one once per row."""
    settings.FAIR_SHARE_IN_FLIGHT = 20  # workers enough that every scene job is sent at once
    batch = _batch(template, user, _csv(10))
    plan = services.storyboard_batches.storyboard_batch_plan(batch=batch)
    assert (plan.renders, plan.shared, plan.naive) == (13, 3, 40)
    with django_capture_on_commit_callbacks(execute=True):
        services.batches.batch_launch(batch=batch, user=user)
    jobs = _scene_jobs(template.workspace)
    assert len(jobs) == 3 + 10
    assert no_queue.call_count == 13  # one message per scene job
    assert {job.status for job in jobs} == {Job.Status.QUEUED}
    renders = list(StoryboardRender.objects.filter(batch_rows__batch=batch).order_by("pk"))
    assert len(renders) == 10
    shared = {row.job_id for r in renders for row in r.scenes.all() if row.position != 2}
    personal = {row.job_id for r in renders for row in r.scenes.all() if row.position == 2}
    assert (len(shared), len(personal)) == (3, 10)
    # Each row's storyboard holds its own values; the storyboards page does not list them.
    first = renders[0].storyboard
    assert "Company 0" in selectors.storyboard_scenes(storyboard=first)[2].prompt
    assert not selectors.storyboard_list_for_workspace(workspace=template.workspace).filter(
        batch=batch
    )


def test_every_rows_video_is_assembled_once_its_scenes_are_made(
    template: Template, user: Any
) -> None:
    """The shared footage and each row's own start one assembly per row; the row lists it."""
    batch = _batch(template, user, _csv(3))
    services.batches.batch_launch(batch=batch, user=user)
    jobs = _scene_jobs(template.workspace)
    shared = [job for job in jobs if job.storyboard_scenes.values("render").distinct().count() > 1]
    _make_footage(shared)
    for row in batch.rows.all():
        assert assembly_start(render_id=row.render_id) == []  # its own scene is not made yet
    _make_footage(jobs)
    for row in batch.rows.all():
        assert len(assembly_start(render_id=row.render_id)) == 1
    assert all(row.job and row.job.mode == Job.Mode.STORYBOARD for row in batch.rows.all())
    progress = selectors.batch_progress(batch=batch)
    assert (progress["running"], progress["total"]) == (3, 3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite has one writer at a time anyway"
)
def test_two_launches_at_once_queue_the_batch_once(template: Template, user: Any) -> None:
    """Launch pressed twice at the same moment: one set of 3 + 4 scene jobs, one render a row."""
    batch = _batch(template, user, _csv(4))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def launch() -> None:
        try:
            barrier.wait(timeout=10)
            services.batches.batch_launch(batch=Batch.objects.get(pk=batch.pk), user=user)
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(_scene_jobs(template.workspace)) == 3 + 4
    assert StoryboardRender.objects.filter(batch_rows__batch=batch).count() == 4
    assert Storyboard.objects.filter(batch=batch).count() == 4


def test_a_placeholder_in_a_voiceover_only_shares_every_scenes_footage(
    workspace: Any, user: Any, no_queue: Any
) -> None:
    """The footage does not hear the voice: four scene renders for any number of rows."""
    board = _storyboard(workspace, user, {1: {"voiceover": "Good morning, {first_name}."}})
    template = services.storyboard_batches.storyboard_template_create(
        storyboard=board, user=user, name="Morning"
    )
    batch = _batch(template, user, "first_name\nAna\nBo\nCy\n")
    assert services.storyboard_batches.storyboard_batch_plan(batch=batch).renders == 4
    services.batches.batch_launch(batch=batch, user=user)
    assert len(_scene_jobs(workspace)) == 4


def test_a_batch_may_render_its_rows_in_other_aspects(
    template: Template, user: Any, no_queue: Any
) -> None:
    """Two aspects ticked: each row gets both, and the counts follow (3 + 2 per aspect)."""
    parsed = batches.parse(_csv(2), fields=template.fields, max_rows=500)
    batch = services.batches.batch_create(
        workspace=template.workspace,
        user=user,
        template=template,
        parsed=parsed,
        aspects=["9:16", "1:1"],
    )
    plan = services.storyboard_batches.storyboard_batch_plan(batch=batch)
    assert (plan.aspects, plan.renders, plan.naive) == (2, 10, 16)
    services.batches.batch_launch(batch=batch, user=user)
    render = batch.rows.first().render
    assert sorted(set(render.scenes.values_list("aspect", flat=True))) == ["1:1", "9:16"]
    with pytest.raises(ValidationError, match="Unknown aspect 4:3"):
        services.batches.batch_create(
            workspace=template.workspace,
            user=user,
            template=template,
            parsed=parsed,
            aspects=["4:3"],
        )


def test_a_second_batch_reuses_the_footage_the_first_made(template: Template, user: Any) -> None:
    """Footage already stored is not made again: only new rows' personal scenes are."""
    first = _batch(template, user, _csv(2))
    services.batches.batch_launch(batch=first, user=user)
    _make_footage(_scene_jobs(template.workspace))
    second = _batch(template, user, "first_name,company\nNew,Newco\nName0,Company 0\n")
    plan = services.storyboard_batches.storyboard_batch_plan(batch=second)
    assert (plan.renders, plan.naive) == (1, 8)


def test_a_template_whose_avatar_or_image_was_deleted_says_which_scene_and_queues_nothing(
    workspace: Any, user: Any, asset: Asset, client: Any, no_queue: Any
) -> None:
    """The template keeps the scenes' avatar and image by id; once one is deleted, the batch
    page and the launch name the scene, and nothing is stored or queued."""
    avatar = Avatar.objects.create(workspace=workspace, name="Ana", image=asset, created_by=user)
    board = _storyboard(workspace, user, {0: {"voiceover": "Hi {first_name}."}})
    scenes = selectors.storyboard_scenes(storyboard=board)
    services.storyboards.storyboard_scene_update(
        scene=scenes[1], edit=_edit(scenes[1], visual="talking-head", avatar=avatar)
    )
    template = services.storyboard_batches.storyboard_template_create(
        storyboard=board, user=user, name="With a presenter"
    )
    batch = _batch(template, user, "first_name\nAna\n")
    services.storyboard_batches.storyboard_batch_plan(batch=batch)  # makeable as it was saved
    services.avatars.avatar_delete(avatar=avatar)
    storyboards = Storyboard.objects.count()
    with pytest.raises(ValidationError, match="Scene 2's avatar was deleted from the workspace"):
        services.batches.batch_launch(batch=batch, user=user)
    assert (_scene_jobs(workspace), Storyboard.objects.count()) == ([], storyboards)
    assert no_queue.call_count == 0
    client.force_login(user)
    page = client.get(reverse("batch_detail", args=[workspace.pk, batch.pk]))
    assert "Scene 2&#x27;s avatar was deleted from the workspace" in page.content.decode()

    upload = SimpleUploadedFile("shop.png", make_png(), content_type="image/png")
    photo = services.uploads.asset_create(
        workspace=workspace, user=user, upload=upload, image=check_image(upload)
    )
    board = _storyboard(workspace, user, {})
    scenes = selectors.storyboard_scenes(storyboard=board)
    # (an image-to-video engine, as a GPU worker has; this machine's are text-to-video only)
    StoryboardScene.objects.filter(pk=scenes[2].pk).update(
        visual="image-to-video", engine="wan2.1-i2v", image=photo
    )
    template = services.storyboard_batches.storyboard_template_create(
        storyboard=board, user=user, name="With a photo"
    )
    board.delete()
    photo.delete()
    batch = _batch(template, user, "first_name\nAna\n")
    with pytest.raises(ValidationError, match="Scene 3's image was deleted from the workspace"):
        services.batches.batch_launch(batch=batch, user=user)


def test_a_placeholder_without_a_column_is_named_and_nothing_is_stored(
    template: Template,
) -> None:
    """The CSV check names the placeholder that has no column; no batch is made."""
    parsed = batches.parse("first_name\nAna\n", fields=template.fields, max_rows=500)
    assert not parsed.ok
    assert [str(e) for e in parsed.errors] == [
        "Row 1: no column for {company}; add a column named company."
    ]


def test_a_row_that_cannot_be_made_stops_the_launch_with_nothing_queued(
    workspace: Any, user: Any, no_queue: Any
) -> None:
    """A filled on-screen text over its limit: the row is named, nothing is stored."""
    board = _storyboard(workspace, user, {0: {"on_screen_text": "Hi {first_name}"}})
    template = services.storyboard_batches.storyboard_template_create(
        storyboard=board, user=user, name="Long"
    )
    template.fields[0]["max_length"] = 2000
    template.save()
    batch = _batch(template, user, f"first_name\nAna\n{'x' * 300}\n")
    storyboards = Storyboard.objects.count()
    with pytest.raises(ValidationError, match="Row 3: scene 1's on-screen text"):
        services.batches.batch_launch(batch=batch, user=user)
    assert (_scene_jobs(workspace), Storyboard.objects.count()) == ([], storyboards)
    assert no_queue.call_count == 0
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DRAFT


def test_retry_renders_a_failed_row_again_making_only_its_failed_scene(
    template: Template, user: Any
) -> None:
    """Row 2's own scene failed: Retry makes that scene alone; the shared footage is reused."""
    batch = _batch(template, user, _csv(2))
    services.batches.batch_launch(batch=batch, user=user)
    row = batch.rows.get(number=3)
    failed = row.render.scenes.get(position=2).job
    _make_footage([job for job in _scene_jobs(template.workspace) if job.pk != failed.pk])
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED, error="out of memory")
    assert selectors.batch_progress(batch=batch)["failed"] == 1
    retried = services.batches.batch_retry_failed(batch=batch, user=user)
    assert [r.number for r in retried] == [3]
    row.refresh_from_db()
    again = [
        job
        for job in _scene_jobs(template.workspace)
        if job.storyboard_scenes.filter(render=row.render).exists()
    ]
    assert [(job.generation_key, job.status) for job in again] == [
        (failed.generation_key, Job.Status.QUEUED)
    ]
    assert row.attempts == 2


def test_cancelling_one_rows_render_leaves_the_shared_scenes_to_the_others(
    template: Template, user: Any
) -> None:
    """Row 2's render cancelled on its storyboard's page: its own scene job is cancelled, the
    three shared ones stay queued for row 3."""
    batch = _batch(template, user, _csv(2))
    services.batches.batch_launch(batch=batch, user=user)
    row = batch.rows.get(number=2)
    services.storyboard_render.storyboard_render_cancel(render=row.render)
    jobs = {job.pk: job.status for job in _scene_jobs(template.workspace)}
    own = row.render.scenes.get(position=2).job_id
    assert jobs.pop(own) == Job.Status.CANCELLED
    assert list(jobs.values()) == [Job.Status.QUEUED] * 4  # 3 shared + row 3's own


def test_cancel_stops_every_rows_render(template: Template, user: Any) -> None:
    """Cancelling the batch cancels each row's render and its scene jobs."""
    batch = _batch(template, user, _csv(2))
    services.batches.batch_launch(batch=batch, user=user)
    assert services.batches.batch_cancel(batch=batch) == 2
    statuses = set(StoryboardRender.objects.filter(batch_rows__batch=batch).values_list("status"))
    assert statuses == {(StoryboardRender.Status.CANCELLED,)}
    assert {job.status for job in _scene_jobs(template.workspace)} == {Job.Status.CANCELLED}


# Pages ----------------------------------------------------------------------------------------


def test_save_as_template_on_the_storyboard_page_opens_the_template(
    member_client: Any, workspace: Any, user: Any
) -> None:
    """The button saves the template and its page shows the placeholders; the library lists it."""
    board = _storyboard(workspace, user, {3: {"on_screen_text": "See you, {first_name}"}})
    page = member_client.get(reverse("storyboard_detail", args=[workspace.pk, board.pk]))
    assert b"Save as template" in page.content
    response = member_client.post(
        reverse("storyboard_save_template", args=[workspace.pk, board.pk]), {"name": "See you"}
    )
    template = Template.objects.get(name="See you")
    assert response.status_code == 302
    assert response["Location"] == reverse("template_use", args=[workspace.pk, template.pk])
    page = member_client.get(response["Location"])
    assert page.status_code == 200
    assert b"{first_name}" in page.content and b"once for the batch" in page.content
    library = member_client.get(
        reverse("template_library", args=[workspace.pk]), {"mode": "storyboard"}
    )
    assert b"See you" in library.content


def test_the_batch_page_shows_the_scene_renders_needed_and_launches(
    member_client: Any, template: Template, no_queue: Any
) -> None:
    """The draft's page counts 13 renders against 40; Launch queues them."""
    workspace = template.workspace
    response = member_client.post(
        reverse("batch_new", args=[workspace.pk]), {"template": template.pk, "csv_text": _csv(10)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = Batch.objects.get(template=template)
    page = member_client.get(response["Location"])
    assert b"13 scene renders needed" in page.content
    assert b"rows x scenes = 40" in page.content
    member_client.post(reverse("batch_launch", args=[workspace.pk, batch.pk]))
    assert len(_scene_jobs(workspace)) == 13
    page = member_client.get(reverse("batch_detail", args=[workspace.pk, batch.pk]))
    assert page.content.count(b"Making scenes: 0 of") == 10
    results = member_client.get(reverse("batch_results", args=[workspace.pk, batch.pk]))
    assert results.content.decode().splitlines()[1] == "2,rendering,,"


def test_a_csv_missing_a_placeholders_column_is_refused_next_to_the_csv(
    member_client: Any, template: Template
) -> None:
    """The form names the missing column; no batch is stored."""
    response = member_client.post(
        reverse("batch_new", args=[template.workspace_id]),
        {"template": template.pk, "csv_text": "first_name\nAna\n"},
    )
    assert response.status_code == 400
    assert b"no column for {company}" in response.content
    assert not Batch.objects.exists()


def test_a_viewer_cannot_save_a_template_and_another_workspace_cannot_see_it(
    client: Any, template: Template, other_user: Any
) -> None:
    """Viewers are refused Save as template; a stranger gets 404 for the template's page."""
    workspace = template.workspace
    Membership.objects.create(workspace=workspace, user=other_user, role=Membership.Role.VIEWER)
    client.force_login(other_user)
    assert template.source_storyboard is not None
    refused = client.post(
        reverse("storyboard_save_template", args=[workspace.pk, template.source_storyboard.pk]),
        {"name": "Mine"},
    )
    assert refused.status_code == 403
    Membership.objects.filter(user=other_user).delete()
    hidden = client.get(reverse("template_use", args=[workspace.pk, template.pk]))
    assert hidden.status_code in (403, 404)
