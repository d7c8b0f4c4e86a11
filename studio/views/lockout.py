"""The page a locked-out sign-in gets (django-axes calls ``locked_out``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.ratelimits import refused


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429 with when to try again: each failure during a lockout starts the cool-off anew."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": max(1, round(seconds / 60))},
    )
    return refused(response, seconds)
