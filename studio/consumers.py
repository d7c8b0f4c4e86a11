"""Live updates over WebSockets.

`/ws/workspaces/<id>/` streams every job of a workspace (dashboard, gallery);
`/ws/workspaces/<id>/jobs/<job>/` streams one job (its page). Both check membership on connect
and send a snapshot first, so a page that reloads or joins late shows the true state.

A refusal is a close with code 4403 right after the handshake, with nothing sent: a handshake
refused outright reaches the browser as code 1006, which it cannot tell from a network fault,
so it would keep reconnecting. A member removed from the workspace is closed the same way.
A membership check that found no free database connection in time closes with 1013, Try
Again Later, and the page reconnects with back-off (studio.overload).
"""

from __future__ import annotations

import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from studio import live, selectors
from studio.models import Job, Workspace
from studio.overload import TRY_AGAIN_LATER, is_pool_timeout

logger = logging.getLogger(__name__)

REFUSED = 4403  # the client stops reconnecting on this code
# Group messages only passed on to the page: they touch no database.
RELAYED = frozenset(
    {"job.progress", "job.status", "review.changed", "storyboard.progress", "storyboard.status"}
)


class WorkspaceConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str] = []

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            snapshot = await self._authorise(kwargs["workspace_id"], kwargs.get("job_id"))
        except Exception as exc:
            if not is_pool_timeout(exc):
                raise
            logger.warning("No free database connection for the socket %s", self.scope["path"])
            await self.accept()
            await self.close(code=TRY_AGAIN_LATER)
            return
        await self.accept()
        if snapshot is None:
            await self.close(code=REFUSED)
            return
        group, jobs = snapshot
        self.joined = [group, live.member_group(kwargs["workspace_id"], self.scope["user"].pk)]
        for name in self.joined:
            await self.channel_layer.group_add(name, self.channel_name)
        await self.send_json({"type": "snapshot", "jobs": jobs})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Relayed messages go straight to their handler. Channels' own dispatch first hops to
        a thread to close stale database connections, for every message to every socket: with
        a team's feed open on many pages that hop was most of a busy Daphne's event loop
        (bench/load.py). Connecting and the rest still take it."""
        if message["type"] in RELAYED:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def disconnect(self, code: int) -> None:
        for name in getattr(self, "joined", []):
            await self.channel_layer.group_discard(name, self.channel_name)

    @database_sync_to_async
    def _authorise(self, workspace_id: int, job_id: int | None) -> tuple[str, list[Any]] | None:
        user = self.scope.get("user")
        if user is None or not selectors.is_member(user=user, workspace_id=workspace_id):
            return None
        workspace = Workspace.objects.get(pk=workspace_id)
        if job_id is None:
            jobs = selectors.job_active_for_workspace(workspace=workspace)
            return live.workspace_group(workspace_id), [selectors.job_state(j) for j in jobs]
        job = Job.objects.filter(workspace=workspace, pk=job_id).first()
        if job is None:
            return None
        return live.job_group(job_id), [selectors.job_state(job)]

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is ignored."""

    async def member_removed(self, event: dict[str, Any]) -> None:
        """The user was removed from the workspace: they get nothing more from it."""
        await self.close(code=REFUSED)

    async def job_progress(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def job_status(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def review_changed(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def storyboard_progress(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def storyboard_status(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
