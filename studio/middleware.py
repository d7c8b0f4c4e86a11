"""Middleware of the studio's own."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from studio.api.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from studio.api.problems import problem
from studio.overload import BUSY, RETRY_AFTER_SECONDS, TRY_AGAIN_LATER, is_pool_timeout

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SyncChain:
    """Last in MIDDLEWARE, so that Django runs the whole chain synchronously, in one thread.

    Under ASGI Django keeps each middleware that can run either way in the mode of the one
    inside it, starting from the async handler. Django's own middleware can, so without this
    each of them ran as async code that hopped to a thread for every hook (sessions, CSRF,
    auth, messages, ...): about a dozen thread hops per page, all passing through the event
    loop that also carries every WebSocket (bench/load.py). Being sync-only and innermost,
    this one makes the rest sync too: one hop into the chain, one for the view.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


class PoolTimeoutMiddleware:
    """Answers 503 with Retry-After when a view found no free database connection in time.

    The first query of a request (its session, in ``login_required``) runs inside the view,
    so ``process_exception`` sees the timeout. The page is drawn without a request context:
    the context processors would ask the same busy pool again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_pool_timeout(exception):
            return None
        logger.warning("No free database connection for %s %s", request.method, request.path)
        response: HttpResponse
        if request.path.startswith("/api/"):
            body = problem(503, BUSY, code="busy", retry_after=RETRY_AFTER_SECONDS)
            response = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
        else:
            page = render_to_string("503.html", {"message": BUSY})
            response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class PoolTimeoutSocketMiddleware:
    """ASGI middleware for WebSockets: a handshake whose session and user lookup (Channels'
    AuthMiddleware, before any consumer runs) found no free database connection in time is
    closed with 1013, Try Again Later, instead of being refused.

    Refused outright, a handshake reaches the browser as 1006, which it cannot tell from a
    network fault; accepting and then closing hands it the code (static/js/live.js reconnects
    with back-off). The consumer's own membership check does the same (studio.consumers).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen = {"connect": False, "accept": False, "close": False}

        async def receiving() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "websocket.connect":
                seen["connect"] = True
            return message

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] in ("websocket.accept", "websocket.close"):
                seen[message["type"].removeprefix("websocket.")] = True
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except Exception as exc:
            if scope["type"] != "websocket" or seen["close"] or not is_pool_timeout(exc):
                raise
            logger.warning("No free database connection for the socket %s", scope.get("path"))
            if not seen["connect"]:
                await receive()  # the handshake's first message
            if not seen["accept"]:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
