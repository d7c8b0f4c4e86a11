"""Reads of style presets and style LoRAs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from generation.styles import BUILTIN_STYLES, Style
from studio.models import StyleLora, Workspace, WorkspaceStyle

# Style LoRAs -----------------------------------------------------------------------------------


def style_lora_list_for_workspace(*, workspace: Workspace) -> QuerySet[StyleLora]:
    return StyleLora.objects.filter(workspace=workspace).select_related("created_by")


def style_lora_get(*, workspace: Workspace, lora_id: int) -> StyleLora:
    lora = style_lora_list_for_workspace(workspace=workspace).filter(pk=lora_id).first()
    if lora is None:
        raise Http404("No such style LoRA in this workspace.")
    return lora


# Styles and boards ---------------------------------------------------------------------------


def workspace_style_list(*, workspace: Workspace) -> QuerySet[WorkspaceStyle]:
    return WorkspaceStyle.objects.filter(workspace=workspace)


def workspace_style_get(*, workspace: Workspace, style_id: int) -> WorkspaceStyle:
    style = WorkspaceStyle.objects.filter(workspace=workspace, pk=style_id).first()
    if style is None:
        raise Http404
    return style


def style_list_for_workspace(*, workspace: Workspace) -> list[Style]:
    """The styles the editors offer here: the built-in ones, then the workspace's own."""
    own = [saved.as_style() for saved in workspace_style_list(workspace=workspace)]
    return [*BUILTIN_STYLES.values(), *own]


def style_named(*, workspace: Workspace, name: str, current: Style | None = None) -> Style | None:
    """The style called ``name`` here (None for ""): a built-in one, the workspace's own, or
    ``current`` (a template's saved copy, kept even once its workspace style is deleted).
    ValidationError(code="unknown_style") for any other name."""
    if not name:
        return None
    if name in BUILTIN_STYLES:
        return BUILTIN_STYLES[name]
    saved = WorkspaceStyle.objects.filter(workspace=workspace, name=name).first()
    if saved is not None:
        return saved.as_style()
    if current is not None and current.name == name:
        return current
    raise ValidationError(
        "There is no style called %(name)s here; choose one of the list.",
        code="unknown_style",
        params={"name": repr(name)},
    )
