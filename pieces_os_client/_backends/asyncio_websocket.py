"""The async side's WebSocket edge: aiohttp's WebSocket client.

:func:`open_once` makes one attempt to open a stream operation and gives an
:class:`AsyncStream`; everything around it is the runtime's
(:mod:`pieces_os_client._async.streams`). Needs only the ``async`` extra (aiohttp).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    Mapping,
    NoReturn,
    Optional,
    TypeVar,
    Union,
)

import aiohttp
from yarl import URL

from pieces_os_client._backends.aiohttp_http import HandshakeAnswer, Redirected, failure_kind
from pieces_os_client._backends.tls import server_hostname, tls_context
from pieces_os_client._client_base import _log_answer, _log_failure, _timing
from pieces_os_client._core.endpoint import RequestOptions
from pieces_os_client._core.failures import BROKEN, describe_failure
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.streaming import (
    KEEPALIVE_INTERVAL,
    Message,
    dropped,
    refused,
    stream_request,
)
from pieces_os_client._core.watch import TIMED_OUT
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import DEFAULT_STREAM_CLOSE_TIMEOUT

if TYPE_CHECKING:
    from pieces_os_client.aio.api_client import AsyncApiClient

T = TypeVar("T")

__all__ = ["AsyncStream", "open_once"]

_TEXT, _BINARY = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY

#: Loop time ``close()`` always gives the socket to close, past ``stream_close_timeout``.
_SOCKET_GRACE = 0.05


class AsyncStream(Generic[T]):
    """An open stream: ``async for`` it for messages, ``await close()`` to stop.

    The same items, endings and errors as :class:`pieces_os_client.stream.Stream`.

    Example::

        async with AsyncModelsApi(api_client).models_stream_identifiers() as stream:
            first = await stream.__anext__()  # every model id, right after connecting
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        websocket: aiohttp.ClientWebSocketResponse[bool],
        url: str,
        headers: Dict[str, str],
        decode: Callable[[Message, Mapping[str, str]], T],
        close_timeout: float = DEFAULT_STREAM_CLOSE_TIMEOUT,
    ) -> None:
        self._session = session
        self._websocket = websocket
        # Looked up once: __anext__ runs for every message.
        self._ws_receive = websocket.receive
        self._decode = decode
        self._close_timeout = close_timeout
        self._closing = False
        #: The ``ws://`` or ``wss://`` URL of the stream.
        self.url = url
        #: The headers of the server's ``101 Switching Protocols`` answer.
        self.headers = headers

    @property
    def closed(self) -> bool:
        """True once the stream ended or was closed."""
        return self._closing or self._websocket.closed

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        message = await self._ws_receive()
        kind = message.type
        if kind is _TEXT or kind is _BINARY:
            return self._decode(message.data, self.headers)
        return await self._ended(message)

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the stream (a clean WebSocket close) and its connection. Safe to call more
        than once, and from another task than the one iterating, which then stops.

        Returns within ``Configuration.stream_close_timeout`` seconds (and a few
        milliseconds), answered or not: a server that never answers the closing handshake
        has its connection cut.
        """
        self._closing = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._close_timeout
        sock = self._websocket.get_extra_info("socket")
        try:
            # aiohttp's ws_close timeout restarts at each message a busy server still sends;
            # this bounds the whole close.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._websocket.close(), self._close_timeout)
        finally:
            await self._session.close()
        # A TLS connection finishes closing a few loop turns later; wait (within the same
        # budget) so that nothing of the stream outlives close(), even when the loop ends
        # right after.
        deadline = max(deadline, loop.time() + _SOCKET_GRACE)
        while sock is not None and sock.fileno() != -1 and loop.time() < deadline:
            await asyncio.sleep(0.005)

    async def _receive(self, timeout: Optional[float]) -> Union[T, Any]:
        try:
            message = await self._ws_receive(timeout)
        except asyncio.TimeoutError:
            return TIMED_OUT
        kind = message.type
        if kind is _TEXT or kind is _BINARY:
            return self._decode(message.data, self.headers)
        return await self._ended(message)

    async def _ended(self, message: Any) -> NoReturn:
        """Raise ``StopAsyncIteration`` for a stream closed cleanly or by :meth:`close`,
        else the error that it was cut off."""
        if self._closing or message.type == aiohttp.WSMsgType.CLOSE:
            await self.close()
            raise StopAsyncIteration
        # An ERROR message carries its exception (a message past max_msg_size among them).
        cause = message.data if isinstance(message.data, BaseException) else None
        cause = cause or self._websocket.exception()
        await self.close()
        reason = "the connection ended without a closing handshake"
        if getattr(cause, "code", None) == aiohttp.WSCloseCode.MESSAGE_TOO_BIG:
            # Said as the sync stream says it: the limit is Configuration.max_response_size.
            reason = f"message too big: {cause}"
        raise dropped(self.url, reason) from cause

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<AsyncStream {self.url} ({state})>"


async def open_once(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[AsyncStream[T]]:
    """One attempt to open ``operation``'s stream: the stream in an ``ApiResponse`` (101,
    the upgrade answer's headers), or the typed exception of what went wrong."""
    configuration = api_client.configuration
    request = stream_request(
        configuration, api_client.default_headers, operation, arguments, options
    )
    answer = HandshakeAnswer()
    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(answer.on_request_end)
    trace.on_request_redirect.append(answer.on_request_redirect)
    context = tls_context(configuration)
    close_timeout = configuration.stream_close_timeout
    # A session of its own: the stream holds its connection for as long as it lives.
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=context if context is not None else True),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=request.open_timeout, sock_read=request.open_timeout
        ),
        trace_configs=[trace],
    )
    extra: Dict[str, Any] = {}
    if configuration.proxy:
        extra["proxy"] = configuration.proxy
    name = server_hostname(configuration)
    if name:
        extra["server_hostname"] = name
    debug_logger = configuration._get_debug_logger()
    started = _timing(debug_logger)
    try:
        try:
            websocket = await session.ws_connect(
                URL(request.url, encoded=True),
                headers=request.headers,
                heartbeat=KEEPALIVE_INTERVAL,
                max_msg_size=request.max_message_size,
                # The wait for the server's closing answer (AsyncStream.close bounds the rest).
                timeout=aiohttp.ClientWSTimeout(ws_close=close_timeout),
                **extra,
            )
        except (aiohttp.WSServerHandshakeError, Redirected) as error:
            if error.status == 101:  # upgraded, but not to a valid WebSocket
                raise describe_failure(BROKEN, "GET", request.url, error) from error
            raise refused(
                request.url, error.status, answer.reason, answer.headers, answer.body
            ) from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise describe_failure(failure_kind(error), "GET", request.url, error) from error
    except BaseException as error:
        await session.close()
        if started is not None and isinstance(error, Exception):
            _log_failure(debug_logger, "GET", request.url, error, started)
        raise
    if started is not None:
        _log_answer(debug_logger, "GET", request.url, 101, started)
    stream = AsyncStream(session, websocket, request.url, answer.headers, decode, close_timeout)
    return ApiResponse._received(101, answer.headers, stream, b"")
