"""Request bodies over the limit are refused with 413 by the real server (Daphne) before any
of the body is stored: by Content-Length at the headers, and as a chunked body passes it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import live

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIMIT = 64_000  # under the 100 kB past which Twisted writes a body to a temporary file
CONTENT_TYPES = [
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "application/json",
    "application/octet-stream",
]


@pytest.fixture(scope="module")
def server(django_db_setup: Any, tmp_path_factory: Any) -> Iterator[tuple[int, int, Path]]:
    """A Daphne of its own with a small body limit and a temporary folder to watch."""
    tmp = tmp_path_factory.mktemp("daphne-tmp")
    port = live.free_port()
    process = live.start_server(
        port, name="daphne-bodies", REQUEST_MAX_BYTES=str(LIMIT), TMPDIR=str(tmp)
    )
    # What the process left there as it started (importing the speech libraries writes a
    # marker file) is not a request's body.
    _STARTED_WITH.update(tmp.iterdir())
    yield port, process.proc.pid, tmp
    process.stop()


_STARTED_WITH: set[Path] = set()


def _stored_since_start(tmp: Path) -> list[Path]:
    """Files in the server's temporary folder that were not there once it had started."""
    return [path for path in tmp.iterdir() if path not in _STARTED_WITH]


def _open_temp_files(pid: int, tmp: Path) -> list[str]:
    """Files under tmp the server holds open, deleted ones included (Twisted unlinks its own)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(tmp)):
            found.append(target)
    return found


def _response(conn: socket.socket) -> bytes:
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _headers(path: str, content_type: str, cookie: str, body: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}", body]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture(params=["signed out", "signed in"])
def target(request: Any, client: Any, user: Any, workspace: Any) -> tuple[str, str]:
    if request.param == "signed out":
        return "/accounts/login/", ""
    client.force_login(user)
    return f"/w/{workspace.pk}/jobs/new/", f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    server: tuple[int, int, Path], target: tuple[str, str], content_type: str
) -> None:
    """A gigabyte announced by Content-Length is answered 413 at the headers, unread."""
    port, pid, tmp = server
    path, cookie = target
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(_headers(path, content_type, cookie, f"Content-Length: {2**30}"))
        answer = _response(conn)  # no byte of the body was sent
        held = _open_temp_files(pid, tmp)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert held == [] and _stored_since_start(tmp) == []


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    server: tuple[int, int, Path], target: tuple[str, str], content_type: str
) -> None:
    """Chunks are counted as they arrive; past the limit the answer is 413, before the body
    ends, and no temporary file was ever opened."""
    port, pid, tmp = server
    path, cookie = target
    chunk = b"a" * 16_000
    held: list[str] = []
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(_headers(path, content_type, cookie, "Transfer-Encoding: chunked"))
        for _ in range(LIMIT // len(chunk) + 1):
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            held += _open_temp_files(pid, tmp)
        answer = _response(conn)  # the last chunk was never sent
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert held == [] and _stored_since_start(tmp) == []


def test_a_body_under_the_limit_is_served(server: tuple[int, int, Path]) -> None:
    """A body within the limit reaches the studio (here: the sign-in page's CSRF check)."""
    port, _, _ = server
    body = b"username=a&password=b"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(
            _headers(
                "/accounts/login/",
                "application/x-www-form-urlencoded",
                "",
                f"Content-Length: {len(body)}",
            )
            + body
        )
        answer = _response(conn)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
