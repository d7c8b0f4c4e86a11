"""Styles in the studio: the editor's choice, the job's record of it, templates, storyboards,
the API, and the workspace's own styles that owners and editors manage."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.urls import reverse

from generation.styles import BUILTIN_STYLES
from studio import services
from studio.models import Job, Membership, Storyboard, Template, WorkspaceStyle
from studio.params import JobParams, generation_key
from studio.services.storyboards import StoryboardSettings
from studio.services.styles import StyleSpec
from studio.worker import run as worker_run
from tests.studio.api.conftest import TokenClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def pastel(workspace: Any, user: Any) -> WorkspaceStyle:
    spec = StyleSpec(name="Pastel spring", prompt="pastel palette, soft light", steps=3)
    return services.styles.workspace_style_create(workspace=workspace, user=user, spec=spec)


def _form(asset_png: Any = None, **overrides: Any) -> dict[str, Any]:
    data = {
        "mode": "image-to-video",
        "prompt": "slow zoom in on the bottle",
        "negative_prompt": "",
        "engine": "camera-motion",
        "aspect": "1:1",
        "size": "small",
        "num_frames": "4",
        "fps": "8",
        "steps": "1",
        "guidance": "0",
        "seed": "3",
        "style": "anime",
    }
    return {**data, **overrides}


def _post_editor(client: Any, workspace: Any, png_bytes: bytes, **overrides: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("bottle.png", png_bytes, content_type="image/png")
    return client.post(
        reverse("job_new", args=[workspace.pk]), {**_form(**overrides), "image": image}
    )


def test_the_editor_offers_the_built_in_styles_and_the_workspaces_own(
    member_client, workspace, pastel
):
    """The Style select lists no style, the seven built-in ones, then the workspace's."""
    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert 'name="style"' in html and '<option value="" selected>No style</option>' in html
    for style in BUILTIN_STYLES.values():
        assert f'<option value="{style.name}">{style.label}</option>' in html
    assert '<optgroup label="This workspace&#39;s styles">' in html
    assert '<option value="Pastel spring">Pastel spring</option>' in html


def test_a_style_chosen_in_the_editor_is_kept_on_the_job_and_in_its_key(
    member_client, workspace, png_bytes, no_queue
):
    """The job keeps a copy of the style; the same request without it is other footage."""
    response = _post_editor(member_client, workspace, png_bytes)
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.style == BUILTIN_STYLES["anime"].as_dict()
    assert JobParams.of_job(job).style == BUILTIN_STYLES["anime"]
    plain = Job.objects.get(pk=job.pk)
    plain.style = {}
    assert generation_key(plain) != job.generation_key


def test_an_unknown_style_is_refused_next_to_the_field(
    member_client, workspace, png_bytes, no_queue
):
    """A style that is not offered here: 400, the message by the Style select, nothing stored."""
    response = _post_editor(member_client, workspace, png_bytes, style="vaporwave")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-style"' in html
    assert "There is no style called vaporwave here; choose one of the list." in html
    assert not Job.objects.exists() and not no_queue.called


def test_another_workspaces_style_is_not_offered_or_accepted(
    member_client, workspace, png_bytes, other_user, no_queue
):
    """A style saved in otto's workspace is unknown in maya's."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    services.styles.workspace_style_create(
        workspace=theirs, user=other_user, spec=StyleSpec(name="Secret look", prompt="neon")
    )
    html = member_client.get(reverse("job_new", args=[workspace.pk])).content.decode()
    assert "Secret look" not in html
    response = _post_editor(member_client, workspace, png_bytes, style="Secret look")
    assert response.status_code == 400 and not Job.objects.exists()


def test_the_job_page_shows_in_full_what_the_style_added(
    member_client, workspace, png_bytes, no_queue, in_memory_layer
):
    """A real run: the page lists the words, the negative, the settings and the styled prompt."""
    _post_editor(member_client, workspace, png_bytes, style="documentary")
    job = Job.objects.get()
    worker_run.job_run(job_id=job.pk, worker="test-host:1")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    style = BUILTIN_STYLES["documentary"]
    html = member_client.get(reverse("job_detail", args=[workspace.pk, job.pk])).content.decode()
    assert "What the Documentary style added" in html
    assert style.prompt in html and style.negative in html
    assert "guidance 4.5 (instead of 0.0)" in html
    assert f"slow zoom in on the bottle, {style.prompt}" in html  # the prompt the engine saw
    assert 'id="style-in-prompt"' in html and "<strong>documentary</strong>" in html


def test_a_job_made_again_keeps_its_style(workspace, user, camera_params, asset, no_queue):
    """Re-running a styled job makes the same request, style included."""
    params = dataclasses.replace(camera_params, style=BUILTIN_STYLES["minimal"])
    job = services.jobs.job_submit(workspace=workspace, user=user, params=params, image=asset)
    again = services.jobs.job_rerun(job=job, user=user, same_seed=True)
    assert again.style == job.style and again.generation_key == job.generation_key


def test_a_template_keeps_its_style_and_its_videos_use_it(
    member_client, workspace, user, pastel, no_queue
):
    """The template editor's Style is saved on the template and filled into its jobs."""
    template = Template.objects.create(
        workspace=workspace,
        name="Bottle",
        mode="image-to-video",
        engine="camera-motion",
        prompt="slow zoom in on the soap",
        width=256,
        height=256,
        num_frames=4,
        fps=8,
    )
    edit = reverse("template_edit", args=[workspace.pk, template.pk])
    html = member_client.get(edit).content.decode()
    assert 'name="style"' in html
    data = {"name": "Bottle", "prompt": template.prompt, "style": "Pastel spring"}
    assert member_client.post(edit, data).status_code == 302
    template.refresh_from_db()
    assert template.style == pastel.as_style().as_dict()
    params, _ = services.templates.template_params(template=template, values={})
    assert params.style == pastel.as_style()
    use = member_client.get(reverse("template_use", args=[workspace.pk, template.pk]))
    assert 'id="template-style"' in use.content.decode()


def test_a_storyboard_keeps_its_style_for_its_scenes(workspace, user):
    """The storyboard's style reaches the engine's storyboard, whose scenes' requests use it."""
    from generation.pipelines.storyboard import _engine_request
    from studio.boards import board_values

    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, title="Launch", text="A small bakery opens today."
    )
    settings = StoryboardSettings(
        voice="",
        speed=1.0,
        music="none",
        music_db=-16.0,
        captions="file",
        transition="crossfade",
        aspects=["16:9"],
        style="cinematic",
    )
    services.storyboards.storyboard_settings_update(storyboard=storyboard, settings=settings)
    storyboard = Storyboard.objects.get(pk=storyboard.pk)
    assert storyboard.style["name"] == "cinematic"
    board = board_values(storyboard, list(storyboard.scenes.all()))
    scene = dataclasses.replace(board.scenes[0], visual="text-to-video", prompt="a bakery")
    assert _engine_request(scene, board, "16:9", 16).style == BUILTIN_STYLES["cinematic"]


def _storyboard_settings_post(storyboard: Storyboard, **changes: Any) -> dict[str, Any]:
    return {
        "voice": storyboard.voice,
        "speed": storyboard.speed,
        "music": storyboard.music,
        "music_db": storyboard.music_db,
        "captions": storyboard.captions,
        "transition": storyboard.transition,
        "aspects": storyboard.aspects,
    } | changes


def test_the_storyboard_page_offers_saves_and_shows_a_style(member_client, workspace, user, pastel):
    """The settings list the styles (the workspace's too); the chosen one is kept and shown."""
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, title="Launch", text="A small bakery opens today."
    )
    url = reverse("storyboard_detail", args=[workspace.pk, storyboard.pk])
    page = member_client.get(url).content.decode()
    assert 'name="style"' in page and '<option value="anime">Anime</option>' in page
    assert '<option value="Pastel spring">Pastel spring</option>' in page
    assert 'id="storyboard-style"' not in page
    save = reverse("storyboard_settings", args=[workspace.pk, storyboard.pk])
    response = member_client.post(save, _storyboard_settings_post(storyboard, style="anime"))
    assert response.status_code == 302
    storyboard.refresh_from_db()
    assert storyboard.style == BUILTIN_STYLES["anime"].as_dict()
    page = member_client.get(url).content.decode()
    assert '<option value="anime" selected>Anime</option>' in page
    assert 'id="storyboard-style-name">Anime style<' in page
    assert BUILTIN_STYLES["anime"].prompt in page and BUILTIN_STYLES["anime"].negative in page
    member_client.post(save, _storyboard_settings_post(storyboard, style=""))
    storyboard.refresh_from_db()
    assert storyboard.style == {}


def test_a_storyboard_keeps_its_copy_of_a_deleted_workspace_style(
    member_client, workspace, user, pastel
):
    """Deleting the workspace's style leaves the storyboard's copy chosen and offered."""
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, title="Launch", text="A small bakery opens today."
    )
    save = reverse("storyboard_settings", args=[workspace.pk, storyboard.pk])
    member_client.post(save, _storyboard_settings_post(storyboard, style="Pastel spring"))
    services.styles.workspace_style_delete(style=pastel)
    url = reverse("storyboard_detail", args=[workspace.pk, storyboard.pk])
    page = member_client.get(url).content.decode()
    assert '<option value="Pastel spring" selected>Pastel spring</option>' in page
    response = member_client.post(
        save, _storyboard_settings_post(storyboard, style="Pastel spring")
    )
    assert response.status_code == 302
    storyboard.refresh_from_db()
    assert storyboard.style["prompt"] == "pastel palette, soft light"


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ("vaporwave", "There is no style called vaporwave here; choose one of the list."),
        ("Secret look", "There is no style called Secret look here; choose one of the list."),
    ],
)
def test_a_storyboard_refuses_a_style_not_offered_here_next_to_the_field(
    member_client, workspace, user, other_user, style, message
):
    """An unknown style, or another workspace's: 400, the message by the Style select, no change."""
    services.styles.workspace_style_create(
        workspace=services.workspaces.workspace_ensure_personal(user=other_user),
        user=other_user,
        spec=StyleSpec(name="Secret look", prompt="neon"),
    )
    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, title="Launch", text="A small bakery opens today."
    )
    save = reverse("storyboard_settings", args=[workspace.pk, storyboard.pk])
    response = member_client.post(save, _storyboard_settings_post(storyboard, style=style))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-style"' in page and message in page
    assert Storyboard.objects.get(pk=storyboard.pk).style == {}


def test_a_storyboard_style_that_takes_a_scene_prompt_over_the_limit_is_refused(workspace, user):
    """A text-to-video scene's prompt plus the style's words must fit the prompt limit."""
    from django.core.exceptions import ValidationError

    from generation.limits import MAX_PROMPT_CHARS
    from studio.services.storyboards import SceneEdit

    storyboard = services.storyboards.storyboard_create_from_text(
        workspace=workspace, user=user, title="Launch", text="A small bakery opens today."
    )
    scene = storyboard.scenes.get()
    edit = SceneEdit(
        visual="text-to-video",
        voiceover=scene.voiceover,
        on_screen_text=scene.on_screen_text,
        prompt="a" * (MAX_PROMPT_CHARS - 10),
        transition=scene.transition,
        engine="",
    )
    services.storyboards.storyboard_scene_update(scene=scene, edit=edit)
    settings = StoryboardSettings(
        voice="",
        speed=1.0,
        music="none",
        music_db=-16.0,
        captions="file",
        transition="crossfade",
        aspects=["16:9"],
        style="cinematic",
    )
    with pytest.raises(ValidationError) as refused:
        services.storyboards.storyboard_settings_update(storyboard=storyboard, settings=settings)
    assert "style" in refused.value.message_dict
    assert "Scene 1: With the Cinematic style's additions" in refused.value.message_dict["style"][0]
    assert Storyboard.objects.get(pk=storyboard.pk).style == {}


def test_the_api_accepts_a_style_and_answers_with_it(workspace, user, asset, no_queue):
    """POST /api/v1/jobs/ with "style": the job keeps it; an unknown one is a field problem."""
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    api = TokenClient(raw)
    body = {"mode": "image-to-video", "prompt": "zoom in", "asset": asset.pk, "style": "3d-render"}
    body |= {"width": 256, "height": 256, "frames": 4, "fps": 8}
    answer = api.post("/api/v1/jobs/", json.dumps(body), content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["parameters"]["style"] == "3d-render"
    assert Job.objects.get().style["name"] == "3d-render"
    bad = api.post(
        "/api/v1/jobs/", json.dumps({**body, "style": "vaporwave"}), content_type="application/json"
    )
    assert bad.status_code == 400 and "style" in bad.content.decode()
    assert Job.objects.count() == 1


def test_editors_save_a_style_on_the_styles_page(member_client, workspace):
    """The styles page lists the built-in styles and saves the workspace's own."""
    url = reverse("style_list", args=[workspace.pk])
    html = member_client.get(url).content.decode()
    assert "Product studio" in html and BUILTIN_STYLES["anime"].prompt in html
    data = {"name": "Brand blue", "prompt": "deep blue tones", "negative": "red", "guidance": "7"}
    assert member_client.post(url, data).status_code == 302
    style = WorkspaceStyle.objects.get()
    assert (style.name, style.prompt, style.negative, style.guidance, style.steps) == (
        "Brand blue",
        "deep blue tones",
        "red",
        7.0,
        None,
    )
    assert "Brand blue" in member_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Anime", "prompt": "x"}, "name", "&#x27;Anime&#x27; is already a style here"),
        ({"name": "Pastel spring", "prompt": "x"}, "name", "is already a style here"),
        ({"name": "Blue", "prompt": ""}, "prompt", "This field is required."),
        ({"name": "Blue", "prompt": "x", "steps": "0"}, "steps", "greater than or equal to 1"),
    ],
)
def test_a_bad_style_is_refused_next_to_its_field(
    member_client, workspace, pastel, data, field, message
):
    """A taken name, no additions, steps out of range: 400 by the field, nothing saved."""
    response = member_client.post(reverse("style_list", args=[workspace.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="error-{field}"' in html and message in html
    assert WorkspaceStyle.objects.count() == 1


def test_editing_a_style_leaves_what_was_made_with_it_as_it_was(
    member_client, workspace, user, pastel, camera_params, asset, no_queue
):
    """A job keeps the style's copy from when it was made; the edit applies from now on."""
    params = dataclasses.replace(camera_params, style=pastel.as_style())
    job = services.jobs.job_submit(workspace=workspace, user=user, params=params, image=asset)
    edit = reverse("style_edit", args=[workspace.pk, pastel.pk])
    data = {"name": "Pastel spring", "prompt": "pastel, matte paper"}
    assert member_client.post(edit, data).status_code == 302
    job.refresh_from_db()
    assert job.style["prompt"] == "pastel palette, soft light"
    assert WorkspaceStyle.objects.get().prompt == "pastel, matte paper"
    delete = reverse("style_delete", args=[workspace.pk, pastel.pk])
    assert member_client.post(delete).status_code == 302
    assert not WorkspaceStyle.objects.exists()


def test_viewers_see_the_styles_but_cannot_change_them(client, workspace, other_user, pastel):
    """A viewer reads the page; saving, editing and deleting are 403."""
    services.workspaces.membership_add(
        workspace=workspace, user=other_user, role=Membership.Role.VIEWER
    )
    client.force_login(other_user)
    url = reverse("style_list", args=[workspace.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Mine", "prompt": "x"}).status_code == 403
    assert client.get(reverse("style_edit", args=[workspace.pk, pastel.pk])).status_code == 403
    assert client.post(reverse("style_delete", args=[workspace.pk, pastel.pk])).status_code == 403
    assert WorkspaceStyle.objects.count() == 1


def test_non_members_get_404_for_the_styles_pages(client, workspace, other_user, pastel):
    """Another workspace's styles pages do not exist for otto."""
    client.force_login(other_user)
    assert client.get(reverse("style_list", args=[workspace.pk])).status_code == 404
    assert client.get(reverse("style_edit", args=[workspace.pk, pastel.pk])).status_code == 404
    assert client.post(reverse("style_delete", args=[workspace.pk, pastel.pk])).status_code == 404
