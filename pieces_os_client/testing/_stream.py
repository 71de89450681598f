"""``GET /models/stream/identifiers``: the WebSocket side of ``LocalPiecesOS``.

The handshake and the framing are the ``websockets`` library's sans-I/O ``ServerProtocol``;
this module only moves bytes between it and the connection's socket. A subscriber is served
by the thread of its own connection, which waits on two sockets at once: the peer's (pings,
close frames) and a wake-up pair the state pokes when it queued a message. Queuing never
blocks, so a slow subscriber delays nobody but itself.

``websockets`` is imported on the first upgrade request only: the HTTP side needs nothing
beyond the standard library.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, NamedTuple, Optional, Set, Tuple

if TYPE_CHECKING:
    from websockets.server import ServerProtocol

__all__ = [
    "MISSING_LIBRARY",
    "STREAM_PATH",
    "StreamHub",
    "Subscriber",
    "load_websockets",
]

#: Where Pieces OS serves the Models stream.
STREAM_PATH = "/models/stream/identifiers"
#: Messages queued for one subscriber before it is cut off as too slow to follow.
MAX_QUEUED_MESSAGES = 10_000
#: Seconds a subscriber gets to answer our close frame before its connection is cut.
CLOSE_TIMEOUT = 2.0
#: The largest message a subscriber may send (it has nothing to say; pings are tiny).
MAX_INCOMING_MESSAGE = 64 * 1024
#: The close code sent to every subscriber when the server stops (1001, "going away").
GOING_AWAY = 1001

MISSING_LIBRARY = (
    "LocalPiecesOS needs the websockets package to serve GET /models/stream/identifiers; "
    "install the SDK's 'stream' extra (or: pip install websockets)"
)

_RECV_BYTES = 1 << 16


class _Library(NamedTuple):
    """The ``websockets`` names the stream uses (imported on the first upgrade only)."""

    Headers: Any
    Request: Any
    ServerProtocol: Any
    OPEN: Any


def load_websockets() -> Optional[_Library]:
    """The ``websockets`` names the stream uses, or ``None`` when it is not installed."""
    try:
        from websockets.datastructures import Headers
        from websockets.http11 import Request
        from websockets.protocol import OPEN
        from websockets.server import ServerProtocol
    except ImportError:
        return None
    return _Library(Headers, Request, ServerProtocol, OPEN)


class Subscriber:
    """One open stream: a queue of messages, and the loop that sends them.

    :meth:`send`, :meth:`close` and :meth:`cut` may be called from any thread; :meth:`run`
    is the connection thread's, and is the only code that touches the protocol object.
    """

    def __init__(self, sock: socket.socket, protocol: ServerProtocol) -> None:
        self._sock = sock
        self._protocol = protocol
        self._lock = threading.Lock()
        self._outbox: Deque[bytes] = deque()
        self._close_with: Optional[Tuple[int, str]] = None
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_writer.setblocking(False)
        self._wake_reader.setblocking(False)
        self._finished = False
        self._closing_deadline: Optional[float] = None

    # --- any thread ----------------------------------------------------------------------------
    def send(self, message: bytes) -> None:
        """Queue one text message (never blocks; a subscriber too far behind is cut off)."""
        with self._lock:
            if len(self._outbox) >= MAX_QUEUED_MESSAGES:
                overflow = True
            else:
                overflow = False
                self._outbox.append(message)
        if overflow:
            self.cut()
        else:
            self._wake()

    def close(self, code: int, reason: str = "") -> None:
        """Close the stream cleanly: a close frame with ``code``, then the connection."""
        with self._lock:
            if self._close_with is None:
                self._close_with = (code, reason)
        self._wake()

    def cut(self) -> None:
        """Drop the connection without a close frame (what a crash or a lost network does)."""
        # Unblocks the connection thread even in the middle of a send; it then sees EOF.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _wake(self) -> None:
        # A full wake-up buffer means the thread is already due to wake; a closed one that
        # the stream has ended.
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    # --- the connection thread -----------------------------------------------------------------
    def run(self) -> None:
        """Serve the stream until either side closes it (or :meth:`cut` drops it)."""
        selector = selectors.DefaultSelector()
        try:
            selector.register(self._sock, selectors.EVENT_READ, "peer")
            selector.register(self._wake_reader, selectors.EVENT_READ, "wake")
            while not self._finished:
                timeout = None
                if self._closing_deadline is not None:
                    timeout = self._closing_deadline - time.monotonic()
                    if timeout <= 0:
                        break  # the peer never answered our close frame
                for key, _ in selector.select(timeout):
                    if key.data == "wake":
                        self._on_wake()
                    elif not self._finished:
                        self._on_readable()
        except OSError:
            pass  # the peer went away, or cut() shut the socket: nothing more to send
        finally:
            selector.close()
            self._wake_reader.close()
            self._wake_writer.close()

    def _on_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_reader.recv(_RECV_BYTES):
                pass
        with self._lock:
            messages = list(self._outbox)
            self._outbox.clear()
            close_with, self._close_with = self._close_with, None
        protocol = self._protocol
        for message in messages:
            if self._closing_deadline is None and not self._finished:
                protocol.send_text(message)
        if close_with is not None and self._closing_deadline is None and not self._finished:
            protocol.send_close(*close_with)
            self._closing_deadline = time.monotonic() + CLOSE_TIMEOUT
        self._flush()

    def _on_readable(self) -> None:
        data = self._sock.recv(_RECV_BYTES)
        if data:
            self._protocol.receive_data(data)
        else:
            self._protocol.receive_eof()
            self._finished = True
        # What a subscriber sends (pings, text) needs no answer of ours: the protocol
        # answers pings and close frames itself.
        self._protocol.events_received()
        self._flush()

    def _flush(self) -> None:
        for data in self._protocol.data_to_send():
            if data:
                self._sock.sendall(data)
            else:  # the protocol is done: the server closes the TCP connection first
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_WR)
                self._finished = True


class StreamHub:
    """Every open stream of one server, so they can be counted, dropped or closed."""

    def __init__(self) -> None:
        self._subscribers: Set[Subscriber] = set()
        self._changed = threading.Condition()
        self._closing: Optional[Tuple[int, str]] = None

    def add(self, subscriber: Subscriber) -> None:
        with self._changed:
            self._subscribers.add(subscriber)
            closing = self._closing
        if closing is not None:  # the server stopped while this one was connecting
            subscriber.close(*closing)

    def remove(self, subscriber: Subscriber) -> None:
        with self._changed:
            self._subscribers.discard(subscriber)
            self._changed.notify_all()

    def serve(
        self,
        subscriber: Subscriber,
        feed: Callable[[], Callable[[], None]],
        opened: Callable[[], None],
    ) -> None:
        """Run ``subscriber`` until its stream ends; ``feed()`` starts what sends it messages
        (``State.watch``, ``State.follow_download``; they queue until ``run``) and returns the
        undo; ``opened()`` then sends the handshake's answer."""
        self.add(subscriber)
        try:
            unwatch = feed()
            try:
                opened()
                subscriber.run()
            finally:
                unwatch()
        finally:
            self.remove(subscriber)

    def count(self) -> int:
        with self._changed:
            return len(self._subscribers)

    def _all(self) -> Set[Subscriber]:
        with self._changed:
            return set(self._subscribers)

    def drop(self, code: Optional[int] = None, reason: str = "") -> int:
        """Close (``code``) or cut (``None``) every open stream; how many there were."""
        subscribers = self._all()
        for subscriber in subscribers:
            if code is None:
                subscriber.cut()
            else:
                subscriber.close(code, reason)
        return len(subscribers)

    def close_all(self, reason: str, timeout: float) -> None:
        """Close every stream with 1001 (going away); wait up to ``timeout`` for them to end."""
        with self._changed:
            self._closing = (GOING_AWAY, reason)
        self.drop(GOING_AWAY, reason)
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._subscribers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
