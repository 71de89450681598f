"""What ``LocalPiecesOS`` refuses before it acts on a request, and the deadline on reading one.

A web page the user has open may send requests to 127.0.0.1 too. Two checks keep it from
driving the server: the ``Host`` must name a loopback address or the address the server
listens on (so a DNS-rebound name, ``evil.example`` resolving to 127.0.0.1, is refused), and
a request that changes state (or opens the stream) must not come from a foreign ``Origin``
or carry ``Sec-Fetch-Site: cross-site``. Framing is parsed strictly, so no two readers can
disagree on where a body ends, and a request has one total deadline however slowly it comes.
"""

from __future__ import annotations

import io
import ipaddress
import re
import socket
import time
from typing import Any, Iterable, List, Optional
from urllib.parse import urlsplit

__all__ = [
    "MAX_JSON_DEPTH",
    "DeadlineReader",
    "FramingError",
    "chunk_size",
    "content_length",
    "foreign_host",
    "foreign_origin",
    "too_deep",
]

#: JSON nested deeper than this is refused with 400 (a SeededModel nests 3 levels).
MAX_JSON_DEPTH = 32

#: Methods that only read: a foreign page may send them, but the browser keeps it from
#: reading the answer (LocalPiecesOS sends no CORS headers).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DIGITS = re.compile(rb"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_JSON_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class FramingError(ValueError):
    """A request whose length or chunks cannot be read unambiguously (answered with 400)."""


def is_loopback(name: str) -> bool:
    """Whether ``name`` (a host name or an address, bracketed or not) is this machine's
    loopback: what the server trusts, and what ``serve`` listens on without a warning."""
    name = name.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True  # RFC 6761: always the loopback, never resolved elsewhere
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _host_of(authority: str) -> str:
    """``"[::1]:1000"`` -> ``"::1"``, ``"LocalHost:1000"`` -> ``"localhost"``."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    if authority.count(":") == 1:
        return authority.split(":", 1)[0]
    return authority


def _is_ours(name: str, own_addresses: Iterable[str]) -> bool:
    name = name.rstrip(".").split("%", 1)[0]  # an IPv6 zone ("%25eth0" in a URL) aside
    if is_loopback(name):
        return True
    return any(name == address.lower().split("%", 1)[0] for address in own_addresses if address)


def foreign_host(host: Optional[str], own_addresses: Iterable[str]) -> Optional[str]:
    """Why a ``Host`` header is refused, or ``None`` when it names this server.

    ``own_addresses`` are the address the server was bound to and the one the connection
    arrived on (so ``--host 0.0.0.0`` serves every address of the machine, by number).
    """
    if host is None:
        return None  # HTTP/1.0 without Host: nothing a browser sends
    if _is_ours(_host_of(host), own_addresses):
        return None
    return (
        f"Host {host!r} is not this server: LocalPiecesOS answers only requests addressed to "
        "a loopback address (localhost, 127.0.0.1, [::1]) or the address it listens on, so a "
        "web page cannot reach it through a DNS name of its own"
    )


def foreign_origin(
    method: str,
    origin: Optional[str],
    fetch_site: Optional[str],
    own_addresses: Iterable[str],
    allowed_origins: Iterable[str],
    opens_stream: bool = False,
) -> Optional[str]:
    """Why a request from a browser page is refused, or ``None``.

    Only requests that change state, and the stream's WebSocket (which browsers open across
    origins freely), are checked; anything else a foreign page can send, it cannot read.
    """
    if method in _SAFE_METHODS and not opens_stream:
        return None
    if fetch_site is not None and fetch_site.strip().lower() == "cross-site":
        return (
            f"{method} from another site (Sec-Fetch-Site: cross-site) is refused: a web page "
            "may not change LocalPiecesOS's models"
        )
    if origin is None or origin in allowed_origins:
        return None
    host = urlsplit(origin).hostname if origin != "null" else None
    if host is not None and _is_ours(host, own_addresses):
        return None
    return (
        f"{method} from Origin {origin!r} is refused: a web page may not change "
        "LocalPiecesOS's models (allow an origin with LocalPiecesOS(allowed_origins=[...]))"
    )


def content_length(values: List[str]) -> Optional[int]:
    """The body length the ``Content-Length`` header(s) give, strictly: digits only, and
    repeated headers (or a list) must agree. ``None`` when there is none."""
    lengths = {item.strip() for value in values for item in value.split(",")}
    if not lengths:
        return None
    if len(lengths) > 1:
        raise FramingError(f"conflicting Content-Length values {sorted(lengths)}")
    (length,) = lengths
    if not _DIGITS.fullmatch(length.encode("latin-1", "replace")):
        raise FramingError(f"invalid Content-Length {length!r} (digits only)")
    return int(length)


def chunk_size(line: bytes) -> int:
    """The size on a chunk-size line (hex digits, then optional ``;extensions``), strictly."""
    size = line.split(b";", 1)[0].strip(b" \t\r\n")
    if not _HEX.fullmatch(size):
        shown = size[:20].decode("latin-1")
        raise FramingError(f"malformed chunked body: chunk size {shown!r} is not hex digits")
    return int(size, 16)


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` (JSON) nests objects and arrays deeper than ``limit``."""
    depth = 0
    for token in _JSON_NESTING.finditer(body):
        bracket = token.group()
        if bracket in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif bracket in (b"]", b"}"):
            depth -= 1
    return False


class DeadlineReader(io.RawIOBase):
    """The socket's read side, failing with ``TimeoutError`` once ``deadline`` has passed.

    The socket's own timeout bounds each read; a client that sends one byte just before
    each would run forever. Reading a request is bounded as a whole instead: the handler
    sets ``deadline`` when it starts waiting for one.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self.deadline = float("inf")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)
