"""API fixtures: tokens of the user's workspace and clients that send them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from studio import services


class TokenClient(Client):
    """A test client that sends ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, token: str, **kwargs: Any) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)
        self.token = token


@pytest.fixture
def raw_token(workspace: Any, user: Any) -> str:
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    return raw


@pytest.fixture
def api(raw_token: str) -> TokenClient:
    return TokenClient(raw_token)


@pytest.fixture
def read_api(workspace: Any, user: Any) -> TokenClient:
    _, raw = services.api_tokens.api_token_create(
        workspace=workspace, user=user, name="Dashboard", scope="read"
    )
    return TokenClient(raw)


@pytest.fixture
def other_api(other_user: Any) -> TokenClient:
    """A token of another workspace (otto's own)."""
    theirs = services.workspaces.workspace_ensure_personal(user=other_user)
    _, raw = services.api_tokens.api_token_create(workspace=theirs, user=other_user, name="Theirs")
    return TokenClient(raw)


def field_codes(response: Any) -> dict[str | None, str]:
    """A problem answer's errors, field -> code."""
    assert response["Content-Type"] == "application/problem+json"
    return {error["field"]: error["code"] for error in response.json()["errors"]}
