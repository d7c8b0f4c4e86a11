"""The studio's data: workspaces and their members, projects, uploads, jobs and videos.

Everything a user can reach hangs off a Workspace, and every read goes through a selector that
filters by the user's membership (studio/selectors/).
"""

from __future__ import annotations

from studio.models.api import ApiToken, IdempotencyKey
from studio.models.assets import Asset, Avatar, _asset_path
from studio.models.batches import Batch, BatchArchive, BatchRow, _archive_path
from studio.models.boards import Board
from studio.models.brand import BrandKit, _brand_path
from studio.models.exports import Export, _export_path
from studio.models.jobs import (
    UNEXPECTED_FAILURES,
    Generation,
    Job,
    Video,
    _generation_path,
    _video_path,
)
from studio.models.sharing import ReviewComment, ShareLink, ShareView
from studio.models.storyboards import (
    Storyboard,
    StoryboardRender,
    StoryboardRenderOutput,
    StoryboardRenderScene,
    StoryboardScene,
)
from studio.models.styles import StyleLora, WorkspaceStyle, _style_lora_path
from studio.models.templates import Template, _template_path
from studio.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent
from studio.models.workspaces import Membership, Project, Workspace

__all__ = [
    "UNEXPECTED_FAILURES",
    "ApiToken",
    "Asset",
    "Avatar",
    "Batch",
    "BatchArchive",
    "BatchRow",
    "Board",
    "BrandKit",
    "Export",
    "Generation",
    "IdempotencyKey",
    "Job",
    "Membership",
    "Project",
    "ReviewComment",
    "ShareLink",
    "ShareView",
    "Storyboard",
    "StoryboardRender",
    "StoryboardRenderOutput",
    "StoryboardRenderScene",
    "StoryboardScene",
    "StyleLora",
    "Template",
    "Video",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "Workspace",
    "WorkspaceStyle",
    "_archive_path",
    "_asset_path",
    "_brand_path",
    "_export_path",
    "_generation_path",
    "_style_lora_path",
    "_template_path",
    "_video_path",
]
