"""The Redis channel layer, on a bounded pool that waits for a connection and never loses one.

channels-redis gives each process redis-py's plain asyncio pool, which opens a connection for
every command in flight and fails the first one past ``max_connections`` at once with "Too many
connections". A burst of handshakes or closes is that many group joins or leaves in flight at
the same moment: under load (``bench/load.py``) hundreds of them failed, and a cap large enough
for any burst is that many connections to Redis per web process. Here a process holds at most
``max_connections``, and a command past them waits up to ``timeout`` seconds for a free one.

That pool gives a connection back under a lock that waiting commands contend for. A task
cancelled while it waits for that lock would leave its connection counted as in use for good,
and Daphne cancels a consumer that is slow to finish after its socket closed, every second,
until it stops. So a connection's release here runs to the end whatever happens to the task
that asked for it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool
from redis.asyncio.connection import AbstractConnection, BlockingConnectionPool, ConnectionPool


class CancelSafePool(BlockingConnectionPool):
    """A bounded pool (waiting for a free connection) whose ``release`` always finishes."""

    async def release(self, connection: AbstractConnection) -> None:
        # The shielded release runs as a task of its own: a cancel of the caller ends the
        # caller's wait, not the release (which takes the lock, then puts the connection back).
        await asyncio.shield(super().release(connection))


class CancelSafeRedisChannelLayer(RedisChannelLayer):
    """channels-redis's layer on ``CancelSafePool`` pools: each host's options as configured,
    plus ``timeout``, the seconds a command may wait for a free connection."""

    def create_pool(self, index: int) -> ConnectionPool:
        host: dict[str, Any] = dict(self.hosts[index])
        if "master_name" in host:  # Sentinel: channels-redis's own pool
            host.pop("timeout", None)
            return create_pool(host)
        if "address" in host:
            return CancelSafePool.from_url(host.pop("address"), **host)
        return CancelSafePool(**host)
