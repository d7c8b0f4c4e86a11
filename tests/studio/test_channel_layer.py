"""The channel layer's Redis pool on a real Redis: bounded, waiting for a free connection in a
burst, and losing none to a cancel (studio.channel_layer)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from django.conf import settings
from redis.asyncio.connection import BlockingConnectionPool

from studio.channel_layer import CancelSafePool, CancelSafeRedisChannelLayer


def _layer(**options: Any) -> CancelSafeRedisChannelLayer:
    """A layer of its own, as configured (the process's shared one holds pools of other tests'
    event loops, which these loops must not close), with ``options`` changed."""
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    assert isinstance(layer, CancelSafeRedisChannelLayer)
    layer.hosts = [{**layer.hosts[0], **options}]
    return layer


def _pool(layer: CancelSafeRedisChannelLayer) -> CancelSafePool:
    (loop_layer,) = layer._layers.values()
    pool = loop_layer._connections[0].connection_pool
    assert isinstance(pool, CancelSafePool)
    return pool


def test_the_configured_layer_is_bounded_and_waits() -> None:
    layer = _layer()
    pool = layer.create_pool(0)
    assert isinstance(pool, CancelSafePool)
    assert pool.max_connections == settings.CHANNELS_REDIS_MAX_CONNECTIONS
    assert pool.timeout == settings.CHANNELS_REDIS_POOL_TIMEOUT > 0


def test_a_burst_far_past_the_cap_waits_for_connections_and_none_fails() -> None:
    """A thousand group joins and leaves at once through a pool of 20: every one is made, and
    the process never holds more than 20 connections."""
    layer = _layer(max_connections=20)
    opened: list[int] = []

    async def burst() -> None:
        names = [await layer.new_channel() for _ in range(1000)]
        try:
            await asyncio.gather(*(layer.group_add("test-burst", name) for name in names))
            pool = _pool(layer)
            opened.append(len(pool._available_connections) + len(pool._in_use_connections))
            members = await layer.connection(0).zcard(layer._group_key("test-burst"))
            assert members == 1000
        finally:
            await asyncio.gather(*(layer.group_discard("test-burst", name) for name in names))
            assert await layer.connection(0).zcard(layer._group_key("test-burst")) == 0
            await layer.close_pools()

    asyncio.run(burst())
    assert 1 <= opened[0] <= 20


async def _release_cancelled_while_waiting(pool: BlockingConnectionPool) -> int:
    """Take a connection, give it back while other tasks hold the pool's lock, cancel the
    giving back meanwhile; how many connections the pool still counts as in use."""
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    await pool._condition.acquire()  # another task, woken to take a connection, holds it
    giving_back = asyncio.ensure_future(pool.release(connection))
    await asyncio.sleep(0.01)
    giving_back.cancel()  # Daphne killing a consumer that is slow to shut down
    pool._condition.release()
    await asyncio.sleep(0.05)
    in_use = len(pool._in_use_connections)
    await pool.disconnect()
    return in_use


def test_a_release_cancelled_while_it_waits_for_the_lock_still_gives_the_connection_back() -> None:
    url = _layer().hosts[0]["address"]
    # redis-py's own pool loses it: the hazard is real.
    assert asyncio.run(_release_cancelled_while_waiting(BlockingConnectionPool.from_url(url))) == 1
    assert asyncio.run(_release_cancelled_while_waiting(CancelSafePool.from_url(url))) == 0


def test_sockets_cancelled_again_and_again_mid_join_leave_no_connection_in_use() -> None:
    """Three hundred sockets joining and leaving their groups through a pool of 10, each
    cancelled at a random moment (some more than once): afterwards no connection is counted
    as in use, and the pool still serves."""
    layer = _layer(max_connections=10)
    rng = random.Random(7)
    state: dict[str, int] = {}

    async def socket(number: int, name: str) -> None:
        await layer.group_add(f"test-cancel-{number % 5}", name)
        await layer.group_discard(f"test-cancel-{number % 5}", name)

    async def run() -> None:
        names = [await layer.new_channel() for _ in range(300)]
        tasks = [asyncio.ensure_future(socket(n, name)) for n, name in enumerate(names)]
        for _ in range(300):
            await asyncio.sleep(0)
            for task in tasks:
                if not task.done() and rng.random() < 0.02:
                    task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        state["cancelled"] = sum(isinstance(r, asyncio.CancelledError) for r in results)
        state["failed"] = sum(
            isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError) for r in results
        )
        await asyncio.sleep(0.1)
        state["in_use"] = len(_pool(layer)._in_use_connections)
        assert await layer.connection(0).ping()
        for group in range(5):
            await layer.connection(0).delete(layer._group_key(f"test-cancel-{group}"))
        await layer.close_pools()

    asyncio.run(run())
    assert state["cancelled"] > 30 and state["failed"] == 0
    assert state["in_use"] == 0


def test_live_messages_go_through_the_one_background_loop_on_this_layer(caplog: Any) -> None:
    """Messages from views, services and workers use the process's one background loop with
    this layer too (a new loop per message would open a new Redis pool each time, and fails
    in a thread that runs an event loop)."""
    from channels.layers import get_channel_layer

    from studio import live

    assert live._shares_loops(get_channel_layer())

    async def from_a_running_loop() -> None:  # as a test's browser driver or an ASGI thread
        live.send([("test-live-loop", {"type": "job.status"})])

    with caplog.at_level("WARNING", logger="studio.live"):
        asyncio.run(from_a_running_loop())
    assert not caplog.records  # no "live update ... not sent" (AsyncToSync in a running loop)
