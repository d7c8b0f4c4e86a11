"""A busy database pool (psycopg-pool's timeout): pages and the API answer 503 with
Retry-After, sockets close with 1013 (Try Again Later), instead of an error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from psycopg_pool import PoolTimeout

from studio import selectors, services
from studio.asgi import application
from studio.overload import BUSY, RETRY_AFTER_SECONDS, TRY_AGAIN_LATER, is_pool_timeout

pytestmark = pytest.mark.django_db


def _wrapped_timeout() -> OperationalError:
    """The timeout as Django's PostgreSQL backend raises it: an OperationalError raised from
    the pool's PoolTimeout (DatabaseErrorWrapper)."""
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 10.00 sec")
        except PoolTimeout as timeout:
            raise OperationalError(str(timeout)) from timeout
    except OperationalError as wrapped:
        return wrapped


@pytest.fixture
def busy_pool() -> Iterator[None]:
    """Every query of the request waits in vain for a connection."""
    with mock.patch.object(CursorWrapper, "execute", side_effect=_wrapped_timeout()):
        yield


def test_it_tells_the_pool_timeout_from_other_database_errors():
    """The pool's timeout is recognised raw and wrapped; other database errors are not."""
    assert is_pool_timeout(PoolTimeout("timed out"))
    assert is_pool_timeout(_wrapped_timeout())
    assert not is_pool_timeout(OperationalError("database is locked"))
    assert not is_pool_timeout(ValueError("no"))


def test_a_page_answers_503_with_retry_after(member_client, workspace, busy_pool):
    """A page whose first query finds the pool busy says so, with Retry-After."""
    response = member_client.get(reverse("workspace_dashboard", args=[workspace.pk]))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert BUSY in response.content.decode()


def test_an_api_call_answers_503_as_a_problem(client, workspace, user):
    """An API call gets a problem with the busy code and when to retry."""
    _, raw = services.api_tokens.api_token_create(workspace=workspace, user=user, name="CRM")
    with mock.patch.object(CursorWrapper, "execute", side_effect=_wrapped_timeout()):
        response = client.get("/api/v1/engines/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert (body["code"], body["detail"], body["retry_after"]) == ("busy", BUSY, 5)


def test_other_database_errors_still_fail(member_client, workspace):
    """Only the pool's timeout is turned into 503: another database error stays an error."""
    with (
        mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("broken")),
        pytest.raises(OperationalError),
    ):
        member_client.get(reverse("workspace_dashboard", args=[workspace.pk]))


def _open(user: Any, path: str) -> tuple[bool, Any]:
    """Open a socket as ``user``: (accepted, the first message out)."""

    async def go() -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            application, path, headers=[(b"origin", b"http://127.0.0.1")]
        )
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        first = await communicator.receive_output() if connected else None
        await communicator.disconnect()
        return connected, first

    return async_to_sync(go)()


def test_a_socket_handshake_closes_with_try_again_later(user, workspace):
    """The membership check finding the pool busy closes the socket with 1013, after
    accepting it, so the browser reads the code and reconnects later."""
    with mock.patch.object(selectors, "is_member", side_effect=_wrapped_timeout()):
        connected, first = _open(user, f"/ws/workspaces/{workspace.pk}/")
    assert connected
    assert first == {"type": "websocket.close", "code": TRY_AGAIN_LATER}


def test_a_socket_whose_user_lookup_times_out_closes_with_try_again_later(user, workspace):
    """The session's user lookup (before any consumer runs) finding the pool busy closes
    the same way."""
    with mock.patch("channels.auth.get_user", side_effect=PoolTimeout("timed out")):
        connected, first = _open(user, f"/ws/workspaces/{workspace.pk}/")
    assert connected
    assert first == {"type": "websocket.close", "code": TRY_AGAIN_LATER}
