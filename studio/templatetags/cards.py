"""The gallery's and dashboard's job cards, each drawn once per process until what it shows
changes.

A card costs about half a millisecond of template rendering and a page has up to 30 of them,
on every visit of every member (bench/load.py). A card of a finished job is kept in this
process's memory, keyed by every value the card shows, so a changed job (its review state, its
project's name, the hour in "3 hours ago") gets a new key and is drawn again; no invalidation to
forget. Cards of queued and running jobs change with every step and are always drawn.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.cache import caches
from django.template.loader import get_template

register = template.Library()

CARD_TEMPLATE = "studio/_job_card.html"
CARD_SECONDS = 3600  # an unused card leaves the cache after an hour


def card_key(job: Any) -> str:
    """Every value studio/_job_card.html shows of a finished job, hashed."""
    video = getattr(job, "video", None) if job.status == "succeeded" else None
    project = job.project.name if job.project_id else ""
    parts: list[object] = [
        job.pk,
        job.workspace_id,
        job.status,
        job.prompt,
        job.engine,
        job.preset,
        project,
        naturaltime(job.created_at),
        job.preview,
    ]
    if video is not None:
        parts += [video.pk, video.file.name, video.poster.name, video.review_state, video.has_sound]
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"card:{digest}"


@register.simple_tag
def job_card(job: Any) -> str:
    """The card of ``job`` (studio/_job_card.html), from this process's cache when it can be."""
    card = get_template(CARD_TEMPLATE)
    if job.is_active:
        return card.render({"job": job})
    cache = caches["cards"]
    key = card_key(job)
    html = cache.get(key)  # kept as the template made it: safe, escaped where it had to be
    if html is None:
        html = card.render({"job": job})
        cache.set(key, html, CARD_SECONDS)
    return html
