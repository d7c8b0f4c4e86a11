"""The channel layer: channels-redis's pub/sub layer, with group joins and leaves that finish.

A process subscribes to a group once, whatever number of its sockets are in it, and a group
message is one Redis message that the process hands to each of its sockets. (The list-based
layer stored a copy per socket, each fetched by a round trip of its own one after the other,
so the 50th socket on a team's feed waited for 49: bench/load.py.)

A join or leave updates the process's own record of the group, then subscribes or
unsubscribes on Redis. Daphne cancels a consumer that is slow to finish after its socket
closed, every second until it stops; a cancel between the two steps left Redis subscribed to
a group nobody in the process was in, or the record naming a group Redis no longer sends.
Here each join and leave runs to the end whatever happens to the task that asked for it.
"""

from __future__ import annotations

import asyncio

from channels_redis.pubsub import RedisPubSubChannelLayer


class FinishingPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels-redis's pub/sub layer whose group joins and leaves are never cut short."""

    async def group_add(self, group: str, channel: str) -> None:
        # The shielded join runs as a task of its own: a cancel ends the caller's wait only.
        await asyncio.shield(self._get_layer().group_add(group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        await asyncio.shield(self._get_layer().group_discard(group, channel))
