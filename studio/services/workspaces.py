"""Workspaces, their members and their projects."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from studio import live
from studio.models import (
    Membership,
    Project,
    Workspace,
)


def workspace_ensure_personal(*, user: User) -> Workspace:
    """Give a user who belongs to no workspace a personal one; return their first workspace."""
    membership = Membership.objects.filter(user=user).select_related("workspace").first()
    if membership:
        return membership.workspace
    with transaction.atomic():
        name = f"{user.get_username()}'s workspace"
        workspace, _ = Workspace.objects.get_or_create(personal_for=user, defaults={"name": name})
        Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": Membership.Role.OWNER}
        )
    return workspace


def workspace_create(*, name: str, owner: User) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name)
        Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def membership_add(
    *, workspace: Workspace, user: User, role: str = Membership.Role.EDITOR
) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        workspace=workspace, user=user, defaults={"role": role}
    )
    return membership


def membership_add_by_username(
    *, workspace: Workspace, username: str, role: str = Membership.Role.EDITOR
) -> str:
    """Add the user with this username, if there is one. The answer, to show the owner, is
    the same either way: the form must not tell who has an account here."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        membership_add(workspace=workspace, user=user, role=role)
    label = Membership.Role(role).label.lower()
    return f"If {username} has an account, they are now a member ({label})."


def membership_remove(*, membership: Membership) -> None:
    """Remove a member; a workspace always keeps at least one owner.

    A personal workspace its first owner is removed from (or leaves) stops being theirs: it
    stays with the owners who remain, and the removed user gets a new personal workspace on
    their next visit instead of the old one back.
    """
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
        if membership.role == Membership.Role.OWNER:
            owners = Membership.objects.filter(workspace=workspace, role=Membership.Role.OWNER)
            if owners.count() == 1:
                raise ValidationError(
                    "A workspace needs an owner; make someone else owner first.",
                    code="last_owner",
                )
        if workspace.personal_for_id == membership.user_id:
            workspace.personal_for = None
            workspace.save(update_fields=["personal_for"])
        membership.delete()
        workspace_id, user_id = workspace.pk, membership.user_id
        transaction.on_commit(lambda: live.member_removed(workspace_id, user_id))


def project_get_or_create(*, workspace: Workspace, name: str) -> Project:
    project, _ = Project.objects.get_or_create(workspace=workspace, name=name.strip())
    return project
