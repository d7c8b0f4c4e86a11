"""Signal receivers: kept to the one place where Django offers no other hook."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from studio import services


@receiver(user_logged_in)
def _ensure_workspace(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A user with no workspace gets a personal one on first sign-in."""
    workspace = services.workspaces.workspace_ensure_personal(user=user)
    if request is not None and hasattr(request, "session"):
        request.session["workspace_id"] = workspace.pk
