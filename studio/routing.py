"""WebSocket routes."""

from __future__ import annotations

from django.urls import path

from studio.consumers import WorkspaceConsumer

websocket_urlpatterns = [
    path("ws/workspaces/<int:workspace_id>/", WorkspaceConsumer.as_asgi()),
    path("ws/workspaces/<int:workspace_id>/jobs/<int:job_id>/", WorkspaceConsumer.as_asgi()),
]
