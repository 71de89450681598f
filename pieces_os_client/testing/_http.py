"""The HTTP side of ``LocalPiecesOS``: server, request handler and routing (stdlib only).

One thread per connection, HTTP/1.1 keep-alive, and every answer framed by
``Content-Length`` (204 has no body and no length, as HTTP requires). Each answer leaves in
one write, so Nagle's algorithm never delays it. Bodies are validated strictly before the
state is touched, so a refused request changes nothing.
"""

from __future__ import annotations

import contextlib
import http
import io
import json
import logging
import os
import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Pattern,
    Tuple,
    Type,
    TypeVar,
    Union,
)
from urllib.parse import unquote

from pydantic import ValidationError

from pieces_os_client._core.operations import OPERATIONS, Operation, by_name
from pieces_os_client._version import __version__
from pieces_os_client.models._base import WireEnum, WireModel
from pieces_os_client.models.model import Model
from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput
from pieces_os_client.models.referenced_model import ReferencedModel
from pieces_os_client.testing._guard import (
    MAX_JSON_DEPTH,
    DeadlineReader,
    FramingError,
    chunk_size,
    content_length,
    foreign_host,
    foreign_origin,
    too_deep,
)
from pieces_os_client.testing._state import RecordedRequest, State
from pieces_os_client.testing._stream import (
    MAX_INCOMING_MESSAGE,
    MISSING_LIBRARY,
    StreamHub,
    Subscriber,
    load_websockets,
)

__all__ = ["HEALTH_PATH", "HTTPServer", "HTTPServer6", "reason_phrase"]

#: LocalPiecesOS's own logger: request lines (DEBUG) and its own failures. Not a child of
#: the SDK's ``pieces_os_client`` logger, so configuring one never pulls in the other.
LOGGER_NAME = "LocalPiecesOS"
logger = logging.getLogger(LOGGER_NAME)
#: What the websockets library logs about the stream's connections.
stream_logger = logging.getLogger(f"{LOGGER_NAME}.stream")

_W = TypeVar("_W", bound=WireModel)

#: The largest request body accepted; bigger ones get 413 (a SeededModel is a few KB).
MAX_BODY_BYTES = 1 << 20
#: Seconds an idle keep-alive connection is kept open.
IDLE_CONNECTION_TIMEOUT = 60.0
#: Seconds ``stop()`` waits for each connection thread to finish.
STOP_JOIN_TIMEOUT = 5.0
#: The health check path Pieces OS answers (the quickstart uses it to find a real one).
HEALTH_PATH = by_name("get_well_known_health").path

_JSON = "application/json"


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = _JSON
    headers: Dict[str, str] = field(default_factory=dict)


#: The media type of every error answer, as Pieces OS sends them.
TEXT = "text/plain; charset=utf-8"
#: The longest error message sent (a message quoting a huge request stays readable).
MAX_ERROR_CHARS = 1000


def _error(status: int, message: str) -> _Answer:
    """An error answer as Pieces OS sends them: ``text/plain``, one line saying what went wrong."""
    line = " ".join(message.split())
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 3] + "..."
    return _Answer(status, line.encode(), TEXT)


def _ok(model: WireModel) -> _Answer:
    return _Answer(200, model.to_json().encode())


def _text(text: str) -> _Answer:
    """A 200 ``text/plain`` answer (the well-known endpoints)."""
    return _Answer(200, text.encode(), TEXT)


class _Rejected(Exception):
    """A request refused before anything changed; carries the answer to send."""

    def __init__(self, answer: _Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class HTTPServer(ThreadingHTTPServer):
    """One thread per connection, tracked so ``stop()`` can close them all."""

    daemon_threads = True
    # A restart on a fixed port (``serve``) should not wait for TIME_WAIT to expire. Not on
    # Windows, where the same option lets two servers share a port.
    allow_reuse_address = os.name != "nt"

    #: Pending connections the kernel keeps while every thread is busy accepting.
    request_queue_size = 128

    def __init__(
        self, address: Tuple[str, int], state: State, allowed_origins: Iterable[str] = ()
    ) -> None:
        self.state = state
        self.allowed_origins = frozenset(allowed_origins)
        self.streams = StreamHub()
        self.stopping = threading.Event()
        self._connections: Dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"LocalPiecesOS:{self.server_port}:{client_address[1]}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            pass  # the client went away (or stop() closed the socket): nothing to answer
        except Exception:
            logger.exception("unexpected error serving %s", client_address)
        finally:
            self.shutdown_request(request)
            with self._connections_lock:
                self._connections.pop(request, None)

    def close_connections(self) -> None:
        """Wake every connection thread (idle keep-alive ones included) and join them."""
        with self._connections_lock:
            live = list(self._connections.items())
        for sock, _ in live:
            with contextlib.suppress(OSError):  # already closed by its own thread
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in live:
            thread.join(STOP_JOIN_TIMEOUT)


class HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"LocalPiecesOS/{__version__}"
    sys_version = ""
    timeout = IDLE_CONNECTION_TIMEOUT
    # Buffered writes: status line, headers and body leave in one segment, so Nagle and
    # delayed ACKs never add 40 ms to an answer.
    wbufsize = 1 << 16
    server: HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile.close()  # replaced by one that keeps a deadline per request
        self._reader = DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # One deadline for the wait for a request and for all of it to arrive, however
        # slowly it trickles in.
        self._reader.deadline = time.monotonic() + IDLE_CONNECTION_TIMEOUT
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        # The interim answer must leave now, not sit in the write buffer while we wait for
        # the body the client is holding back until it sees it.
        accepted = super().handle_expect_100()
        self.wfile.flush()
        return accepted

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE and made-up ones included) goes through one dispatcher, which
        # answers 405 or 404 in plain text instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        state = self.server.state
        try:
            self._refuse_foreign_callers()
            body = self._read_body()
        except _Rejected as rejected:
            # The body was not read, so the connection cannot be reused.
            self.close_connection = True
            state.record(RecordedRequest(self.command, self.path, self._headers(), b""))
            self._send(rejected.answer)
            return
        state.record(RecordedRequest(self.command, self.path, self._headers(), body))
        self.connection.settimeout(IDLE_CONNECTION_TIMEOUT)  # for the answer, not the deadline

        delay, outcome = state.take_faults(self.path.split("?", 1)[0])
        if delay is not None and self.server.stopping.wait(delay.seconds):
            self.close_connection = True
            return
        if outcome is not None and outcome.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if outcome is not None:
            answer = _Answer(outcome.status, outcome.body or b"", outcome.content_type)
            if outcome.retry_after is not None:
                answer.headers["Retry-After"] = outcome.retry_after
            self._send(answer)
            return

        stream = _stream_at(self.command, self.path, self.headers.get("Upgrade"))
        if stream is not None:
            self._serve_stream(*stream)
            return
        try:
            answer = _route(state, self.command, self.path, self.headers.get("Content-Type"), body)
        except _Rejected as rejected:
            answer = rejected.answer
        except Exception as error:  # a bug here must still produce an answer, not a hang
            logger.exception("error handling %s %s", self.command, self.path)
            answer = _error(500, f"LocalPiecesOS internal error: {type(error).__name__}: {error}")
        self._send(answer)

    def _serve_stream(self, op: Operation[Any], params: Dict[str, str]) -> None:
        """Upgrade to ``op``'s WebSocket stream and serve it on this thread until it ends."""
        self.close_connection = True  # after the stream, this connection is done
        library = load_websockets()
        if library is None:
            self._send(_error(500, MISSING_LIBRARY))
            return
        # http.server has parsed the request already, so the handshake is checked on a
        # Request built from it, and the frames are read by a second protocol object that
        # starts OPEN (one that starts CONNECTING would parse the frames as a request).
        handshake = library.ServerProtocol(logger=stream_logger)
        request = library.Request(self.path, library.Headers(self.headers.items()))
        response = handshake.accept(request)
        if response.status_code != 101:
            # websockets explains the refusal; answer it in this server's own error shape.
            reason = response.body.decode("utf-8", "replace").strip().splitlines()
            answer = _error(response.status_code, reason[0] if reason else "not a WebSocket")
            for name in ("Upgrade", "Allow", "Sec-WebSocket-Version"):
                if name in response.headers:
                    answer.headers[name] = response.headers[name]
            self._send(answer)
            return
        response.headers["Server"] = self.version_string()
        handshake.send_response(response)
        protocol = library.ServerProtocol(
            state=library.OPEN, max_size=MAX_INCOMING_MESSAGE, logger=stream_logger
        )
        # A WebSocket client sends nothing before it has our 101, so nothing it sent is
        # left unread in rfile: from here on, the subscriber reads the socket itself.
        subscriber = Subscriber(self.connection, protocol)
        state, feed = self.server.state, _STREAMS[op.name]

        def answer_101() -> None:
            # Sent once the subscriber follows: what happens after the client has its 101
            # (a download it starts next) always reaches the stream.
            self.log_request(101)
            self.wfile.write(b"".join(handshake.data_to_send()))
            self.wfile.flush()

        self.server.streams.serve(subscriber, lambda: feed(state, params, subscriber), answer_101)

    def _headers(self) -> Dict[str, str]:
        return {name: value for name, value in self.headers.items()}

    def _refuse_foreign_callers(self) -> None:
        """Refuse a DNS-rebound Host, and a browser page that would change state."""
        own = (str(self.server.server_address[0]), str(self.connection.getsockname()[0]))
        if self.request_version != "HTTP/1.0" and "Host" not in self.headers:
            raise _Rejected(_error(400, "an HTTP/1.1 request needs a Host header"))
        refused = foreign_host(self.headers.get("Host"), own)
        if refused is None:
            refused = foreign_origin(
                self.command,
                self.headers.get("Origin"),
                self.headers.get("Sec-Fetch-Site"),
                own,
                self.server.allowed_origins,
                opens_stream=_stream_at(self.command, self.path, self.headers.get("Upgrade"))
                is not None,
            )
        if refused is not None:
            raise _Rejected(_error(403, refused))

    def _read_body(self) -> bytes:
        try:
            transfer_coding = self.headers.get_all("Transfer-Encoding", [])
            length = content_length(self.headers.get_all("Content-Length", []))
            if transfer_coding:
                if length is not None:  # which one ends the body? Refuse rather than guess
                    raise FramingError("both Transfer-Encoding and Content-Length were sent")
                if ",".join(transfer_coding).strip().lower() != "chunked":
                    raise FramingError(
                        f"unsupported Transfer-Encoding {', '.join(transfer_coding)!r} "
                        "(only chunked)"
                    )
                return self._read_chunked()
        except FramingError as error:
            raise _Rejected(_error(400, str(error))) from None
        if length is None:
            return b""
        if length > MAX_BODY_BYTES:
            raise _Rejected(_error(413, f"the body is over {MAX_BODY_BYTES} bytes"))
        return self._read_exactly(length)

    def _read_chunked(self) -> bytes:
        chunks: List[bytes] = []
        total = 0
        while True:
            size = chunk_size(self.rfile.readline(1024))
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _Rejected(_error(413, f"the body is over {MAX_BODY_BYTES} bytes"))
            chunks.append(self._read_exactly(size))
            if self.rfile.readline(1024).strip(b"\r\n"):
                raise FramingError("malformed chunked body: a chunk is longer than its size")

    def _read_exactly(self, length: int) -> bytes:
        data = self.rfile.read(length)
        if len(data) < length:  # the client stopped sending: nothing to answer
            raise ConnectionAbortedError("the body ended early")
        return data

    def _send(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status == 204 or answer.status == 304:
            body = b""
        else:
            body = answer.body
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        # http.server's own errors (bad request line, header too long...) in plain text too,
        # with a status line even when the request line was too broken to name a version.
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = self.protocol_version
        self._send(_error(code, message or reason_phrase(code)))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


# --- routing: by the operations table -------------------------------------------------------


@dataclass
class _Call:
    """One request as a handler sees it: path parameters decoded, body parsed."""

    state: State
    params: Dict[str, str]
    body: Any


def _unknown(model_id: str) -> _Answer:
    return _error(410, f"no model with id {model_id!r}")


def _model_or_refusal(model_id: str, result: Union[Model, str, None]) -> _Answer:
    if result is None:
        return _unknown(model_id)
    return _error(500, result) if isinstance(result, str) else _ok(result)


def _create(call: _Call) -> _Answer:
    if call.body is None:
        return _error(500, "POST /models/create needs a SeededModel body; none was sent")
    return _ok(call.state.create(call.body))


def _delete(call: _Call) -> _Answer:
    refused = call.state.delete(call.params["model"])
    return _Answer(204) if refused is None else _error(500, refused)


def _delete_cache(call: _Call) -> _Answer:
    result = call.state.delete_cache(call.params["model"])
    if isinstance(result, str):
        return _error(500, result)
    output = ModelDeleteCacheOutput(
        model=ReferencedModel(id=result.id, schema=result.var_schema),
        schema=call.body.var_schema if call.body is not None else None,
    )
    return _ok(output)


def _unload_all(call: _Call) -> _Answer:
    call.state.unload()
    return _Answer(204)


def _get_model(call: _Call) -> _Answer:
    found = call.state.model_json(call.params["model"])
    return _unknown(call.params["model"]) if found is None else _Answer(200, found)


def _update(call: _Call) -> _Answer:
    if call.body is None:
        return _error(500, "POST /model/update needs a Model body; none was sent")
    return _model_or_refusal(call.body.id, call.state.update(call.body))


def _increment(call: _Call) -> _Answer:
    model_id = call.params["model"]
    if call.state.increment_scores(model_id, call.body) == "unknown":
        return _unknown(model_id)
    return _Answer(204)


def _on_model(
    action: Callable[[State, str], Union[Model, str, None]],
) -> Callable[[_Call], _Answer]:
    def handle(call: _Call) -> _Answer:
        model_id = call.params["model"]
        return _model_or_refusal(model_id, action(call.state, model_id))

    return handle


#: What LocalPiecesOS does for each HTTP operation of the table, by method name.
_HANDLERS: Dict[str, Callable[[_Call], _Answer]] = {
    "models_snapshot": lambda call: _Answer(200, call.state.snapshot_json()),
    "models_create_new_model": _create,
    "models_delete_specific_model": _delete,
    "models_delete_specific_model_cache": _delete_cache,
    "unload_models": _unload_all,
    "models_specific_model_snapshot": _get_model,
    "model_specific_model_download": _on_model(State.download),
    "model_specific_model_download_cancel": _on_model(State.cancel_download),
    "model_specific_model_load": _on_model(State.load),
    "model_specific_model_unload": _on_model(State.unload_one),
    "model_update": _update,
    "model_scores_increment": _increment,
    # The well-known endpoints: GET and HEAD (the port scan's probe), plain text.
    "get_well_known_health": lambda call: _text(call.state.health),
    "get_well_known_version": lambda call: _text(call.state.version),
    "get_installation_path": lambda call: _text(call.state.installation_path),
}

#: What feeds each stream operation's subscribers: given the state, the path parameters and
#: the subscriber, start sending and return the undo.
_STREAMS: Dict[str, Callable[[State, Dict[str, str], Subscriber], Callable[[], None]]] = {
    "models_stream_identifiers": lambda state, params, sub: state.watch(sub.send),
    "model_specific_model_download_progress": lambda state, params, sub: state.follow_download(
        params["model"], sub
    ),
    "get_well_known_stream_health": lambda state, params, sub: state.follow_health(sub),
}


def _pattern(path: str) -> Pattern[str]:
    """``/models/{model}/delete`` -> a regex whose group ``model`` is one path segment."""
    parts = re.split(r"{(\w+)}", path)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


_ROUTES: List[Tuple[Pattern[str], Operation[Any]]] = [(_pattern(op.path), op) for op in OPERATIONS]
#: Every endpoint, as the 404 answer lists them.
_ENDPOINTS = tuple(
    f"{op.method} {op.path}{' (WebSocket)' if op.stream else ''}" for op in OPERATIONS
)


def _find(method: str, path: str) -> Tuple[Optional[Operation[Any]], Dict[str, str], List[str]]:
    """The operation at ``method path``, its path parameters, and the methods the path takes."""
    allowed: List[str] = []
    for pattern, op in _ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if method in (op.method, "HEAD" if op.method == "GET" else op.method):
            return op, {k: unquote(v) for k, v in match.groupdict().items()}, allowed
        allowed.append(op.method)
    return None, {}, allowed


def _stream_at(
    method: str, target: str, upgrade: Optional[str]
) -> Optional[Tuple[Operation[Any], Dict[str, str]]]:
    """The stream operation a WebSocket opening request is for (websockets checks the rest)."""
    if upgrade is None or "websocket" not in (t.strip().lower() for t in upgrade.split(",")):
        return None
    if method != "GET":
        return None
    op, params, _ = _find(method, target.split("?", 1)[0])
    return (op, params) if op is not None and op.stream else None


def _route(
    state: State, method: str, target: str, content_type: Optional[str], body: bytes
) -> _Answer:
    path = target.split("?", 1)[0]
    op, params, allowed = _find(method, path)
    if op is None and allowed:
        _allow(method, allowed[0])
    if op is None:
        return _error(
            404, f"no endpoint at {method} {path}; LocalPiecesOS has: {', '.join(_ENDPOINTS)}"
        )
    if op.stream:
        answer = _error(
            426,
            f"{op.method} {op.path} is a WebSocket: connect with a WebSocket client "
            "(ws:// or wss:// URL), not a plain HTTP request",
        )
        answer.headers["Upgrade"] = "websocket"
        return answer
    model_class = op.body_model
    parsed = None if model_class is None else _parse_body(model_class, content_type, body)
    return _HANDLERS[op.name](_Call(state, params, parsed))


def _allow(method: str, allowed: str) -> None:
    if method not in (allowed, "HEAD" if allowed == "GET" else allowed):
        answer = _error(405, f"use {allowed} here, not {method}")
        answer.headers["Allow"] = allowed
        raise _Rejected(answer)


def _parse_body(model_class: Type[_W], content_type: Optional[str], body: bytes) -> Optional[_W]:
    """The body as ``model_class``; ``None`` when there is none. Rejects bad ones with 4xx."""
    if not body.strip():
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != _JSON and not media_type.endswith("+json"):
        raise _Rejected(
            _error(415, f"send the body as application/json, not {content_type or 'untyped'}")
        )
    if too_deep(body):
        raise _Rejected(_error(400, f"the body nests deeper than {MAX_JSON_DEPTH} levels"))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _Rejected(_error(400, f"the body is not valid JSON: {error}")) from None
    if not isinstance(data, dict):
        raise _Rejected(
            _error(
                422,
                f"the body must be a JSON object ({model_class.__name__}), "
                f"not {type(data).__name__}",
            )
        )
    try:
        # Strict: a server takes "2024-05-01T12:00:00Z" for a timestamp, not the number 0.
        parsed = model_class.model_validate_json(body, strict=True)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        raise _Rejected(_invalid_body(model_class, problems)) from None
    # The SDK keeps enum values it does not know (a newer server may send them) and
    # parses an answer without a field the published SDK read as optional; a server knows
    # its own values and fields, so either in a request is an error.
    lax = list(_lax_parts(parsed, ""))
    if lax:
        raise _Rejected(_invalid_body(model_class, lax))
    return parsed


def _invalid_body(model_class: Type[WireModel], problems: List[str]) -> _Answer:
    return _error(422, f"the body is not a valid {model_class.__name__}: {'; '.join(problems)}")


def _lax_parts(value: Any, where: str) -> Iterator[str]:
    """What the SDK tolerates in an answer but a server refuses in a request: enum values
    it does not know, and fields the wire facts require that are absent."""
    if isinstance(value, WireEnum):
        if not value.is_known:
            yield f"{where}: unknown value {value.value!r}"
    elif isinstance(value, WireModel):
        fields = type(value).model_fields
        for name in sorted(type(value)._required_on_wire - value.model_fields_set):
            alias = fields[name].alias or name
            yield f"{where}.{alias}: Field required" if where else f"{alias}: Field required"
        for name, field_info in fields.items():
            alias = field_info.alias or name
            yield from _lax_parts(getattr(value, name), f"{where}.{alias}" if where else alias)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _lax_parts(item, f"{where}[{index}]")
