"""Rate limits on the actions that cost the studio work or invite guessing.

Starting videos, launching batches, playing a voice and asking for a password reset are
counted in fixed windows in the shared cache (Redis), through django-ratelimit, so every web
process sees the same counts. The rates live in ``settings.RATE_LIMITS`` (from the
environment). A view asks ``wait_for(request, action)`` before it acts: ``None`` lets it go
on, a number of seconds means refuse with ``too_many`` and ``refused``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

# What each action is called in the refusal, "Too many <words>: try again in N s."
WORDS = {
    "jobs": "videos started",
    "batches": "batch launches",
    "voice": "voice previews",
    "password_reset": "reset requests",
    "share_plays": "plays",
}


def client_ip(request: HttpRequest) -> str:
    """The client's address: the proxy's header when one is configured, else the peer's.

    Behind a reverse proxy every request comes from the proxy, so the operator names the
    header the proxy sets (``DJANGO_CLIENT_IP_HEADER``); sign-in lockouts use this too.
    """
    header = settings.CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    # X-Forwarded-For style lists: the last hop is the one our proxy added.
    return value.split(",")[-1].strip() or str(request.META.get("REMOTE_ADDR", ""))


def wait_for(request: HttpRequest, action: str, *, key: str = "") -> int | None:
    """Count one try of ``action``; the seconds to wait if it is over its rate, else None.

    ``key`` is who is counted: by default the signed-in user (the anonymous visitor's
    address otherwise).
    """
    user = getattr(request, "user", None)
    who = key or (f"user:{user.pk}" if user is not None and user.is_authenticated else "")
    who = who or f"ip:{client_ip(request)}"
    usage = get_usage(
        request,
        group=f"reelsmith.{action}",
        key=lambda _group, _request: who,
        rate=settings.RATE_LIMITS[action],
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def too_many(action: str, wait: int) -> str:
    """The refusal, shown next to the button that was pressed."""
    return f"Too many {WORDS[action]}: try again in {wait} s."


def refused(response: HttpResponse, wait: int) -> HttpResponse:
    """Turn a page that shows the refusal into the 429 answer, with when to try again."""
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response
