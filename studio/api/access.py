"""Who may do what through the API: the one membership check every API view makes, and the
token scope that keeps a read token from changing anything."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from studio import selectors
from studio.models import ApiToken, Membership

WORKSPACE_HEADER = "Reelsmith-Workspace"  # a browser session says which workspace it means
READ_ONLY = "This token may only read; making, cancelling or deleting needs a write token."


class ScopeAllows(BasePermission):
    """A read token may only read."""

    message = READ_ONLY

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == ApiToken.Scope.READ:
            return request.method in SAFE_METHODS
        return True


def api_member(request: Request, *, editing: str | None = None) -> Membership:
    """The caller's membership of the workspace the request is about: a token's own, or for
    a browser session the one the ``Reelsmith-Workspace`` header (or ``?workspace=``) names.

    With ``editing`` (what is refused, in words) a viewer gets 403 with that message.
    """
    token = request.auth
    if isinstance(token, ApiToken):
        workspace_id = token.workspace_id
    else:
        named = request.headers.get(WORKSPACE_HEADER) or request.query_params.get("workspace")
        if not named or not named.isdigit():
            raise ValidationError(
                {
                    "workspace": [
                        f"Name the workspace: the {WORKSPACE_HEADER} header or ?workspace=."
                    ]
                }
            )
        workspace_id = int(named)
    try:
        membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    except Http404:
        raise Http404 from None
    if editing is not None and not membership.can_edit:
        raise PermissionDenied(editing)
    return membership


def caller(request: Request) -> str:
    """Who is calling, for idempotency keys and throttles: the token, else the user."""
    token = request.auth
    if isinstance(token, ApiToken):
        return f"token:{token.pk}"
    return f"user:{request.user.pk}"
