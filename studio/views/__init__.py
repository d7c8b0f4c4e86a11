"""Pages, a module per domain. Each view is a thin adapter: it checks membership with
access.member_of (404 for a non-member, 403 for a viewer where it changes something), then
renders, or calls one service."""

from __future__ import annotations

from studio.views import (
    accounts,
    api_tokens,
    avatars,
    batches,
    boards,
    brand,
    exports,
    files,
    jobs,
    review,
    sharing,
    storyboard_render,
    storyboards,
    style_loras,
    styles,
    templates,
    webhooks,
    workspaces,
)

__all__ = [
    "accounts",
    "api_tokens",
    "avatars",
    "batches",
    "boards",
    "brand",
    "exports",
    "files",
    "jobs",
    "review",
    "sharing",
    "storyboard_render",
    "storyboards",
    "style_loras",
    "styles",
    "templates",
    "webhooks",
    "workspaces",
]
