"""Workspace API tokens: ``Authorization: Bearer <token>``."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from studio import selectors, services
from studio.models import ApiToken


class BearerTokenAuthentication(BaseAuthentication):
    """A token acts as the member who made it, in its workspace only; it stops working when
    it is revoked or expires, or when that member leaves the workspace."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != b"bearer":
            return None  # the session, or nobody
        if len(words) != 2:
            raise AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        token = selectors.api_token_find(raw=words[1].decode("latin-1"))
        if token is None:
            raise AuthenticationFailed("That token is not a Reelsmith token.")
        if token.revoked_at is not None:
            raise AuthenticationFailed("That token was revoked.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise AuthenticationFailed("That token has expired.")
        if not selectors.is_member(user=token.created_by, workspace_id=token.workspace_id):
            raise AuthenticationFailed("That token's member has left its workspace.")
        services.api_tokens.api_token_touch(token=token)
        return token.created_by, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
