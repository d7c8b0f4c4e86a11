"""Storyboards: the list, a new one from a script, and the storyboard page, where its settings
and each scene are edited, and scenes added, duplicated, deleted and moved.

Every form posts and redirects back to the storyboard page; a refusal renders the page again
with the message next to its field (status 400), and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from generation import limits
from studio import selectors, services
from studio.engines import engine_list, voice_list
from studio.forms.storyboards import SceneForm, StoryboardNewForm, StoryboardSettingsForm
from studio.models import Asset, Membership, Storyboard, StoryboardScene
from studio.views.access import AuthenticatedRequest, member_of

EDITING_REFUSED = "Viewers cannot change storyboards in this workspace."


@require_GET
@login_required
def storyboard_list(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The workspace's storyboards, the latest changed first."""
    membership = member_of(request, workspace_id)
    storyboards = selectors.storyboard_list_for_workspace(workspace=membership.workspace)
    return render(
        request,
        "studio/storyboards/list.html",
        {"workspace": membership.workspace, "membership": membership, "storyboards": storyboards},
    )


@login_required
def storyboard_new(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """Paste a script or an article and make its scenes."""
    membership = member_of(request, workspace_id, editing=EDITING_REFUSED)
    form = StoryboardNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            storyboard = services.storyboards.storyboard_create_from_text(
                workspace=membership.workspace,
                user=request.user,
                text=form.cleaned_data["text"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            return redirect(storyboard_url(storyboard))
    return render(
        request,
        "studio/storyboards/new.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "form": form,
            "limits": {"storyboard_chars": limits.MAX_STORYBOARD_CHARS},
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
@login_required
def storyboard_detail(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """The storyboard page: its settings, then every scene as a card, in play order."""
    membership = member_of(request, workspace_id)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    return _page(request, membership, storyboard)


@require_POST
@login_required
def storyboard_settings(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """Save the settings the whole storyboard shares; an uploaded music file is kept only
    when they are saved."""
    membership, storyboard = _editable(request, workspace_id, storyboard_id)
    form = StoryboardSettingsForm(
        request.POST,
        request.FILES,
        voices=voice_list(),
        storyboard=storyboard,
        styles=selectors.style_list_for_workspace(workspace=membership.workspace),
    )
    if form.is_valid():
        try:
            with _kept_only_if_saved() as stored:
                music = form.cleaned_data["music_file"]
                asset = (
                    services.uploads.audio_asset_create(
                        workspace=membership.workspace,
                        user=request.user,
                        upload=music.upload,
                        format=music.format,
                        duration=music.duration,
                    )
                    if music
                    else None
                )
                if asset is not None:
                    stored.append(asset)
                services.storyboards.storyboard_settings_update(
                    storyboard=storyboard, settings=form.to_settings(asset)
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect(storyboard_url(storyboard))
    return _page(request, membership, _fresh(storyboard), settings_form=form)


@require_POST
@login_required
def storyboard_scene_save(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, scene_id: int
) -> HttpResponse:
    """Save one scene's card; an uploaded image is kept only when the scene is saved."""
    membership, storyboard = _editable(request, workspace_id, storyboard_id)
    scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
    form = _scene_form(membership, scene, data=request.POST, files=request.FILES)
    if form.is_valid():
        try:
            with _kept_only_if_saved() as stored:
                image = form.cleaned_data["image_upload"]
                asset = (
                    services.uploads.asset_create(
                        workspace=membership.workspace,
                        user=request.user,
                        upload=image.upload,
                        image=image.image,
                    )
                    if image
                    else None
                )
                if asset is not None:
                    stored.append(asset)
                services.storyboards.storyboard_scene_update(scene=scene, edit=form.to_edit(asset))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Scene {scene.position + 1} saved.")
            return redirect(storyboard_url(storyboard, scene))
    return _page(request, membership, _fresh(storyboard), scene_form=form)


@require_POST
@login_required
def storyboard_scene_add(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """A new text card at the end (or after the scene named by ``after``)."""
    _, storyboard = _editable(request, workspace_id, storyboard_id)
    after_id = request.POST.get("after", "")
    after = (
        selectors.storyboard_scene_get(storyboard=storyboard, scene_id=int(after_id))
        if after_id.isdigit()
        else None
    )
    return _scene_action(
        request,
        storyboard,
        lambda: services.storyboards.storyboard_scene_add(storyboard=storyboard, after=after),
        "Scene added.",
    )


@require_POST
@login_required
def storyboard_scene_duplicate(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, scene_id: int
) -> HttpResponse:
    """A copy of the scene, right after it."""
    _, storyboard = _editable(request, workspace_id, storyboard_id)
    scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
    return _scene_action(
        request,
        storyboard,
        lambda: services.storyboards.storyboard_scene_duplicate(scene=scene),
        f"Scene {scene.position + 1} duplicated.",
    )


@require_POST
@login_required
def storyboard_scene_delete(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, scene_id: int
) -> HttpResponse:
    """Remove a scene (not the only one)."""
    _, storyboard = _editable(request, workspace_id, storyboard_id)
    scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)

    def delete() -> None:
        services.storyboards.storyboard_scene_delete(scene=scene)

    return _scene_action(request, storyboard, delete, f"Scene {scene.position + 1} deleted.")


@require_POST
@login_required
def storyboard_scene_move(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int, scene_id: int
) -> HttpResponse:
    """Move a scene one place up (``direction=up``) or down (``direction=down``)."""
    _, storyboard = _editable(request, workspace_id, storyboard_id)
    scene = selectors.storyboard_scene_get(storyboard=storyboard, scene_id=scene_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a scene up or down.")
        return redirect(storyboard_url(storyboard))

    def move() -> StoryboardScene:
        services.storyboards.storyboard_scene_move(scene=scene, offset=offset)
        return scene

    return _scene_action(request, storyboard, move, "")


@require_POST
@login_required
def storyboard_save_template(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """Save as template: the storyboard's scenes and settings, its placeholders as fields."""
    membership = member_of(request, workspace_id, editing="Viewers cannot save templates.")
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    try:
        template = services.storyboard_batches.storyboard_template_create(
            storyboard=storyboard, user=request.user, name=request.POST.get("name", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(storyboard_url(storyboard))
    messages.success(request, f"Saved as the template {template.name}.")
    return redirect("template_use", workspace_id=workspace_id, template_id=template.pk)


@require_POST
@login_required
def storyboard_delete(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> HttpResponse:
    """Delete the storyboard and its scenes."""
    _, storyboard = _editable(request, workspace_id, storyboard_id)
    services.storyboards.storyboard_delete(storyboard=storyboard)
    messages.success(request, f"“{storyboard.title}” was deleted.")
    return redirect("storyboard_list", workspace_id=workspace_id)


def storyboard_url(storyboard: Storyboard, scene: StoryboardScene | None = None) -> str:
    url = reverse("storyboard_detail", args=[storyboard.workspace_id, storyboard.pk])
    return f"{url}#scene-{scene.pk}" if scene is not None else url


# Helpers -------------------------------------------------------------------------------------


def _editable(
    request: AuthenticatedRequest, workspace_id: int, storyboard_id: int
) -> tuple[Membership, Storyboard]:
    membership = member_of(request, workspace_id, editing=EDITING_REFUSED)
    storyboard = selectors.storyboard_get(
        workspace=membership.workspace, storyboard_id=storyboard_id
    )
    return membership, storyboard


def _fresh(storyboard: Storyboard) -> Storyboard:
    """The storyboard as stored: a refused change leaves the instance as it was posted."""
    return selectors.storyboard_get(workspace=storyboard.workspace, storyboard_id=storyboard.pk)


def _scene_form(
    membership: Membership,
    scene: StoryboardScene,
    *,
    data: Any = None,
    files: Any = None,
) -> SceneForm:
    """A scene's card form, its choices the workspace's images and avatars; read-only for a
    viewer."""
    workspace = membership.workspace
    form = SceneForm(
        data,
        files,
        scene=scene,
        engines=engine_list(),
        images=selectors.image_assets_for_workspace(workspace=workspace),
        avatars=selectors.avatar_list_for_workspace(workspace=workspace),
    )
    if not membership.can_edit:
        for field in form.fields.values():
            field.disabled = True
    return form


def _scene_action(
    request: AuthenticatedRequest, storyboard: Storyboard, action: Callable[[], Any], done: str
) -> HttpResponse:
    """Run one scene operation; its refusal is said at the top of the page."""
    try:
        result = action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(storyboard_url(storyboard))
    if done:
        messages.success(request, done)
    scene = result if isinstance(result, StoryboardScene) else None
    return redirect(storyboard_url(storyboard, scene))


@contextmanager
def _kept_only_if_saved() -> Iterator[list[Asset]]:
    """Uploads stored for a change (appended to the list) are deleted again, file and row,
    when the change is refused: a refused form leaves nothing behind."""
    stored: list[Asset] = []
    try:
        yield stored
    except ValidationError:
        for asset in stored:
            services.uploads.asset_delete(asset=asset)
        raise


def _add_errors(form: Any, exc: ValidationError) -> None:
    """The service's refusal next to the field it names (the whole form's where the form has
    no such field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _page(
    request: AuthenticatedRequest,
    membership: Membership,
    storyboard: Storyboard,
    *,
    settings_form: StoryboardSettingsForm | None = None,
    scene_form: SceneForm | None = None,
) -> HttpResponse:
    """The storyboard page; a refused form is shown as posted, with its messages (400)."""
    scenes = selectors.storyboard_scenes(storyboard=storyboard)
    cards = [
        {
            "scene": scene,
            "number": number,
            "form": scene_form
            if scene_form is not None and scene_form.scene.pk == scene.pk
            else _scene_form(membership, scene),
        }
        for number, scene in enumerate(scenes, start=1)
    ]
    if settings_form is None:
        settings_form = StoryboardSettingsForm(
            voices=voice_list(),
            storyboard=storyboard,
            styles=selectors.style_list_for_workspace(workspace=membership.workspace),
        )
        if not membership.can_edit:
            for field in settings_form.fields.values():
                field.disabled = True
    refused = settings_form.errors or (scene_form is not None and scene_form.errors)
    return render(
        request,
        "studio/storyboards/detail.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "storyboard": storyboard,
            "settings_form": settings_form,
            "cards": cards,
            "visuals_with_prompt": ["text-to-video", "image-to-video"],
            **selectors.storyboard_render_context(storyboard=storyboard),
        },
        status=400 if refused else 200,
    )
