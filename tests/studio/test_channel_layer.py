"""The channel layer on a real Redis: a group message reaches every socket of the process from
one Redis message, a burst of joins and leaves holds two connections and loses none, and a
socket cancelled mid-join leaves nothing subscribed, and a restarted Redis gets every group
subscribed again (channels-redis's pub/sub layer, studio.channel_layer, as configured)."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers
from redis.asyncio import Redis

from studio.channel_layer import FinishingPubSubChannelLayer


def _layer() -> Any:
    """A layer of its own, as configured (the process's shared one holds connections of other
    tests' event loops)."""
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    assert isinstance(layer, FinishingPubSubChannelLayer)
    return layer


def _redis(layer: Any) -> Redis:
    return Redis.from_url(layer._get_layer()._shards[0].host["address"])


async def _subscribers(redis: Redis, layer: Any, group: str) -> int:
    name = layer._get_layer()._get_group_channel_name(group)
    ((_, count),) = await redis.pubsub_numsub(name)
    return int(count)


def test_a_group_message_to_fifty_sockets_is_one_subscription_and_reaches_each() -> None:
    """Fifty sockets of one process on one workspace's feed: Redis holds one subscription for
    the group, and one message sent to it arrives at all fifty (fanned out in the process,
    not fifty round trips to Redis one after the other)."""
    layer = _layer()
    result: dict[str, Any] = {}

    async def run() -> None:
        redis = _redis(layer)
        names = [await layer.new_channel() for _ in range(50)]
        for name in names:
            await layer.group_add("test-fan-out", name)
        result["subscribers"] = await _subscribers(redis, layer, "test-fan-out")
        await asyncio.sleep(0.05)  # the subscription is confirmed before anything is sent
        await layer.group_send("test-fan-out", {"type": "job.progress", "step": 3})
        got = await asyncio.wait_for(
            asyncio.gather(*(layer.receive(name) for name in names)), timeout=5
        )
        result["received"] = got
        for name in names:
            await layer.group_discard("test-fan-out", name)
        result["after"] = await _subscribers(redis, layer, "test-fan-out")
        await layer.flush()
        await redis.aclose()

    asyncio.run(run())
    assert result["subscribers"] == 1
    assert result["received"] == [{"type": "job.progress", "step": 3}] * 50
    assert result["after"] == 0


def test_a_burst_of_a_thousand_joins_and_leaves_fails_none_on_two_connections() -> None:
    """A thousand handshakes' group joins at the same moment, then their leaves: every one is
    made, and the process holds two Redis connections (its subscription and one to send on)
    where the list-based layer opened one per command in flight and failed those past its cap."""
    layer = _layer()
    result: dict[str, Any] = {}

    async def run() -> None:
        redis = _redis(layer)
        names = [await layer.new_channel() for _ in range(1000)]
        joins = await asyncio.gather(
            *(layer.group_add(f"test-burst-{n % 10}", name) for n, name in enumerate(names)),
            return_exceptions=True,
        )
        result["subscribers"] = [
            await _subscribers(redis, layer, f"test-burst-{g}") for g in range(10)
        ]
        shard = layer._get_layer()._shards[0]
        result["connections"] = len(shard._redis.connection_pool._available_connections) + len(
            shard._redis.connection_pool._in_use_connections
        )
        leaves = await asyncio.gather(
            *(layer.group_discard(f"test-burst-{n % 10}", name) for n, name in enumerate(names)),
            return_exceptions=True,
        )
        result["failed"] = [r for r in joins + leaves if isinstance(r, BaseException)]
        result["after"] = [await _subscribers(redis, layer, f"test-burst-{g}") for g in range(10)]
        await layer.flush()
        await redis.aclose()

    asyncio.run(run())
    assert result["failed"] == []
    assert result["subscribers"] == [1] * 10
    assert 1 <= result["connections"] <= 2
    assert result["after"] == [0] * 10


def test_sockets_cancelled_again_and_again_mid_join_leave_nothing_subscribed() -> None:
    """Three hundred sockets joining and leaving their groups, each cancelled at a random
    moment (Daphne cancels a consumer that is slow to finish after its socket closed): none
    fails otherwise, no group stays subscribed once they are gone, and the layer still
    delivers."""
    layer = _layer()
    rng = random.Random(7)
    state: dict[str, Any] = {}

    async def socket(number: int, name: str) -> None:
        try:
            await layer.group_add(f"test-cancel-{number % 5}", name)
        finally:
            await layer.group_discard(f"test-cancel-{number % 5}", name)

    async def run() -> None:
        redis = _redis(layer)
        names = [await layer.new_channel() for _ in range(300)]
        tasks = [asyncio.ensure_future(socket(n, name)) for n, name in enumerate(names)]
        for _ in range(300):
            await asyncio.sleep(0)
            for task in tasks:
                if not task.done() and rng.random() < 0.02:
                    task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        state["cancelled"] = sum(isinstance(r, asyncio.CancelledError) for r in results)
        state["failed"] = [
            r
            for r in results
            if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)
        ]
        await asyncio.sleep(0.1)
        state["left"] = [await _subscribers(redis, layer, f"test-cancel-{g}") for g in range(5)]
        listener = await layer.new_channel()
        await layer.group_add("test-cancel-after", listener)
        await asyncio.sleep(0.05)
        await layer.group_send("test-cancel-after", {"type": "job.status"})
        state["delivered"] = await asyncio.wait_for(layer.receive(listener), timeout=5)
        await layer.flush()
        await redis.aclose()

    asyncio.run(run())
    assert state["cancelled"] > 30 and state["failed"] == []
    assert state["left"] == [0] * 5
    assert state["delivered"] == {"type": "job.status"}


def test_live_messages_go_through_the_one_background_loop_on_this_layer(caplog: Any) -> None:
    """Messages from views, services and workers use the process's one background loop with
    this layer too (a new loop per message would open new Redis connections each time, and
    fails in a thread that runs an event loop)."""
    from channels.layers import get_channel_layer

    from studio import live

    assert live._shares_loops(get_channel_layer())

    async def from_a_running_loop() -> None:  # as a test's browser driver or an ASGI thread
        live.send([("test-live-loop", {"type": "job.status"})])

    with caplog.at_level("WARNING", logger="studio.live"):
        asyncio.run(from_a_running_loop())
    assert not caplog.records  # no "live update ... not sent" (AsyncToSync in a running loop)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_server(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def test_sockets_keep_their_groups_across_a_redis_restart(tmp_path: Path) -> None:
    """Redis stops and comes back: the process subscribes again to every group its sockets
    are in, and a message sent afterwards reaches them (nobody has to reload the page)."""
    port = _free_port()
    layer = _layer()
    layer._kwargs["hosts"] = [{"address": f"redis://127.0.0.1:{port}/0", "socket_timeout": 5}]
    server = _redis_server(port, tmp_path)
    result: dict[str, Any] = {}

    async def run() -> None:
        nonlocal server
        names = [await layer.new_channel() for _ in range(3)]
        for name in names:
            await layer.group_add("test-restart", name)
        server.kill()
        server.wait()
        await asyncio.sleep(0.5)
        server = _redis_server(port, tmp_path)
        redis = Redis.from_url(f"redis://127.0.0.1:{port}/0")
        deadline = time.monotonic() + 15
        while await _subscribers(redis, layer, "test-restart") == 0:
            assert time.monotonic() < deadline, "never subscribed again"
            await asyncio.sleep(0.1)
        await layer.group_send("test-restart", {"type": "job.status", "job": 1})
        result["received"] = await asyncio.wait_for(
            asyncio.gather(*(layer.receive(name) for name in names)), timeout=5
        )
        await layer.flush()
        await redis.aclose()

    try:
        asyncio.run(run())
    finally:
        server.kill()
        server.wait()
    assert result["received"] == [{"type": "job.status", "job": 1}] * 3
