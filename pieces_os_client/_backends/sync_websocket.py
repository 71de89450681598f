"""The sync side's WebSocket edge: the ``websockets`` sync client.

:func:`open_once` makes one attempt to open a stream operation and gives a :class:`Stream`;
everything around it (the URL and headers, moving to where Pieces OS listens, the watcher,
the downloads) is the runtime's (:mod:`pieces_os_client._sync.streams`). Needs the ``stream``
extra (``pip install 'pieces-os-models[stream]'``).
"""

from __future__ import annotations

import socket
import ssl
import threading
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

from pieces_os_client._core.streaming import (
    KEEPALIVE_INTERVAL,
    Message,
    dropped,
    missing_extra,
    refused,
    stream_request,
)
from pieces_os_client._core.watch import TIMED_OUT

try:
    from websockets.exceptions import (
        ConnectionClosed,
        ConnectionClosedOK,
        InvalidHandshake,
        InvalidStatus,
    )
    from websockets.sync.client import ClientConnection, connect
except ImportError as error:  # pragma: no cover - exercised in a subprocess without websockets
    raise missing_extra("websockets", "stream") from error

from pieces_os_client._backends.tls import server_hostname, tls_context
from pieces_os_client._client_base import _log_answer, _log_failure, _timing
from pieces_os_client._core.endpoint import RequestOptions
from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    TLS,
    describe_failure,
)
from pieces_os_client._core.operations import Operation
from pieces_os_client.api_response import ApiResponse

if TYPE_CHECKING:
    from pieces_os_client.api_client import ApiClient

T = TypeVar("T")

__all__ = ["Stream", "open_once"]


def _no_redirects() -> Callable[..., Any]:
    """websockets' sync opener, made to refuse redirects as the HTTP client does.

    Since websockets 17 the sync client follows a 3xx to its ``Location`` (and would send
    ``X-Application-ID`` there); a 3xx must instead raise the typed exception with its status,
    headers and body. Its ``reconnect`` opener has the hook for that; older releases never
    follow a redirect and have no such opener.
    """
    from websockets.sync import client

    opener = getattr(client, "reconnect", None)
    if not isinstance(opener, type) or not hasattr(opener, "process_redirect"):
        return connect

    class _Connect(opener):  # type: ignore[misc,valid-type]
        def process_redirect(self, exc: Exception) -> Exception:
            return exc

    return _Connect


_connect = _no_redirects()


class Stream(Generic[T]):
    """An open stream: iterate it for messages, close it (or leave its ``with``) to stop.

    Iteration yields one item per message: the operation's message type
    (``StreamedIdentifiers``, ``ModelDownloadProgress``), or the raw text for a
    ``*_without_preload_content`` variant. It ends when Pieces OS closes the stream cleanly or
    :meth:`close` is called (from any thread); a connection that breaks raises
    :class:`~pieces_os_client.exceptions.ApiConnectionError`, and a message that is not of the
    declared type raises :class:`~pieces_os_client.exceptions.ApiResponseValidationError`
    (the stream stays open).

    Example::

        from pieces_os_client import ApiClient, Configuration, ModelsApi

        with ApiClient(Configuration()) as api_client:
            with ModelsApi(api_client).models_stream_identifiers() as stream:
                first = next(stream)  # every model id, right after connecting
                print(len(first.iterable), "models")
    """

    def __init__(
        self,
        connection: ClientConnection,
        url: str,
        decode: Callable[[Message, Mapping[str, str]], T],
    ) -> None:
        self._connection = connection
        # Looked up once: __next__ runs for every message.
        self._recv = connection.recv
        self._decode = decode
        self._closing = False
        #: The ``ws://`` or ``wss://`` URL of the stream.
        self.url = url
        #: The headers of the server's ``101 Switching Protocols`` answer.
        answer = connection.response
        self.headers: Dict[str, str] = dict(answer.headers.raw_items()) if answer else {}

    @property
    def closed(self) -> bool:
        """True once the stream ended or was closed."""
        return self._closing or self._connection.close_code is not None

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        try:
            raw = self._recv()
        except ConnectionClosed as error:
            self._ended(error)
        return self._decode(raw, self.headers)

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the stream (a clean WebSocket close) and wait for its threads to end.

        Safe to call more than once and from another thread than the one iterating, which
        then stops.
        """
        self._closing = True
        self._connection.close()
        current = threading.current_thread()
        for thread in (
            self._connection.recv_events_thread,
            getattr(self._connection, "keepalive_thread", None),
        ):
            if thread is not None and thread is not current:
                thread.join()

    def _receive(self, timeout: Optional[float]) -> Union[T, Any]:
        """The next item, or ``TIMED_OUT`` after ``timeout`` seconds (None: wait)."""
        try:
            raw = self._recv(timeout)
        except TimeoutError:
            return TIMED_OUT
        except ConnectionClosed as error:
            self._ended(error)
        return self._decode(raw, self.headers)

    def _ended(self, error: ConnectionClosed) -> NoReturn:
        """Raise ``StopIteration`` for a connection closed cleanly or by :meth:`close`, else
        the error that it was cut off."""
        if isinstance(error, ConnectionClosedOK):
            self.close()
            raise StopIteration from None
        if self._closing:
            raise StopIteration from None
        self.close()
        raise dropped(self.url, error) from error

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Stream {self.url} ({state})>"


def open_once(
    api_client: ApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[Stream[T]]:
    """One attempt to open ``operation``'s stream: the stream in an ``ApiResponse`` (101,
    the upgrade answer's headers), or the typed exception of what went wrong."""
    configuration = api_client.configuration
    request = stream_request(
        configuration, api_client.default_headers, operation, arguments, options
    )
    headers = dict(request.headers)
    # websockets sends the User-Agent itself; pass ours there so it is sent once.
    user_agent = headers.pop("User-Agent", None)
    context = tls_context(configuration)
    debug_logger = configuration._get_debug_logger()
    started = _timing(debug_logger)
    try:
        try:
            connection = _connect(
                request.url,
                additional_headers=headers,
                user_agent_header=user_agent,
                open_timeout=request.open_timeout,
                ssl=context,
                server_hostname=server_hostname(configuration),
                # Like the HTTP client: a proxy only when configured, none from the environment.
                proxy=configuration.proxy,
                ping_interval=KEEPALIVE_INTERVAL,
                ping_timeout=KEEPALIVE_INTERVAL,
                # Leaving a stream waits this long at most for the server's closing answer.
                close_timeout=configuration.stream_close_timeout,
                max_size=request.max_message_size,
                max_queue=None,
            ).__enter__()  # connects (websockets >= 17 opens on entering; older at once)
        except InvalidStatus as error:
            answer = error.response
            raise refused(
                request.url,
                answer.status_code,
                answer.reason_phrase,
                dict(answer.headers.raw_items()),
                bytes(answer.body or b""),
            ) from error
        except (TimeoutError, socket.timeout) as error:
            raise describe_failure(CONNECT_TIMEOUT, "GET", request.url, error) from error
        except ssl.SSLError as error:
            raise describe_failure(TLS, "GET", request.url, error) from error
        except OSError as error:
            raise describe_failure(CONNECT_FAILED, "GET", request.url, error) from error
        except InvalidHandshake as error:
            # An answer that is not HTTP, or a 101 without a valid upgrade.
            raise describe_failure(BROKEN, "GET", request.url, error) from error
    except Exception as error:
        if started is not None:
            _log_failure(debug_logger, "GET", request.url, error, started)
        raise
    if started is not None:
        _log_answer(debug_logger, "GET", request.url, 101, started)
    stream = Stream(connection, request.url, decode)
    return ApiResponse._received(101, stream.headers, stream, b"")
