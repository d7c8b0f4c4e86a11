"""Workspaces and their members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseForbidden,
)
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio import selectors, services
from studio.forms.workspaces import MemberForm, WorkspaceForm
from studio.models import Membership
from studio.views.access import AuthenticatedRequest, member_of


@login_required
def workspace_new(request: AuthenticatedRequest) -> HttpResponse:
    """Create a team workspace; its creator is its owner."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = services.workspaces.workspace_create(
            name=form.cleaned_data["name"],
            owner=request.user,
        )
        return redirect("members", workspace_id=workspace.pk)
    return render(request, "studio/workspace_new.html", {"form": form})


@login_required
def members(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """Who is in the workspace; owners add teammates and set their roles here."""
    membership = member_of(request, workspace_id)
    is_owner = membership.role == Membership.Role.OWNER
    form = MemberForm(request.POST or None, workspace=membership.workspace)
    if request.method == "POST":
        if not is_owner:
            return HttpResponseForbidden("Only owners can add members.")
        if form.is_valid():
            answer = services.workspaces.membership_add_by_username(
                workspace=membership.workspace,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
            messages.info(request, answer)
            return redirect("members", workspace_id=workspace_id)
    return render(
        request,
        "studio/members.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "is_owner": is_owner,
            "form": form,
            "memberships": selectors.membership_list(workspace=membership.workspace),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_POST
@login_required
def member_remove(
    request: AuthenticatedRequest, workspace_id: int, membership_id: int
) -> HttpResponse:
    membership = member_of(request, workspace_id)
    target = selectors.membership_list(workspace=membership.workspace).filter(pk=membership_id)
    victim = target.first()
    if victim is None:
        raise Http404
    if membership.role != Membership.Role.OWNER and victim.pk != membership.pk:
        return HttpResponseForbidden("Only owners can remove other members.")
    try:
        services.workspaces.membership_remove(membership=victim)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("members", workspace_id=workspace_id)
    if victim.pk == membership.pk:
        return redirect("dashboard")
    return redirect("members", workspace_id=workspace_id)
