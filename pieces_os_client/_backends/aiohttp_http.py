"""The async side's HTTP edge below :class:`~pieces_os_client.aio.AsyncApiClient`: what
aiohttp's errors mean, its timeouts for an attempt, reading a body within the call's limits,
and keeping what a refused WebSocket upgrade answered (status, headers, bounded body)."""

from __future__ import annotations

import asyncio
import inspect
import ssl
from typing import Any, Dict, Optional, Tuple, Union

import aiohttp

from pieces_os_client._backends.tls import tls_context
from pieces_os_client._core.body import CHUNK_SIZE, BoundedBody
from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    OTHER,
    READ_TIMEOUT,
    TLS,
)
from pieces_os_client._core.timeouts import CallLimits, Timeouts, make_timeout
from pieces_os_client.configuration import Configuration, TimeoutSpec

__all__ = [
    "PER_REQUEST_DECOMPRESS",
    "HandshakeAnswer",
    "Redirected",
    "client_timeout",
    "failure_kind",
    "read_body",
    "release",
    "ssl_setting",
    "status",
    "within_deadline",
]

#: aiohttp >= 3.10 names a connect timeout apart from a read timeout; older ones say it in text.
_CONNECT_TIMEOUT_ERROR: Any = getattr(aiohttp, "ConnectionTimeoutError", None)

#: aiohttp >= 3.11 can turn decompression off per request (the SDK inflates preloaded bodies
#: itself, a bounded step at a time); older ones inflate, and the size limit counts the result.
PER_REQUEST_DECOMPRESS = (
    "auto_decompress" in inspect.signature(aiohttp.ClientSession._request).parameters
)


def failure_kind(error: BaseException) -> str:
    """Which of :mod:`~pieces_os_client._core.failures`' kinds an aiohttp error is."""
    if isinstance(error, aiohttp.ClientSSLError):
        return TLS
    if _CONNECT_TIMEOUT_ERROR is not None and isinstance(error, _CONNECT_TIMEOUT_ERROR):
        return CONNECT_TIMEOUT
    if isinstance(error, aiohttp.ClientConnectorError):
        return CONNECT_FAILED
    if isinstance(error, aiohttp.ServerTimeoutError):
        older_connect_timeout = _CONNECT_TIMEOUT_ERROR is None and str(error).startswith(
            "Connection timeout"
        )
        return CONNECT_TIMEOUT if older_connect_timeout else READ_TIMEOUT
    if isinstance(error, asyncio.TimeoutError):
        return READ_TIMEOUT  # the whole-attempt timeout ran out
    if isinstance(
        error,
        (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError),
    ):
        # Disconnected, reset, or an answer cut short or garbled after the request went out.
        return BROKEN
    return OTHER


def status(answer: Tuple[aiohttp.ClientResponse, bytes]) -> Tuple[int, Any]:
    return answer[0].status, answer[0].headers


def release(answer: Tuple[aiohttp.ClientResponse, bytes]) -> None:
    """Free an answer that is retried."""
    answer[0].close()


def _seconds(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def client_timeout(spec: Union[TimeoutSpec, Timeouts, None]) -> aiohttp.ClientTimeout:
    """``5`` -> 5 s in all (each attempt then gets what is left: :func:`within_deadline`);
    ``(2, 30)`` -> connect 2 s, then 30 s per read."""
    timeout = make_timeout(spec)
    return aiohttp.ClientTimeout(
        total=_seconds(timeout.total),
        sock_connect=_seconds(timeout.connect_timeout),
        sock_read=timeout.read,
    )


def within_deadline(spec: Timeouts, limits: CallLimits) -> aiohttp.ClientTimeout:
    """This attempt's timeout: what is left of the call's deadline, per phase too."""
    left = max(limits.left(), 0.001)
    connect, read = spec.connect_timeout, spec.read
    return aiohttp.ClientTimeout(
        total=left,
        sock_connect=left if connect is None else min(connect, left),
        sock_read=None if read is None else min(read, left),
    )


async def read_body(response: aiohttp.ClientResponse, limits: CallLimits) -> bytes:
    """The body, inflated here a bounded step at a time when aiohttp was told not to."""
    inflate = PER_REQUEST_DECOMPRESS
    body = BoundedBody(limits.max_size, response.headers if inflate else {})
    while True:
        chunk = await response.content.read(CHUNK_SIZE)
        if not chunk:
            return body.finish()
        body.feed(chunk)


def ssl_setting(config: Configuration) -> Union[bool, ssl.SSLContext]:
    """What aiohttp's ``ssl=`` takes: True (its default, unused by an http host) or ours."""
    context = tls_context(config)
    return True if context is None else context


class HandshakeAnswer:
    """The upgrade answer's headers and, when it is a plain HTTP status, its reason and body.

    aiohttp raises ``WSServerHandshakeError`` with the status and headers but never reads the
    body; a trace hook reads it (bounded) before aiohttp releases the answer.
    """

    def __init__(self) -> None:
        self.headers: Dict[str, str] = {}
        self.body = b""
        self.reason: Optional[str] = None

    async def on_request_end(
        self,
        session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        await self._keep(params.response)

    async def on_request_redirect(
        self,
        session: aiohttp.ClientSession,
        context: Any,
        params: aiohttp.TraceRequestRedirectParams,
    ) -> None:
        # Redirects are not followed (as by the HTTP client): X-Application-ID stays here.
        await self._keep(params.response)
        raise Redirected(params.response.status)

    async def _keep(self, response: aiohttp.ClientResponse) -> None:
        self.headers = dict(response.headers)
        if response.status == 101:
            return
        self.reason = response.reason
        from pieces_os_client._core.streaming import RAW_TEXT_LIMIT

        chunks = []
        size = 0
        try:
            while size <= RAW_TEXT_LIMIT:
                chunk = await response.content.read(RAW_TEXT_LIMIT + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass  # keep what arrived
        self.body = b"".join(chunks)


class Redirected(Exception):
    """Stops aiohttp from following a redirect of the upgrade request."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
