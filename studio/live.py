"""Live messages from synchronous code (views, services, workers) to Channels groups.

``asgiref.async_to_sync`` outside an event loop starts a new loop for every call, and the Redis
channel layer opens a new connection for every new loop: about 20 ms a message. Messages sent
from here go through one event loop that lives in a thread of this process for as long as the
process does, so they reuse one connection pool and cost a Redis round trip each. A batch row
sends several, so this is a real share of a row's time.

Live messages are best effort: the database row is the truth, and a page that missed a
message gets a snapshot when it reconnects. A send that fails is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer

from studio import selectors

if TYPE_CHECKING:
    from studio.models import Job

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0  # seconds; a Redis that does not answer must not stall a worker

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def send(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send each (group, message) in order, in one pass over the channel layer."""
    items = list(messages)
    layer = get_channel_layer()
    if layer is None or not items:
        return

    async def send_all() -> None:
        for group, message in items:
            await layer.group_send(group, message)

    try:
        if _shares_loops(layer):
            future = asyncio.run_coroutine_threadsafe(send_all(), _background_loop())
            try:
                future.result(timeout=SEND_TIMEOUT)
            except TimeoutError:
                future.cancel()
                raise
        else:
            async_to_sync(send_all)()
    except Exception:
        logger.warning("live update to %s not sent", items[0][0], exc_info=True)


def _shares_loops(layer: BaseChannelLayer) -> bool:
    """Whether the layer may be used from a loop other than its consumers' (the Redis layer
    keeps its connections per loop; the in-memory layer, used by some tests, does not). Its
    pub/sub layer counts as one."""
    return any(cls.__module__.startswith("channels_redis.") for cls in type(layer).__mro__)


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        # A forked child inherits the variable but not the thread: start its own.
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="reelsmith-live", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def workspace_group(workspace_id: int) -> str:
    return f"workspace-{workspace_id}"


def member_group(workspace_id: int, user_id: int) -> str:
    """One member's sockets on one workspace: closed when they are removed from it."""
    return f"member-{workspace_id}-{user_id}"


def member_removed(workspace_id: int, user_id: int) -> None:
    send([(member_group(workspace_id, user_id), {"type": "member.removed"})])


def broadcast_state(job: Job) -> None:
    group_send(job.workspace_id, job.pk, {"type": "job.status", **selectors.job_state(job)})


def broadcast_review(job_id: int) -> None:
    """A video's comments or review state changed: its job's open pages fetch them again
    (from the page itself, behind the membership check; the message carries nothing else)."""
    send([(job_group(job_id), {"type": "review.changed", "job": job_id})])


def broadcast_states(jobs: list[Job]) -> None:
    """Every job's state, in one pass over the channel layer (a batch's launch sends hundreds)."""
    states = selectors.job_states(jobs)
    send(
        (group, {"type": "job.status", **state})
        for job, state in zip(jobs, states, strict=True)
        for group in (job_group(job.pk), workspace_group(job.workspace_id))
    )


def storyboard_send(workspace_id: int, message: dict[str, Any]) -> None:
    """A storyboard render's progress or state, to the workspace's pages (its storyboard's
    page picks out its own by the message's "storyboard")."""
    send([(workspace_group(workspace_id), message)])


def group_send(workspace_id: int, job_id: int, message: dict[str, Any]) -> None:
    """Send to the job's and the workspace's groups. Live updates are best effort: the row is
    the truth, and a page that missed a message gets a snapshot when it reconnects."""
    send(
        [
            (job_group(job_id), message),
            (workspace_group(workspace_id), message),
        ]
    )
