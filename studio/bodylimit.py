"""Request bodies over settings.REQUEST_MAX_BYTES are refused with 413 before any of them is
stored.

Daphne is built on Twisted's HTTP request, which writes a body of more than 100 kB (or of
unknown length) to a temporary file and hands it to the application only once it has all
arrived: a Django middleware or upload handler sees the request too late to stop a gigabyte
reaching the disk (measured: 40 MB posted to the sign-in page, signed out, were written to
two temporary files before the 403). So the check sits in the server's request itself: a
Content-Length over the limit is answered at the headers, and a chunked body is counted as
it arrives and refused when it passes the limit. The reverse proxy in front holds the same
limit (see docker-compose.yml).
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from daphne import http_protocol
from django.conf import settings

# Twisted's own threshold: bodies up to this are kept in memory, longer ones on disk.
MEMORY_BYTES = 100_000


class LimitedWebRequest(http_protocol.WebRequest):
    """Daphne's request, refusing a body over the limit before it is written anywhere."""

    refused = False
    received = 0
    content: Any  # a BytesIO, a temporary file or a spooled one, as Twisted's own

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > settings.REQUEST_MAX_BYTES:
            self._refuse()
            return
        if length is None:
            # Chunked: in memory until it passes Twisted's threshold, as a declared length
            # under it would be; it is refused when it passes the limit.
            self.content = tempfile.SpooledTemporaryFile(max_size=MEMORY_BYTES)  # noqa: SIM115
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self.received += len(data)
        if self.received > settings.REQUEST_MAX_BYTES:
            self.content.close()
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self.refused:
            super().requestReceived(command, path, version)

    def _refuse(self) -> None:
        self.refused = True
        self.content = io.BytesIO()  # a sink for what is already buffered
        self.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after the refusal
        limit_mb = settings.REQUEST_MAX_BYTES / 2**20
        body = (
            f"The request is larger than {limit_mb:.0f} MB, the most this studio accepts. "
            "Upload a smaller file.\n"
        ).encode()
        head = (
            "HTTP/1.1 413 Content Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        self.channel.transport.write(head + body)
        self.channel.loseConnection()


def install(module: Any = http_protocol) -> None:
    """Make Daphne's HTTP factory build LimitedWebRequest (it looks the class up by name)."""
    module.WebRequest = LimitedWebRequest
