"""Reads of templates and the brand kit their videos are drawn with."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.http import Http404

from studio.models import BrandKit, Template, Workspace

# Templates ------------------------------------------------------------------------------------


def template_list_for_workspace(
    *, workspace: Workspace, mode: str = "", aspect: str = ""
) -> QuerySet[Template]:
    """The workspace's own templates and the built-in ones, the workspace's first."""
    templates = Template.objects.filter(Q(workspace=workspace) | Q(workspace__isnull=True))
    if mode:
        templates = templates.filter(mode=mode)
    if aspect:
        templates = templates.filter(aspect=aspect)
    return templates.order_by(F("workspace_id").asc(nulls_last=True), "name", "pk")


def template_get(*, workspace: Workspace, template_id: int) -> Template:
    """A built-in template or one of this workspace's, else 404."""
    template = template_list_for_workspace(workspace=workspace).filter(pk=template_id).first()
    if template is None:
        raise Http404
    return template


# Brand kit ------------------------------------------------------------------------------------


def brand_kit_for_workspace(*, workspace: Workspace) -> BrandKit:
    """The workspace's brand kit, or an unsaved one with the defaults if it has none yet."""
    return BrandKit.objects.filter(workspace=workspace).first() or BrandKit(workspace=workspace)
