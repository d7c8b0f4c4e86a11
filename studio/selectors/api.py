"""Reads of the REST API's tokens."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet
from django.http import Http404

from studio.models import ApiToken, Workspace

# API tokens ---------------------------------------------------------------------------------


def api_token_list(*, workspace: Workspace) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(workspace=workspace).select_related("created_by")


def api_token_get(*, workspace: Workspace, token_id: int) -> ApiToken:
    token = api_token_list(workspace=workspace).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


def api_token_find(*, raw: str) -> ApiToken | None:
    """The token a request presents, by its visible start and then its whole hash (compared
    in constant time), whether or not it is still usable; None if no token is that one."""
    if len(raw) <= ApiToken.PREFIX_CHARS or "\x00" in raw:
        return None
    token = (
        ApiToken.objects.filter(prefix=raw[: ApiToken.PREFIX_CHARS])
        .select_related("workspace", "created_by")
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, ApiToken.hash_of(raw)):
        return None
    return token
