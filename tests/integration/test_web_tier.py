"""The scaled web tier: the compose file's proxy (deploy/nginx.conf, real nginx) in front of two
real Daphnes. Pages are spread over both, a WebSocket passes through the proxy and gets live
messages whichever process holds it, and the proxy refuses an oversized body itself."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from studio import live as channels_live
from tests import live
from tests.integration.helpers import SocketRecorder, session_cookie

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def web_tier(django_db_setup: Any) -> Iterator[tuple[str, list[live.Process]]]:
    ports = [live.free_port(), live.free_port()]
    daphnes = [live.start_server(p, f"daphne-tier-{i}") for i, p in enumerate(ports)]
    proxy_port = live.free_port()
    proxy = live.start_proxy(proxy_port, ports)
    try:
        yield f"http://127.0.0.1:{proxy_port}", daphnes
    finally:
        proxy.stop()
        for d in daphnes:
            d.stop()


def _get(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _served(daphne: live.Process, path: str) -> int:
    return len(re.findall(rf'"GET {re.escape(path)}" 200', daphne.own_log_text()))


def test_pages_through_the_proxy_are_spread_over_every_daphne(
    client: Any, user: Any, workspace: Any, web_tier: tuple[str, list[live.Process]]
) -> None:
    """Twenty signed-in page loads through the proxy: each answered, by both processes."""
    url, daphnes = web_tier
    client.force_login(user)
    path = f"/w/{workspace.pk}/gallery/"
    statuses = [_get(url + path, session_cookie(client)) for _ in range(20)]
    assert statuses == [200] * 20
    served = [_served(d, path) for d in daphnes]
    assert sum(served) == 20 and min(served) >= 1, served


def test_a_websocket_through_the_proxy_gets_live_messages(
    client: Any, user: Any, workspace: Any, web_tier: tuple[str, list[live.Process]]
) -> None:
    """Sockets opened through the proxy get their snapshot and then messages sent from another
    process: the channel layer reaches whichever Daphne holds them."""
    url, _ = web_tier
    client.force_login(user)
    ws_url = url.replace("http", "ws") + f"/ws/workspaces/{workspace.pk}/"
    with (
        SocketRecorder(ws_url, session_cookie(client), url) as first,
        SocketRecorder(ws_url, session_cookie(client), url) as second,
    ):
        for socket in (first, second):
            socket.wait_for(lambda m: m["type"] == "snapshot", timeout=20)
        channels_live.group_send(
            workspace.pk, 999_999, {"type": "job.progress", "job": 999_999, "step": 1, "total": 2}
        )
        for socket in (first, second):
            socket.wait_for(lambda m: m["type"] == "job.progress" and m["job"] == 999_999, 20)


def test_the_proxy_refuses_a_body_over_the_cap_itself(
    client: Any, user: Any, workspace: Any, web_tier: tuple[str, list[live.Process]]
) -> None:
    """A 25 MiB upload is refused by the proxy (413) before any Daphne sees it."""
    url, daphnes = web_tier
    client.force_login(user)
    request = urllib.request.Request(
        f"{url}/w/{workspace.pk}/new/",
        data=b"x" * (25 * 1024 * 1024),
        headers={"Cookie": session_cookie(client), "Content-Type": "application/octet-stream"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert not any(f"/w/{workspace.pk}/new/" in d.own_log_text() for d in daphnes)
