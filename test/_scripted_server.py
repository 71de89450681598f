"""``ScriptedServer``: a tiny HTTP/1.1 server on 127.0.0.1 whose answers each test scripts.

``LocalPiecesOS`` behaves like Pieces OS; this one misbehaves on demand at the byte level:
answers slowly, declares a ``Content-Length`` and sends fewer bytes, hangs up before answering.
It records every request (with its raw request line) and counts accepted TCP connections, so
tests can assert what really reached the socket. The module also holds the small helpers the
transport tests share: ``free_port()`` and ``QuickRetries``.

Example::

    with ScriptedServer() as server:
        server.script(Reply(503, headers={"Retry-After": "1"}), Reply(200, body={"iterable": []}))
        ...  # call server.url, then look at server.requests / server.accepted
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from pieces_os_client.rest import RetryPolicy

#: A model as Pieces OS sends it; enough fields for ``Model`` to parse.
MODEL_JSON: Dict[str, Any] = {
    "id": "0f3c1a52-6a7e-4bb8-9d5e-8a51c2f0a001",
    "name": "Phi-3 Mini",
    "version": "3.0",
    "cloud": False,
    "type": "SPEED",
    "usage": "CODE_CONVERSATION",
    "created": {"value": "2024-05-01T12:00:00Z"},
}


@dataclass
class Reply:
    """One scripted answer.

    ``body`` may be bytes, text, or a JSON-able value (sent as JSON). ``delay`` waits before
    sending anything; ``declared_length`` announces a ``Content-Length`` other than the real
    one; ``drop`` closes the connection without answering; ``close`` closes it after answering;
    ``stall`` waits that long after sending (before closing), for a body that stops coming;
    ``raw`` is sent as-is instead of a well-formed answer; ``trickle`` sends the body (all of
    ``raw`` when given) one byte at a time, that many seconds apart.
    """

    status: int = 200
    body: Any = b""
    headers: Dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    declared_length: Optional[int] = None
    drop: bool = False
    close: bool = False
    stall: float = 0.0
    raw: Optional[bytes] = None
    trickle: float = 0.0

    def encode(self) -> Tuple[bytes, bytes]:
        body = self.body
        headers = dict(self.headers)
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        length = len(body) if self.declared_length is None else self.declared_length
        if self.status not in (204, 304):
            headers.setdefault("Content-Length", str(length))
        if self.close:
            headers["Connection"] = "close"
        head = f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Unknown')}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        return head.encode("latin-1"), body


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class SeenRequest:
    """What the server received: the raw request line, headers, body, and when."""

    request_line: str
    method: str
    target: str
    headers: Dict[str, str]
    body: bytes
    connection: int
    at: float

    def header(self, name: str) -> Optional[str]:
        """A header by case-insensitive name, or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def json(self) -> Any:
        return json.loads(self.body)


def pieces_like(request: SeenRequest) -> Reply:
    """A well-formed answer for each Models API route; 404 for anything else."""
    method, path = request.method, request.target
    if method == "GET" and path == "/models":
        return Reply(200, {"iterable": [MODEL_JSON]})
    if method == "POST" and path == "/models/create":
        seed = json.loads(request.body) if request.body else {}
        return Reply(200, {**MODEL_JSON, **seed, "id": "created-1", "custom": True})
    if method == "POST" and path == "/models/unload":
        return Reply(204)
    if method == "POST" and path.startswith("/models/") and path.endswith("/delete/cache"):
        model_id = path[len("/models/") : -len("/delete/cache")]
        return Reply(200, {"model": {"id": model_id}})
    if method == "POST" and path.startswith("/models/") and path.endswith("/delete"):
        return Reply(204)
    return Reply(404, {"error": f"no route {method} {path}"})


Handler = Callable[[SeenRequest], Reply]


class ScriptedServer:
    """A threaded HTTP/1.1 (keep-alive) server on 127.0.0.1 answering from a script.

    Scripted replies (:meth:`script`) are used first, in order; after that ``handler``
    answers (by default :func:`pieces_like`).
    """

    def __init__(self, handler: Handler = pieces_like) -> None:
        self.handler = handler
        self.requests: List[SeenRequest] = []
        self.accepted = 0
        self.open_connections = 0
        self._script: Deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self._sockets: List[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    # --- scripting --------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self._script.extend(replies)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
        """Poll ``predicate`` until true or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    # --- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(timeout=2)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _quietly(sock.shutdown, socket.SHUT_RDWR)
            _quietly(sock.close)
        for thread in list(self._threads):
            thread.join(timeout=2)

    # --- serving ----------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.accepted += 1
                self.open_connections += 1
                number = self.accepted
                self._sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        sock.settimeout(10)
        reader = sock.makefile("rb")
        try:
            while not self._stop.is_set():
                request = _read_request(reader, number)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                    reply = self._script.popleft() if self._script else None
                if reply is None:
                    reply = self.handler(request)
                if reply.delay and self._stop.wait(reply.delay):
                    return
                if reply.drop:
                    return
                head, body = (b"", reply.raw) if reply.raw is not None else reply.encode()
                if reply.trickle:
                    sock.sendall(head)
                    for index in range(len(body)):
                        if self._stop.wait(reply.trickle):
                            return
                        sock.sendall(body[index : index + 1])
                else:
                    sock.sendall(head + body)
                if reply.stall and self._stop.wait(reply.stall):
                    return
                if reply.raw is not None or reply.close or reply.declared_length is not None:
                    return
        except OSError:
            return
        finally:
            _quietly(reader.close)
            _quietly(sock.close)
            with self._lock:
                self.open_connections -= 1


def _read_request(reader: Any, number: int) -> Optional[SeenRequest]:
    line = reader.readline(65537)
    if not line:
        return None
    request_line = line.decode("latin-1").rstrip("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers: Dict[str, str] = {}
    while True:
        raw = reader.readline(65537)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    length = next((int(v) for k, v in headers.items() if k.lower() == "content-length"), 0)
    body = reader.read(length) if length else b""
    return SeenRequest(request_line, method, target, headers, body, number, time.monotonic())


def _quietly(action: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(OSError):
        action(*args)


class QuickRetries(RetryPolicy):
    """The SDK's retry rules with a short backoff, for tests whose subject is not the backoff.

    A ``RetryPolicy`` subclass, as users pass one through ``Configuration(retries=...)``.
    """

    BACKOFF_FACTOR = 0.01
    BACKOFF_JITTER = 0.0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


__all__ = [
    "MODEL_JSON",
    "QuickRetries",
    "Reply",
    "ScriptedServer",
    "SeenRequest",
    "free_port",
    "pieces_like",
]
