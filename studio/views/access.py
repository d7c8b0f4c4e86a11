"""Who may see a workspace's pages: the one membership check every view makes."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from studio import selectors
from studio.models import Membership

MAKING_REFUSED = "Viewers cannot make videos in this workspace."  # said by every maker page


class AuthenticatedRequest(HttpRequest):
    """A request behind login_required: its user is signed in."""

    user: User


def member_of(
    request: AuthenticatedRequest, workspace_id: int, *, editing: str | None = None
) -> Membership:
    """The user's membership of the workspace, which becomes their current one.

    A non-member gets 404, so they cannot tell the workspace exists. With ``editing`` (what
    is refused, in words), a viewer gets 403 with that message: only editors and owners
    change things.
    """
    membership = selectors.membership_get(user=request.user, workspace_id=workspace_id)
    # Assigning marks the session modified, which costs a database write on every page: only
    # a change of workspace is worth one.
    if request.session.get("workspace_id") != workspace_id:
        request.session["workspace_id"] = workspace_id
    if editing is not None and not membership.can_edit:
        raise PermissionDenied(editing)
    return membership
