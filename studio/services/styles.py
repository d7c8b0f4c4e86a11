"""A workspace's own style presets: saving, changing and deleting them.

Jobs, templates and storyboards keep a copy of the style they were given, so a change or a
deletion here changes nothing already made or saved."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from generation.styles import BUILTIN_STYLES, check_style
from studio.models import Workspace, WorkspaceStyle
from studio.services.errors import refused_as


@dataclass(frozen=True)
class StyleSpec:
    """What a workspace style is made of (see WorkspaceStyle)."""

    name: str
    prompt: str
    negative: str = ""
    guidance: float | None = None
    steps: int | None = None


def workspace_style_create(*, workspace: Workspace, user: User, spec: StyleSpec) -> WorkspaceStyle:
    """Save a style for the workspace's editors, beside the built-in ones."""
    style = WorkspaceStyle(workspace=workspace, created_by=user)
    return _saved(style, spec)


def workspace_style_update(*, style: WorkspaceStyle, spec: StyleSpec) -> WorkspaceStyle:
    """Change a saved style; what was made with it keeps the style as it was."""
    return _saved(style, spec)


def workspace_style_delete(*, style: WorkspaceStyle) -> None:
    style.delete()


def _saved(style: WorkspaceStyle, spec: StyleSpec) -> WorkspaceStyle:
    name = spec.name.strip()
    _check_name(style, name)
    prompt = spec.prompt.strip()
    if not prompt:
        raise ValidationError(
            {"prompt": ValidationError("Write what the style adds to a prompt.", code="empty")}
        )
    style.name, style.prompt, style.negative = name, prompt, spec.negative.strip()
    style.guidance, style.steps = spec.guidance, spec.steps
    try:
        with refused_as("bad_style"):
            check_style(style.as_style())
    except ValidationError as exc:
        message = " ".join(exc.messages)
        raise ValidationError(
            {_field_of(message): ValidationError(message, code=exc.code)}
        ) from None
    style.save()
    return style


def _check_name(style: WorkspaceStyle, name: str) -> None:
    if not name:
        raise ValidationError({"name": ValidationError("Name the style.", code="empty")})
    taken_by_builtin = name.lower() in {
        key for s in BUILTIN_STYLES.values() for key in (s.name, s.label.lower())
    }
    taken = (
        WorkspaceStyle.objects.filter(workspace_id=style.workspace_id, name__iexact=name)
        .exclude(pk=style.pk)
        .exists()
    )
    if taken_by_builtin or taken:
        raise ValidationError(
            {
                "name": ValidationError(
                    "%(name)s is already a style here; choose another name.",
                    code="name_taken",
                    params={"name": repr(name)},
                )
            }
        )


def _field_of(message: str) -> str:
    """The form field a refusal of generation.styles.check_style is about."""
    for phrase, field in (("name", "name"), ("negative", "negative"), ("guidance", "guidance")):
        if phrase in message:
            return field
    return "steps" if "steps" in message else "prompt"
