"""The webhook client, and the guard that keeps it from reaching inside the network.

A webhook URL is typed by a workspace owner, and the server fetches it: without a guard an
owner could make the server call the cloud's metadata service, the database or an admin page
on the private network (server-side request forgery). So:

- the host is resolved once, and every address it resolves to is checked: loopback, private
  (RFC 1918, unique local), link-local (the metadata service at 169.254.169.254), shared,
  multicast, unspecified and reserved addresses are refused, IPv4-mapped IPv6 ones too;
- the connection goes to the address that was checked, never to the name again, so a DNS
  answer that changes between the check and the connection (DNS rebinding) cannot slip
  through; the Host header and, over https, the TLS server name and certificate check use
  the name;
- redirects are not followed; at most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read; the
  whole request has WEBHOOK_TIMEOUT_SECONDS.

The operator lets chosen hosts or networks through with REELSMITH_WEBHOOK_ALLOW_HOSTS.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The address may not be called: the message says why, for the owner to read."""


class DeliveryError(Exception):
    """The receiver could not be reached or did not answer in time (worth trying again)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to call it."""

    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str  # the checked IP address to connect to


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # at most WEBHOOK_MAX_RESPONSE_BYTES
    duration_ms: int
    retry_after: float | None = None  # seconds, from a Retry-After header in seconds


def url_problem(url: str) -> str | None:
    """Why a URL cannot be a webhook's address (without resolving it), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        return "Enter a valid URL."
    if parts.scheme not in ("https", "http"):
        return "The address must start with https:// (or http://)."
    if not parts.hostname:
        return "The address has no host name."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address: receivers check the signature."
    return None


def target(url: str) -> Target:
    """Check the URL and resolve its host to one allowed address, or raise Refused."""
    problem = url_problem(url)
    if problem:
        raise Refused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = allowed_address(host, port)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=str(address))


def allowed_address(host: str, port: int) -> IPAddress:
    """The address to connect to: every address the host resolves to must be allowed (a name
    with one private address among public ones is refused: which one is used is not ours to
    pick)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"{host} could not be resolved ({exc}).") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise DeliveryError(f"{host} could not be resolved.")
    for address in addresses:
        if not is_allowed(address, host=host):
            raise Refused(
                f"{host} resolves to {address}, a {_kind(address)} address: webhooks go only to "
                "public addresses (an operator can allow it with REELSMITH_WEBHOOK_ALLOW_HOSTS)."
            )
    return addresses[0]


def is_allowed(address: IPAddress, *, host: str = "") -> bool:
    """Whether the client may connect to this address (reached by the name ``host``)."""
    if _operator_allows(address, host):
        return True
    return _kind(address) == "public"


def _kind(address: IPAddress) -> str:
    """What sort of address this is, in words; "public" for the only sort that is allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"  # 169.254.169.254, the cloud's metadata service, among them
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"  # shared (100.64.0.0/10), documentation, benchmarking, ...
    return "public"


def _operator_allows(address: IPAddress, host: str) -> bool:
    for entry in settings.WEBHOOK_ALLOW_HOSTS:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue  # a host name that is not this one
        if address.version == network.version and address in network:
            return True
    return False


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to the URL under the guard; raise Refused or DeliveryError."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    started = time.monotonic()
    checked = target(url)
    connection = _connection(checked, timeout=timeout)
    # A deadline for the whole request: a receiver that trickles its answer a byte at a time
    # would pass a per-read timeout forever. At the deadline the socket is shut, which ends
    # any read in progress.
    remaining = max(0.1, timeout - (time.monotonic() - started))
    watchdog = threading.Timer(remaining, _shut, args=(connection,))
    watchdog.start()
    try:
        connection.request("POST", checked.path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read(settings.WEBHOOK_MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() - started >= timeout - 0.05:
            raise DeliveryError(f"No answer within {timeout:g} seconds.") from None
        said = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise DeliveryError(said) from None
    finally:
        watchdog.cancel()
        connection.close()
    duration_ms = round((time.monotonic() - started) * 1000)
    retry_after = (response.getheader("Retry-After") or "").strip()
    return Answer(
        status=response.status,
        body=content,
        duration_ms=duration_ms,
        retry_after=float(retry_after) if retry_after.isdigit() else None,
    )


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _connection(checked: Target, *, timeout: float) -> http.client.HTTPConnection:
    if checked.scheme == "https":
        return _PinnedHTTPSConnection(checked, timeout=timeout)
    return _PinnedHTTPConnection(checked, timeout=timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, checked: Target, *, timeout: float) -> None:
        super().__init__(checked.host, checked.port, timeout=timeout)
        self.address = checked.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address, with the host's name for SNI and the certificate."""

    def __init__(self, checked: Target, *, timeout: float) -> None:
        super().__init__(
            checked.host, checked.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.address = checked.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
