"""Middleware of the studio's own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
