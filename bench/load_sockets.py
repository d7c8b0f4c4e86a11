"""The open pages of bench/load.py: many WebSockets held open at once, as browser tabs on the
dashboard and gallery hold them, each recording how long every progress message took from the
worker (the message's "sent" time) to here. Same machine, so the two clocks are one.

A socket that cannot open, or is closed, tries again as the page's live.js does (jittered
back-off from 0.5 s, doubling up to 10 s); every such try is counted.

Usage: load_sockets.py PLAN.json RESULT.json SECONDS
Prints "connected N" once every socket is open (or after a minute), then writes the result
when SECONDS are up.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import websockets

OPEN_PER_SECOND = 100  # pages opening at once; a team's morning, not one instant


async def hold(socket: dict[str, str], until: float, result: dict[str, Any]) -> None:
    headers = {"Cookie": f"sessionid={socket['session']}", "Origin": socket["origin"]}
    delay, connected_once = 0.5, False
    while time.time() < until:
        asked = time.monotonic()
        try:
            async with websockets.connect(
                socket["url"], additional_headers=headers, open_timeout=20
            ) as ws:
                result["handshake_ms"].append((time.monotonic() - asked) * 1000)
                if not connected_once:
                    connected_once = True
                    result["connected"] += 1
                delay = 0.5
                while (left := until - time.time()) > 0:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=left)
                    except TimeoutError:
                        return
                    message = json.loads(raw)
                    kind = message.get("type", "?")
                    result["messages"][kind] = result["messages"].get(kind, 0) + 1
                    if kind == "job.progress" and "sent" in message:
                        result["latencies_ms"].append((time.time() - message["sent"]) * 1000)
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            # A socket the server closed or would not open: an error, then a retry.
            result["dropped" if connected_once else "refused"] += 1
            result["errors"].append(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(delay * (0.5 + random.random() / 2))
        delay = min(delay * 2, 10)


async def main(plan_path: str, result_path: str, seconds: float) -> None:
    plan = json.loads(Path(plan_path).read_text())
    result: dict[str, Any] = {
        "connected": 0,
        "refused": 0,
        "dropped": 0,
        "errors": [],
        "messages": {},
        "latencies_ms": [],
        "handshake_ms": [],
    }
    until = time.time() + seconds
    tasks = []
    for socket in plan["sockets"]:
        tasks.append(asyncio.create_task(hold(socket, until, result)))
        await asyncio.sleep(1 / OPEN_PER_SECOND)
    deadline = time.time() + 60
    while result["connected"] < len(tasks) and time.time() < deadline:
        await asyncio.sleep(0.1)
    print(f"connected {result['connected']}", flush=True)
    await asyncio.gather(*tasks)
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
