"""The API tokens page: owners make a workspace's tokens (shown once) and revoke them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio import selectors, services
from studio.forms.api_tokens import ApiTokenForm
from studio.models import Membership
from studio.views.access import AuthenticatedRequest, member_of

OWNERS_ONLY = "Only owners manage the workspace's API tokens."


def _owner_of(request: AuthenticatedRequest, workspace_id: int) -> Membership:
    membership = member_of(request, workspace_id)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(OWNERS_ONLY)
    return membership


@login_required
def api_tokens(request: AuthenticatedRequest, workspace_id: int) -> HttpResponse:
    """The workspace's tokens, when each was last used, and a form to make one. A new token
    is shown on the answer to the form alone: it is not stored, only its hash."""
    membership = _owner_of(request, workspace_id)
    workspace = membership.workspace
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_tokens.api_token_create(
                workspace=workspace, user=request.user, **form.values()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            created = {"token": token, "raw": raw}
            form = ApiTokenForm()
    response = render(
        request,
        "studio/api_tokens.html",
        {
            "workspace": workspace,
            "membership": membership,
            "form": form,
            "created": created,
            "tokens": selectors.api_token_list(workspace=workspace),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
    response["Cache-Control"] = "no-store"  # the new token must not sit in a cache
    return response


@require_POST
@login_required
def api_token_revoke(
    request: AuthenticatedRequest, workspace_id: int, token_id: int
) -> HttpResponse:
    membership = _owner_of(request, workspace_id)
    token = selectors.api_token_get(workspace=membership.workspace, token_id=token_id)
    services.api_tokens.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens", workspace_id=workspace_id)
