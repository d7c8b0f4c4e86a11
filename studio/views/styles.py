"""Styles: every style in full, and the workspace's own, which owners and editors manage."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from generation.styles import BUILTIN_STYLES
from studio import selectors, services
from studio.forms.styles import WorkspaceStyleForm
from studio.models import Membership
from studio.views.access import AuthenticatedRequest, member_of

STYLES_REFUSED = "Viewers cannot change the workspace's styles."


@login_required
def style_list(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The built-in styles and the workspace's own; owners and editors add one here."""
    editing = STYLES_REFUSED if request.method == "POST" else None
    membership = member_of(request, workspace_id, editing=editing)
    form = WorkspaceStyleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.styles.workspace_style_create(
                workspace=membership.workspace, user=request.user, spec=form.spec()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("style_list", workspace_id=workspace_id)
    return _page(request, membership, form)


@login_required
def style_edit(request: AuthenticatedRequest, workspace_id: int, style_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=STYLES_REFUSED)
    style = selectors.workspace_style_get(workspace=membership.workspace, style_id=style_id)
    initial = {f: getattr(style, f) for f in ("name", "prompt", "negative", "guidance", "steps")}
    form = WorkspaceStyleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.styles.workspace_style_update(style=style, spec=form.spec())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("style_list", workspace_id=workspace_id)
    return render(
        request,
        "studio/style_edit.html",
        {"workspace": membership.workspace, "membership": membership, "form": form, "style": style},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@login_required
def style_delete(request: AuthenticatedRequest, workspace_id: int, style_id: int) -> HttpResponse:
    membership = member_of(request, workspace_id, editing=STYLES_REFUSED)
    style = selectors.workspace_style_get(workspace=membership.workspace, style_id=style_id)
    services.styles.workspace_style_delete(style=style)
    return redirect("style_list", workspace_id=workspace_id)


def _page(
    request: AuthenticatedRequest, membership: Membership, form: WorkspaceStyleForm
) -> HttpResponse:
    return render(
        request,
        "studio/styles.html",
        {
            "workspace": membership.workspace,
            "membership": membership,
            "builtin_styles": list(BUILTIN_STYLES.values()),
            "own_styles": selectors.workspace_style_list(workspace=membership.workspace),
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
