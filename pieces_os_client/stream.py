"""The WebSocket operations, sync: any stream of the table, and the models watcher.

Needs the ``stream`` extra (``pip install 'pieces-os-models[stream]'``, which brings the
``websockets`` library). You rarely import this module yourself: the API classes hand out its
objects.

- :meth:`ModelsApi.models_stream_identifiers() <pieces_os_client.ModelsApi.models_stream_identifiers>`
  opens ``GET /models/stream/identifiers`` and returns a :class:`Stream`: an iterator of
  ``StreamedIdentifiers`` and a context manager that closes it;
  :meth:`ModelApi.model_specific_model_download_progress()
  <pieces_os_client.ModelApi.model_specific_model_download_progress>` likewise, of
  ``ModelDownloadProgress``, and :meth:`WellKnownApi.get_well_known_stream_health()
  <pieces_os_client.WellKnownApi.get_well_known_stream_health>` of text (``str``). Every
  stream operation is opened by the same code here.
- :meth:`ModelsApi.models_watch() <pieces_os_client.ModelsApi.models_watch>` returns a
  :class:`ModelsWatcher`: an iterator of :class:`ModelsChange` (what was added, updated,
  removed, and the current ``Models``) that reconnects by itself.

Example::

    from pieces_os_client import ApiClient, Configuration, ModelsApi

    with ApiClient(Configuration()) as api_client:
        with ModelsApi(api_client).models_watch() as watcher:
            for change in watcher:
                print(change)  # "initial: added ... (15 models)", then one line per change
                break

Everything but the socket (URL, headers, parsing, error mapping, the watcher's state) lives in
:mod:`pieces_os_client._core.streaming` and :mod:`pieces_os_client._core.watch`, shared with
:mod:`pieces_os_client.aio.stream`.
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
    message_decoder,
    missing_extra,
    refused,
    stream_request,
    text_message,
)
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

from pieces_os_client._client_base import _log_answer, _log_failure, _timing
from pieces_os_client._core.endpoint import NO_OPTIONS, RequestOptions, options_in
from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    TLS,
    describe_failure,
)
from pieces_os_client._core.operations import Operation, by_name
from pieces_os_client._core.runner import DONE, Machine, run
from pieces_os_client._core.tls import server_hostname, tls_context
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.exceptions import ApiConnectionError

if TYPE_CHECKING:
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.models.models import Models
    from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers


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

#: What the watcher follows, and what it reads after each burst.
_STREAM = by_name("models_stream_identifiers")
_SNAPSHOT = by_name("models_snapshot")

T = TypeVar("T")

__all__ = ["ModelsChange", "ModelsStream", "ModelsWatcher", "Stream"]


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


#: The name the models stream's class had first; every stream is a :class:`Stream`.
ModelsStream = Stream


def open_stream(
    api_client: ApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Stream[T]:
    """Open a stream operation; each message parsed into its declared type.

    ``arguments`` holds the path parameters, ``options`` the call's options.
    """
    return open_stream_with_http_info(api_client, operation, arguments, options).data


def open_stream_with_http_info(
    api_client: ApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> ApiResponse[Stream[T]]:
    """:func:`open_stream` in an ``ApiResponse``: status 101, the upgrade answer's headers,
    the stream as ``data``."""
    message_type = operation.response_model
    assert message_type is not None
    return _open(api_client, operation, arguments, options, message_decoder(message_type))


def open_raw_stream(
    api_client: ApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Stream[str]:
    """Open a stream operation; its messages as received text."""
    return _open(api_client, operation, arguments, options, text_message).data


def _open(
    api_client: ApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[Stream[T]]:
    moves = 0
    while True:
        try:
            return _open_once(api_client, operation, arguments, options, decode)
        except ApiConnectionError as error:
            # Refused at the default host: follow Pieces OS to where it listens now.
            from pieces_os_client._core.calls import MAX_MOVES
            from pieces_os_client.discovery import relocated_url

            if moves >= MAX_MOVES or error.__cause__ is None or not error.url:
                raise
            if relocated_url(api_client.configuration, error.url, error.__cause__) is None:
                raise
            moves += 1


def _open_once(
    api_client: ApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[Stream[T]]:
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


class ModelsWatcher:
    """A fresh, typed view of the models after each change, for one ``for`` loop.

    Each item is a :class:`ModelsChange`: the ids ``added``, ``updated`` and ``removed`` and
    the current ``Models`` (fetched with ``models_snapshot()`` once a burst of stream messages
    is over). The first item has ``initial`` set and lists every model as added.

    A dropped connection is reopened with the HTTP client's backoff, up to
    ``Configuration.retries`` failed attempts in a row, then
    :class:`~pieces_os_client.exceptions.ApiConnectionError` is raised. After each reconnect
    the snapshot is compared with the last one, so what changed meanwhile is reported too.
    Iteration ends on :meth:`close` (from any thread) or on leaving the ``with`` block.

    Example::

        from pieces_os_client import ApiClient, Configuration, ModelsApi

        with ApiClient(Configuration()) as api_client:
            api = ModelsApi(api_client)
            with api.models_watch() as watcher:
                for change in watcher:
                    print(len(change.models), "models; added:", change.added)
                    break
    """

    def __init__(
        self, api_client: ApiClient, options: Union[RequestOptions, Mapping[str, Any]] = NO_OPTIONS
    ) -> None:
        # Bad options fail here, before anything is sent.
        if not isinstance(options, RequestOptions):
            options = options_in(options)
        stream_request(api_client.configuration, api_client.default_headers, _STREAM, {}, options)
        self._api_client = api_client
        self._options = options
        self._watch = Watch(api_client.configuration.retries)
        self._stream: Optional[Stream[StreamedIdentifiers]] = None
        self._lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def models(self) -> Optional[Models]:
        """The last ``Models`` snapshot (None before the first change)."""
        return self._watch.state.models

    def __iter__(self) -> ModelsWatcher:
        return self

    def __enter__(self) -> ModelsWatcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop watching: close the stream; a loop over the watcher ends. Safe from any
        thread and more than once."""
        self._closed.set()
        self._forget()

    def __next__(self) -> ModelsChange:
        machine = Machine(self._watch.next_change())
        try:
            outcome, change = run(machine, self._perform, self._closed.is_set, Exception)
        except BaseException:
            self.close()  # given up, or Ctrl-C: the watcher is done
            raise
        finally:
            machine.steps.close()
        if outcome == DONE:
            return change  # type: ignore[no-any-return]
        raise StopIteration

    def _perform(self, step: Step) -> Any:
        if step.kind == RECEIVE:
            stream = self._stream
            if stream is None:  # closed meanwhile
                raise ApiConnectionError("the watcher was closed")
            try:
                return stream._receive(step.timeout)
            except StopIteration:
                raise dropped(stream.url, "Pieces OS closed the stream") from None
        if step.kind == SNAPSHOT:
            return self._api_client._invoke(_SNAPSHOT, {}, self._options).data
        if step.kind == CONNECT:
            stream = open_stream(self._api_client, _STREAM, {}, self._options)
            with self._lock:
                keep = not self._closed.is_set()
                if keep:
                    self._stream = stream
            if not keep:
                stream.close()
        elif step.kind == DISCONNECT:
            self._forget()
        else:  # SLEEP: cut short by close()
            self._closed.wait(step.timeout)
        return None

    def _forget(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
