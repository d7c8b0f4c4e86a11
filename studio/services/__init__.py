"""Writes. Every change to the studio's data goes through a function in one of these modules,
a module per domain; callers name the domain: ``services.jobs.job_submit(...)``.

Views, API views, consumers and tasks parse input, check permission and call one of them.
"""

from __future__ import annotations

from studio.services import (
    api_tokens,
    avatars,
    batches,
    boards,
    brand,
    exports,
    jobs,
    quotas,
    review,
    sharing,
    storyboard_batches,
    storyboard_render,
    storyboards,
    style_loras,
    styles,
    templates,
    uploads,
    webhooks,
    workspaces,
)

__all__ = [
    "api_tokens",
    "avatars",
    "batches",
    "boards",
    "brand",
    "exports",
    "jobs",
    "quotas",
    "review",
    "sharing",
    "storyboard_batches",
    "storyboard_render",
    "storyboards",
    "style_loras",
    "styles",
    "templates",
    "uploads",
    "webhooks",
    "workspaces",
]
