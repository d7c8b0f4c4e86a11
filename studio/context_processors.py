from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from studio import selectors


def workspaces(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's workspaces, for the switcher in the header."""
    return {"user_workspaces": selectors.workspace_list_for_user(user=request.user)}
