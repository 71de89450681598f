"""The sync side's HTTP edge below :mod:`pieces_os_client.rest`: urllib3's connection and
pool classes, bounded by the limits of the call they serve.

Per call, two limits ride along in a context variable (:data:`CALL`, set by
:class:`~pieces_os_client.rest.RESTClientObject`): the deadline of a number timeout
(enforced on every socket read, status line and headers included) and ``max_response_size``
(enforced while the body is read and inflated).
"""

from __future__ import annotations

import http.client
import io
import socket
from contextvars import ContextVar
from typing import Any, Optional

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import DecodeError

from pieces_os_client._core.body import CHUNK_SIZE, BodyTooLarge, BoundedBody, UndecodableBody
from pieces_os_client._core.timeouts import CallLimits

__all__ = ["CALL", "DeadlineTimeout", "HTTPConnectionPool", "HTTPSConnectionPool", "read_body"]

#: The limits of the call running in this thread / task (set by the transports).
CALL: ContextVar[Optional[CallLimits]] = ContextVar("pieces_os_client_call", default=None)


class DeadlineTimeout(urllib3.Timeout):
    """A ``Timeout`` whose connect and read waits never reach past the call's deadline.

    urllib3 clones it for every attempt, so a retry gets only the time that is left.
    """

    def __init__(self, base: urllib3.Timeout, limits: CallLimits) -> None:
        connect, read = base.connect_timeout, base._read
        super().__init__(
            connect=connect if isinstance(connect, (int, float)) else None,
            read=read if isinstance(read, (int, float)) else None,
        )
        self._base = base
        self._limits = limits

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self._base, self._limits)

    @property
    def connect_timeout(self) -> float:
        return self._within(self._connect)

    @property
    def read_timeout(self) -> float:
        return self._within(self._read)

    def _within(self, phase: Any) -> float:
        # Never 0: urllib3 reads 0 as "non-blocking"; a tiny wait times out just as well.
        left = max(self._limits.left(), 0.001)
        return min(phase, left) if isinstance(phase, (int, float)) else left


class _DeadlineSocketReader(io.RawIOBase):
    """Reads a socket, each wait shortened so that no read ends past the call's deadline.

    A server trickling a byte at a time resets an ordinary socket timeout on every byte;
    this one keeps counting down.
    """

    def __init__(self, sock: socket.socket, limits: CallLimits) -> None:
        super().__init__()
        self._sock = sock
        self._limits = limits
        self._phase = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._limits.left()
        if left <= 0:
            raise socket.timeout("the call's timeout ran out")
        self._sock.settimeout(left if self._phase is None else min(left, self._phase))
        return self._sock.recv_into(buffer)


class _DeadlineHTTPResponse(http.client.HTTPResponse):
    """``http.client``'s response, reading through :class:`_DeadlineSocketReader` when the
    call has a deadline (status line and headers included)."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        limits = CALL.get()
        if limits is not None and limits.deadline is not None:
            self.fp.close()
            self.fp = io.BufferedReader(_DeadlineSocketReader(sock, limits))


class _BoundedConnection(HTTPConnection):
    """Reads a preloaded body itself, within the call's size limit, inflating as it goes.

    urllib3 would read (and inflate) the whole body at once; the read stays inside urllib3's
    retry loop all the same, so a GET cut off mid-body is still retried.
    """

    response_class = _DeadlineHTTPResponse

    def getresponse(self) -> urllib3.HTTPResponse:  # type: ignore[override]
        options = getattr(self, "_response_options", None)
        limits = CALL.get()
        if limits is None or options is None or not options.preload_content:
            return super().getresponse()
        self._response_options = options._replace(preload_content=False)
        response = super().getresponse()
        try:
            response._body = read_body(response, limits.max_size)
        except BodyTooLarge as error:
            error.status, error.reason, error.headers = (
                response.status,
                response.reason,
                response.headers,
            )
            raise
        return response


class _HTTPConnection(_BoundedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_BoundedConnection, HTTPSConnection):
    pass


class HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def read_body(response: urllib3.BaseHTTPResponse, max_size: Optional[int]) -> bytes:
    """Read ``response``'s raw body to its end, decoded and within ``max_size``."""
    try:
        body = BoundedBody(max_size, response.headers)
        while True:
            chunk = response.read(CHUNK_SIZE, decode_content=False)
            if not chunk:
                return body.finish()
            body.feed(chunk)
    except UndecodableBody as error:
        raise DecodeError(str(error)) from error
    except BodyTooLarge:
        response.close()  # the rest is never read: the connection cannot be reused
        raise
