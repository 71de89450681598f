"""Reading an answer's body within ``Configuration.max_response_size``, shared by both clients.

The transports hand over raw (still compressed) chunks; :class:`BoundedBody` inflates
``gzip`` / ``deflate`` a bounded piece at a time and stops as soon as the decoded size passes
the limit, so a large or highly compressed body costs about the limit in memory, never the
body's full size.
"""

from __future__ import annotations

import zlib
from typing import Iterator, List, Mapping, Optional

from pieces_os_client.exceptions import ApiValueError

#: Bytes read from the socket, and decoded from a compressed body, per step.
CHUNK_SIZE = 64 * 1024
#: The ``Accept-Encoding`` the SDK sends: the codings :class:`BoundedBody` decodes.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The decoded body passed the limit; ``head`` holds its first bytes."""

    def __init__(self, limit: int, head: bytes) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit
        self.head = head
        # Filled in by the transport, which knows the response.
        self.status: Optional[int] = None
        self.reason: Optional[str] = None
        self.headers: Optional[Mapping[str, str]] = None


class UndecodableBody(Exception):
    """The body's ``Content-Encoding`` is unknown, or its bytes do not decode."""


def check_limit(limit: object) -> Optional[int]:
    """``Configuration.max_response_size`` checked: a positive int, or None for no limit."""
    if limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit > 0):
        return limit
    raise ApiValueError(
        f"max_response_size must be a positive number of bytes (or None for no limit), "
        f"not {limit!r}"
    )


class BoundedBody:
    """Collects a body chunk by chunk, decoding it and enforcing ``limit``.

    Example::

        >>> from pieces_os_client._core.body import BoundedBody
        >>> body = BoundedBody(limit=10, headers={})
        >>> body.feed(b"0123")
        >>> body.finish()
        b'0123'
    """

    def __init__(self, limit: Optional[int], headers: Mapping[str, str]) -> None:
        self._limit = limit
        self._parts: List[bytes] = []
        self._size = 0
        codings = [c.strip().lower() for c in (headers.get("Content-Encoding") or "").split(",")]
        # Applied last to first, as the server applied them first to last.
        self._decoders = [_Inflater(c) for c in reversed(codings) if c not in ("", "identity")]
        declared = headers.get("Content-Length")
        announced = int(declared) if declared and declared.isdigit() else None
        if limit is not None and not self._decoders and announced and announced > limit:
            raise BodyTooLarge(limit, b"")  # fail before reading what is announced

    def feed(self, raw: bytes) -> None:
        """Add the next raw chunk; raises :class:`BodyTooLarge` past the limit."""
        for piece in self._decode(raw, 0, final=False):
            self._add(piece)

    def finish(self) -> bytes:
        """The whole decoded body, once the raw body has ended."""
        for piece in self._decode(b"", 0, final=True):
            self._add(piece)
        return b"".join(self._parts)

    def _add(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._limit is not None and self._size > self._limit:
            head = _head(self._parts or [piece])
            self._parts.clear()
            raise BodyTooLarge(self._limit, head)
        self._parts.append(piece)

    def _decode(self, data: bytes, index: int, final: bool) -> Iterator[bytes]:
        if index == len(self._decoders):
            if data:
                yield data
            return
        decoder = self._decoders[index]
        for piece in decoder.inflate(data):
            yield from self._decode(piece, index + 1, final=False)
        if final:
            decoder.close()
            yield from self._decode(b"", index + 1, final=True)


def _head(parts: List[bytes], size: int = 4096) -> bytes:
    """The first ``size`` bytes of ``parts``, without joining them all."""
    head = bytearray()
    for part in parts:
        head += part[: size - len(head)]
        if len(head) >= size:
            break
    return bytes(head)


class _Inflater:
    """One ``gzip`` or ``deflate`` layer, inflating at most :data:`CHUNK_SIZE` bytes a step."""

    def __init__(self, coding: str) -> None:
        if coding in ("gzip", "x-gzip"):
            self._wbits = 16 + zlib.MAX_WBITS
        elif coding == "deflate":
            self._wbits = zlib.MAX_WBITS  # zlib-wrapped, as RFC 9110 says; raw is tried too
        else:
            raise UndecodableBody(f"Content-Encoding {coding!r} is not supported")
        self._coding = coding
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def inflate(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                piece = self._inflater.decompress(data, CHUNK_SIZE)
            except zlib.error as error:
                if self._coding == "deflate" and not self._started:
                    # Some servers send raw deflate without the zlib header.
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise UndecodableBody(f"{self._coding}: {error}") from error
            self._started = True
            data = self._inflater.unconsumed_tail
            if self._inflater.eof:
                data = self._inflater.unused_data
                if data and self._wbits > zlib.MAX_WBITS:
                    self._inflater = zlib.decompressobj(self._wbits)  # another gzip member
                else:
                    data = b""  # bytes after the end of the stream are ignored
            if piece:
                yield piece

    def close(self) -> None:
        if self._started and not self._inflater.eof:
            raise UndecodableBody(f"{self._coding}: the compressed body ended early")
