"""Reads of uploads and avatars."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from studio.models import Asset, Avatar, Workspace


def asset_list_for_workspace(*, workspace: Workspace) -> QuerySet[Asset]:
    """The workspace's uploaded images (its music is not offered where an image is asked for)."""
    return Asset.objects.filter(workspace=workspace, kind=Asset.Kind.IMAGE)


def avatar_list_for_workspace(*, workspace: Workspace) -> QuerySet[Avatar]:
    return Avatar.objects.filter(workspace=workspace).select_related("image")


def avatar_get(*, workspace: Workspace, avatar_id: int) -> Avatar:
    avatar = avatar_list_for_workspace(workspace=workspace).filter(pk=avatar_id).first()
    if avatar is None:
        raise Http404("No such avatar in this workspace.")
    return avatar


def image_assets_for_workspace(*, workspace: Workspace) -> QuerySet[Asset]:
    return Asset.objects.filter(workspace=workspace, kind=Asset.Kind.IMAGE).order_by("-created_at")


def uploads_present(
    *, workspace_id: int, asset_ids: set[int], avatar_ids: set[int]
) -> tuple[set[int], set[int]]:
    """Which of these uploads (images, music) and avatars the workspace still has."""
    assets = (
        set(
            Asset.objects.filter(workspace_id=workspace_id, pk__in=asset_ids).values_list(
                "pk", flat=True
            )
        )
        if asset_ids
        else set()
    )
    avatars = (
        set(
            Avatar.objects.filter(workspace_id=workspace_id, pk__in=avatar_ids).values_list(
                "pk", flat=True
            )
        )
        if avatar_ids
        else set()
    )
    return assets, avatars
