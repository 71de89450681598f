"""``WsPeer``: a Pieces-OS-like models stream built directly on the ``websockets`` library.

Not our code on the server side: the handshake, framing and close handling are websockets'
own. It serves ``GET /models/stream/identifiers`` (messages shaped as in OPERATIONS.md: on
connect every model id, then one message per change) and ``GET /models`` (the snapshot the
watcher fetches), and misbehaves on demand: refuses the upgrade with a plain HTTP status,
greets with a malformed message, drops every stream without a closing handshake.

Example::

    with WsPeer() as peer:
        peer.add(model_json("m2"))        # subscribers get {"iterable": [{"model": {"id": "m2"}}]}
        peer.drop()                       # every stream is cut off mid-way
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import ssl
import threading
from typing import Any, Dict, List, Optional, Tuple

from _scripted_server import MODEL_JSON
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

STREAM_PATH = "/models/stream/identifiers"
#: Where a refusal with a 3xx status points (served as a working stream).
MOVED_PATH = "/moved" + STREAM_PATH


def model_json(model_id: str, **changes: Any) -> Dict[str, Any]:
    """A valid wire ``Model`` with this id."""
    return dict(copy.deepcopy(MODEL_JSON), id=model_id, **changes)


def message(*ids: str, deleted: bool = False) -> str:
    """A ``StreamedIdentifiers`` message about these model ids."""
    items = [dict({"model": {"id": i}}, **({"deleted": True} if deleted else {})) for i in ids]
    return json.dumps({"iterable": items})


class WsPeer:
    """The server; a context manager that starts it on 127.0.0.1 and shuts it down."""

    def __init__(self, tls: Optional[ssl.SSLContext] = None) -> None:
        self.models: Dict[str, Dict[str, Any]] = {"m1": model_json("m1")}
        #: (status, body, headers) to answer upgrade requests with instead of upgrading.
        self.refuse: Optional[Tuple[int, bytes, Dict[str, str]]] = None
        #: Text sent on connect instead of the list of every id.
        self.greeting: Optional[str] = None
        #: Headers of every upgrade request received.
        self.upgrades: List[Headers] = []
        #: How many ``GET /models`` were answered.
        self.snapshots = 0
        self._connections: List[ServerConnection] = []
        self._tls = tls
        self._lock = threading.Lock()
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,
            ssl=tls,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="ws-peer")

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> WsPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.drop()
        self._server.shutdown()
        self._thread.join(10)

    # --- what a test does -----------------------------------------------------------------------
    def add(self, model: Dict[str, Any]) -> None:
        with self._lock:
            self.models[model["id"]] = model
        self.broadcast(message(model["id"]))

    def update(self, model_id: str, **changes: Any) -> None:
        with self._lock:
            self.models[model_id].update(changes)
        self.broadcast(message(model_id))

    def remove(self, model_id: str) -> None:
        with self._lock:
            del self.models[model_id]
        self.broadcast(message(model_id, deleted=True))

    def broadcast(self, text: str) -> None:
        for connection in self._open():
            with contextlib.suppress(ConnectionClosed):
                connection.send(text)

    def drop(self) -> None:
        """Cut every stream off: no closing handshake, the TCP connection just ends."""
        for connection in self._open():
            with contextlib.suppress(OSError):
                connection.socket.shutdown(socket.SHUT_RDWR)

    def subscribers(self) -> int:
        return len(self._open())

    # --- the server side ------------------------------------------------------------------------
    def _open(self) -> List[ServerConnection]:
        with self._lock:
            return list(self._connections)

    def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Optional[Response]:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            if request.path == "/models":
                with self._lock:
                    self.snapshots += 1
                    body = json.dumps({"iterable": list(self.models.values())}).encode()
                return Response(
                    200,
                    "OK",
                    Headers({"Content-Type": "application/json", "Connection": "close"}),
                    body,
                )
            return connection.respond(404, "no such endpoint\n")
        self.upgrades.append(request.headers)
        if self.refuse is not None and request.path == STREAM_PATH:
            status, body, headers = self.refuse
            answer = Headers({"Connection": "close", **headers})
            answer["Content-Length"] = str(len(body))
            if 300 <= status <= 399:  # a working stream, for a client that follows
                answer["Location"] = MOVED_PATH
            return Response(status, "Refused", answer, body)
        if request.path not in (STREAM_PATH, MOVED_PATH):
            return connection.respond(404, "no such stream\n")
        return None

    def _handle(self, connection: ServerConnection) -> None:
        try:
            with self._lock:  # greeted before any change reaches it: nothing in between is lost
                connection.send(self.greeting or message(*self.models))
                self._connections.append(connection)
            for _ in connection:  # a subscriber sends nothing; wait for the end
                pass
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
