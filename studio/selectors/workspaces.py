"""Reads of workspaces, memberships and projects: who may see what."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.http import Http404

from studio.models import Membership, Project, Workspace

# Membership ---------------------------------------------------------------------------------


def workspace_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Workspace]:
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: User | AnonymousUser, workspace_id: int) -> Membership:
    """The user's membership of a workspace, or 404: a non-member cannot tell it exists."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def membership_list(*, workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )


def is_member(*, user: User | AnonymousUser, workspace_id: int) -> bool:
    return bool(
        user.is_authenticated
        and Membership.objects.filter(user=user, workspace_id=workspace_id).exists()
    )


def project_list_for_workspace(*, workspace: Workspace) -> QuerySet[Project]:
    return Project.objects.filter(workspace=workspace)
