"""The HTTP/1.1 side of ``LocalPiecesOS``: the server and its request handler (stdlib only).

One thread per connection, HTTP/1.1 keep-alive, and every answer framed by
``Content-Length`` (204 has no body and no length, as HTTP requires). Each answer leaves in
one write, so Nagle's algorithm never delays it. Bodies are read strictly (framing, size,
deadline) before the state is touched, so a refused request changes nothing; what each
request does is :mod:`._routing` and :mod:`._handlers`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterable, List, Optional, Tuple

from pieces_os_client._core.operations import Operation, by_name
from pieces_os_client._version import __version__
from pieces_os_client.testing._guard import (
    DeadlineReader,
    FramingError,
    chunk_size,
    content_length,
    foreign_host,
    foreign_origin,
)
from pieces_os_client.testing._handlers import STREAMS
from pieces_os_client.testing._reply import (
    TEXT,
    HttpReply,
    Rejected,
    error_reply,
    reason_phrase,
)
from pieces_os_client.testing._routing import route, stream_at
from pieces_os_client.testing._state import RecordedRequest, State
from pieces_os_client.testing._stream import (
    MAX_INCOMING_MESSAGE,
    MISSING_LIBRARY,
    StreamHub,
    Subscriber,
    load_websockets,
)

__all__ = ["HEALTH_PATH", "TEXT", "HTTPServer", "HTTPServer6", "reason_phrase"]

#: the SDK's ``pieces_os_client`` logger, so configuring one never pulls in the other.
LOGGER_NAME = "LocalPiecesOS"
logger = logging.getLogger(LOGGER_NAME)
#: What the websockets library logs about the stream's connections.
stream_logger = logging.getLogger(f"{LOGGER_NAME}.stream")


#: The largest request body accepted; bigger ones get 413 (a SeededModel is a few KB).
MAX_BODY_BYTES = 1 << 20
#: Seconds an idle keep-alive connection is kept open.
IDLE_CONNECTION_TIMEOUT = 60.0
#: Seconds ``stop()`` waits for each connection thread to finish.
STOP_JOIN_TIMEOUT = 5.0
#: The health check path Pieces OS answers (the quickstart uses it to find a real one).
HEALTH_PATH = by_name("get_well_known_health").path


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
        except Rejected as rejected:
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
            answer = HttpReply(outcome.status, outcome.body or b"", outcome.content_type)
            if outcome.retry_after is not None:
                answer.headers["Retry-After"] = outcome.retry_after
            self._send(answer)
            return

        stream = stream_at(self.command, self.path, self.headers.get("Upgrade"))
        if stream is not None:
            self._serve_stream(*stream)
            return
        try:
            answer = route(state, self.command, self.path, self.headers.get("Content-Type"), body)
        except Rejected as rejected:
            answer = rejected.answer
        except Exception as error:  # a bug here must still produce an answer, not a hang
            logger.exception("error handling %s %s", self.command, self.path)
            answer = error_reply(
                500, f"LocalPiecesOS internal error: {type(error).__name__}: {error}"
            )
        self._send(answer)

    def _serve_stream(self, op: Operation[Any], params: Dict[str, str]) -> None:
        """Upgrade to ``op``'s WebSocket stream and serve it on this thread until it ends."""
        self.close_connection = True  # after the stream, this connection is done
        library = load_websockets()
        if library is None:
            self._send(error_reply(500, MISSING_LIBRARY))
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
            answer = error_reply(response.status_code, reason[0] if reason else "not a WebSocket")
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
        state, feed = self.server.state, STREAMS[op.name]

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
            raise Rejected(error_reply(400, "an HTTP/1.1 request needs a Host header"))
        refused = foreign_host(self.headers.get("Host"), own)
        if refused is None:
            refused = foreign_origin(
                self.command,
                self.headers.get("Origin"),
                self.headers.get("Sec-Fetch-Site"),
                own,
                self.server.allowed_origins,
                opens_stream=stream_at(self.command, self.path, self.headers.get("Upgrade"))
                is not None,
            )
        if refused is not None:
            raise Rejected(error_reply(403, refused))

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
            raise Rejected(error_reply(400, str(error))) from None
        if length is None:
            return b""
        if length > MAX_BODY_BYTES:
            raise Rejected(error_reply(413, f"the body is over {MAX_BODY_BYTES} bytes"))
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
                raise Rejected(error_reply(413, f"the body is over {MAX_BODY_BYTES} bytes"))
            chunks.append(self._read_exactly(size))
            if self.rfile.readline(1024).strip(b"\r\n"):
                raise FramingError("malformed chunked body: a chunk is longer than its size")

    def _read_exactly(self, length: int) -> bytes:
        data = self.rfile.read(length)
        if len(data) < length:  # the client stopped sending: nothing to answer
            raise ConnectionAbortedError("the body ended early")
        return data

    def _send(self, answer: HttpReply) -> None:
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
        self._send(error_reply(code, message or reason_phrase(code)))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


# --- routing: by the operations table -------------------------------------------------------
