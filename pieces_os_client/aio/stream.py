"""The WebSocket operations and the models watcher as coroutines, over aiohttp's client.

Needs only the ``async`` extra (aiohttp). The async API classes hand out these objects; they
behave like their sync twins in :mod:`pieces_os_client.stream`, and share with them
everything but the socket (:mod:`pieces_os_client._core.streaming`,
:mod:`pieces_os_client._core.watch`). Every stream operation of the table is opened by the
same code here.

Each method returns an object you either ``await`` or use with ``async with`` (which also
closes it)::

    import asyncio

    from pieces_os_client import Configuration
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi


    async def main() -> None:
        async with AsyncApiClient(Configuration()) as api_client:
            async with AsyncModelsApi(api_client).models_watch() as watcher:
                async for change in watcher:
                    print(change)
                    break


    asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Generator,
    Generic,
    Mapping,
    NoReturn,
    Optional,
    TypeVar,
    Union,
)

import aiohttp
from yarl import URL

from pieces_os_client._client_base import _log_answer, _log_failure, _timing
from pieces_os_client._core.endpoint import NO_OPTIONS, RequestOptions, options_in
from pieces_os_client._core.failures import BROKEN, describe_failure
from pieces_os_client._core.operations import Operation, by_name
from pieces_os_client._core.runner import DONE, Machine, run_async
from pieces_os_client._core.streaming import (
    KEEPALIVE_INTERVAL,
    RAW_TEXT_LIMIT,
    Message,
    dropped,
    message_decoder,
    refused,
    stream_request,
    text_message,
)
from pieces_os_client._core.tls import server_hostname, tls_context
from pieces_os_client._core.watch import (
    CONNECT,
    DISCONNECT,
    RECEIVE,
    SNAPSHOT,
    TIMED_OUT,
    ModelsChange,
    Step,
    Watch,
)
from pieces_os_client.aio.api_client import AsyncApiClient, _failure_kind
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import DEFAULT_STREAM_CLOSE_TIMEOUT
from pieces_os_client.exceptions import ApiConnectionError

if TYPE_CHECKING:
    from pieces_os_client.models.models import Models
    from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers

T = TypeVar("T")
_Closable = TypeVar("_Closable")

__all__ = ["AsyncModelsStream", "AsyncModelsWatcher", "AsyncStream", "ModelsChange", "Opening"]

#: What the watcher follows, and what it reads after each burst.
_STREAM = by_name("models_stream_identifiers")
_SNAPSHOT = by_name("models_snapshot")

_TEXT, _BINARY = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY

#: Loop time ``close()`` always gives the socket to close, past ``stream_close_timeout``.
_SOCKET_GRACE = 0.05


class Opening(Generic[_Closable]):
    """What the stream methods return: ``await`` it for the object, or ``async with`` it to
    have the object closed at the end of the block."""

    def __init__(
        self,
        open: Callable[[], Awaitable[_Closable]],
        close: Callable[[_Closable], Awaitable[None]],
    ) -> None:
        self._open = open
        self._close = close
        self._value: Optional[_Closable] = None

    def __await__(self) -> Generator[Any, None, _Closable]:
        return self._open().__await__()

    async def __aenter__(self) -> _Closable:
        self._value = await self._open()
        return self._value

    async def __aexit__(self, *exc_info: object) -> None:
        if self._value is not None:
            await self._close(self._value)


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
        return await self._ended(kind)

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
        return await self._ended(kind)

    async def _ended(self, kind: aiohttp.WSMsgType) -> NoReturn:
        """Raise ``StopAsyncIteration`` for a stream closed cleanly or by :meth:`close`,
        else the error that it was cut off."""
        if self._closing or kind == aiohttp.WSMsgType.CLOSE:
            await self.close()
            raise StopAsyncIteration
        cause = self._websocket.exception()
        await self.close()
        raise dropped(self.url, "the connection ended without a closing handshake") from cause

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<AsyncStream {self.url} ({state})>"


class _HandshakeAnswer:
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
        raise _Redirected(params.response.status)

    async def _keep(self, response: aiohttp.ClientResponse) -> None:
        self.headers = dict(response.headers)
        if response.status == 101:
            return
        self.reason = response.reason
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


class _Redirected(Exception):
    """Stops aiohttp from following a redirect of the upgrade request."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


#: The name the models stream's class had first; every stream is an :class:`AsyncStream`.
AsyncModelsStream = AsyncStream


def _parsed(operation: Operation[Any]) -> Callable[[Message, Mapping[str, str]], Any]:
    message_type = operation.response_model
    assert message_type is not None
    return message_decoder(message_type)


def open_stream(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[AsyncStream[T]]:
    """Open a stream operation, each message parsed into its declared type: ``await`` the
    result for the stream, or ``async with`` it to have the stream closed at the end.
    ``arguments`` holds the path parameters, ``options`` the call's options."""
    arguments = dict(arguments)  # the caller's mapping may change before the stream opens

    async def opened() -> AsyncStream[Any]:
        return (await _open(api_client, operation, arguments, options, _parsed(operation))).data

    return Opening(opened, _close)


def open_stream_with_http_info(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[ApiResponse[AsyncStream[T]]]:
    """:func:`open_stream` in an ``ApiResponse``: status 101, the upgrade answer's headers,
    the stream as ``data``."""
    arguments = dict(arguments)
    return Opening(
        lambda: _open(api_client, operation, arguments, options, _parsed(operation)), _close
    )


def open_raw_stream(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[AsyncStream[str]]:
    """Open a stream operation; its messages as received text."""
    arguments = dict(arguments)

    async def opened() -> AsyncStream[str]:
        return (await _open(api_client, operation, arguments, options, text_message)).data

    return Opening(opened, _close)


async def _close(answer: Union[AsyncStream[Any], ApiResponse[Any]]) -> None:
    stream = answer.data if isinstance(answer, ApiResponse) else answer
    await stream.close()


async def _open(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[AsyncStream[T]]:
    moves = 0
    while True:
        try:
            return await _open_once(api_client, operation, arguments, options, decode)
        except ApiConnectionError as error:
            # Refused at the default host: follow Pieces OS to where it listens now.
            from pieces_os_client._core.calls import MAX_MOVES
            from pieces_os_client.discovery import relocated_url_async

            if moves >= MAX_MOVES or error.__cause__ is None or not error.url:
                raise
            elsewhere = await relocated_url_async(
                api_client.configuration, error.url, error.__cause__
            )
            if elsewhere is None:
                raise
            moves += 1


async def _open_once(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[AsyncStream[T]]:
    configuration = api_client.configuration
    request = stream_request(
        configuration, api_client.default_headers, operation, arguments, options
    )
    answer = _HandshakeAnswer()
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
        except (aiohttp.WSServerHandshakeError, _Redirected) as error:
            if error.status == 101:  # upgraded, but not to a valid WebSocket
                raise describe_failure(BROKEN, "GET", request.url, error) from error
            raise refused(
                request.url, error.status, answer.reason, answer.headers, answer.body
            ) from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise describe_failure(_failure_kind(error), "GET", request.url, error) from error
    except BaseException as error:
        await session.close()
        if started is not None and isinstance(error, Exception):
            _log_failure(debug_logger, "GET", request.url, error, started)
        raise
    if started is not None:
        _log_answer(debug_logger, "GET", request.url, 101, started)
    stream = AsyncStream(session, websocket, request.url, answer.headers, decode, close_timeout)
    return ApiResponse._received(101, answer.headers, stream, b"")


class AsyncModelsWatcher:
    """:class:`pieces_os_client.stream.ModelsWatcher` as an async iterator.

    It stops on :meth:`close`, on leaving its ``async with`` block, or when the task
    iterating it is cancelled (the cancellation closes it, then propagates).

    Example::

        async with AsyncModelsApi(api_client).models_watch() as watcher:
            async for change in watcher:
                print(change.added, change.updated, change.removed)
    """

    def __init__(
        self,
        api_client: AsyncApiClient,
        options: Union[RequestOptions, Mapping[str, Any]] = NO_OPTIONS,
    ) -> None:
        if not isinstance(options, RequestOptions):
            options = options_in(options)
        stream_request(api_client.configuration, api_client.default_headers, _STREAM, {}, options)
        self._api_client = api_client
        self._options = options
        self._watch = Watch(api_client.configuration.retries)
        self._stream: Optional[AsyncStream[StreamedIdentifiers]] = None
        self._closed = False
        # Made on first wait, inside the running loop (an Event binds to a loop on 3.9).
        self._wake: Optional[asyncio.Event] = None

    @property
    def models(self) -> Optional[Models]:
        """The last ``Models`` snapshot (None before the first change)."""
        return self._watch.state.models

    def __aiter__(self) -> AsyncModelsWatcher:
        return self

    async def __aenter__(self) -> AsyncModelsWatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop watching: close the stream; an ``async for`` over the watcher ends."""
        self._closed = True
        if self._wake is not None:
            self._wake.set()
        await self._forget()

    async def __anext__(self) -> ModelsChange:
        machine = Machine(self._watch.next_change())
        try:
            outcome, change = await run_async(
                machine, self._perform, lambda: self._closed, Exception
            )
        except BaseException:
            await self.close()  # given up, or the task was cancelled: the watcher is done
            raise
        finally:
            machine.steps.close()
        if outcome == DONE:
            return change  # type: ignore[no-any-return]
        raise StopAsyncIteration

    async def _perform(self, step: Step) -> Any:
        if step.kind == RECEIVE:
            stream = self._stream
            if stream is None:  # closed meanwhile
                raise ApiConnectionError("the watcher was closed")
            try:
                return await stream._receive(step.timeout)
            except StopAsyncIteration:
                raise dropped(stream.url, "Pieces OS closed the stream") from None
        if step.kind == SNAPSHOT:
            return (await self._api_client._invoke(_SNAPSHOT, {}, self._options)).data
        if step.kind == CONNECT:
            stream = await open_stream(self._api_client, _STREAM, {}, self._options)
            if self._closed:
                await stream.close()
            else:
                self._stream = stream
        elif step.kind == DISCONNECT:
            await self._forget()
        else:  # SLEEP: cut short by close()
            if self._wake is None:
                self._wake = asyncio.Event()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), step.timeout)
        return None

    async def _forget(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.close()
