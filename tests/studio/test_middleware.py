"""The middleware chain under ASGI: run synchronously, in one thread, not hook by hook."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.utils.deprecation import MiddlewareMixin

pytestmark = pytest.mark.django_db(transaction=True)


def _get(path: str) -> tuple[int, list[str]]:
    """GET ``path`` through Django's ASGI handler; (status, how each middleware ran)."""
    calls: list[str] = []
    sync_call, async_call = MiddlewareMixin.__call__, MiddlewareMixin.__acall__

    def sync_hook(self: Any, request: Any) -> Any:
        calls.append("sync")
        return sync_call(self, request)

    async def async_hook(self: Any, request: Any) -> Any:
        calls.append("async")
        return await async_call(self, request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MiddlewareMixin, "__call__", sync_hook)
        patch.setattr(MiddlewareMixin, "__acall__", async_hook)
        handler = ASGIHandler()  # loads the middleware with the hooks in place

        async def go() -> int:
            scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
                     "headers": [(b"host", b"testserver")]}  # fmt: skip
            app = ApplicationCommunicator(handler, scope)
            await app.send_input({"type": "http.request", "body": b""})
            start = await app.receive_output(timeout=20)
            await app.receive_output(timeout=20)
            return int(start["status"])

        status = async_to_sync(go)()
    return status, calls


def test_every_middleware_runs_synchronously_under_asgi():
    """A page through the ASGI handler runs Django's middleware as sync code, never hook by
    hook as async code (a thread hop per hook through the event loop)."""
    status, calls = _get("/accounts/login/")
    assert status == 200
    assert calls and set(calls) == {"sync"}
