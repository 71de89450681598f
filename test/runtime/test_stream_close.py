"""Leaving a stream is bounded by ``Configuration.stream_close_timeout``, sync and async.

``SilentPeer`` is a WebSocket server written on a raw socket: it completes the upgrade, greets
with one message, then reads and ignores everything, so it never answers the closing
handshake and never closes the connection. Closing a stream, leaving its ``with`` and closing
a watcher from another thread (or task) must still return once the setting's seconds are up.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import threading
import time
from typing import Any, Iterator, List, Optional

import pytest
from _scripted_server import MODEL_JSON

from pieces_os_client import ApiClient, Configuration, ModelApi, ModelsApi
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi, AsyncModelsApi
from pieces_os_client.stream import ModelsChange

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The setting the quick tests use, and the bounds they hold a close to.
QUICK = 0.2
#: Low: the close really waited; high: under the 2 s default (the setting ended the wait, not
#: the default), ten times the setting, for a loaded machine. The close's deadline is the
#: websocket library's (no clock to inject), so these stay on the real clock.
QUICK_BOUNDS = (QUICK * 0.75, 2.0)


def _text_frame(text: str) -> bytes:
    payload = text.encode()
    assert len(payload) < 126
    return bytes([0x81, len(payload)]) + payload


class SilentPeer:
    """Upgrades, greets, then never answers a close frame nor closes; ``GET /models`` is
    answered (the watcher fetches it)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        #: How many upgrades were accepted.
        self.upgrades = 0
        self._connections: List[socket.socket] = []
        self._threads: List[threading.Thread] = []
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, name="silent-peer")
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # the listener was closed
                return
            thread = threading.Thread(target=self._serve, args=(connection,), name="silent-peer")
            with self._lock:
                self._connections.append(connection)
                self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
            }
            if headers.get("upgrade", "").lower() != "websocket":
                body = json.dumps({"iterable": [MODEL_JSON]}).encode()
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                return
            key = headers["sec-websocket-key"]
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            connection.sendall(
                f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode()
                + _text_frame(json.dumps({"iterable": [{"model": {"id": MODEL_JSON["id"]}}]}))
            )
            with self._lock:
                self.upgrades += 1
            path = lines[0].split(" ")[1]
            if path.endswith("/download/progress"):
                self._chatter(connection)
            while connection.recv(4096):  # the close frame too: read, never answered
                pass

    def _chatter(self, connection: socket.socket) -> None:
        """A message every 10 ms, whatever the client sends, until the connection is cut."""
        connection.settimeout(0.01)
        percentage = 0
        while True:
            try:
                if not connection.recv(4096):
                    return
            except socket.timeout:
                percentage = (percentage + 1) % 100
                progress = {"status": "IN-PROGRESS", "percentage": percentage}
                connection.sendall(_text_frame(json.dumps(progress)))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() (close alone does not)
        self._listener.close()
        self._accepting.join(5)
        with self._lock:
            connections, threads = list(self._connections), list(self._threads)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in threads:
            thread.join(5)


@pytest.fixture(scope="module")
def peer() -> Iterator[SilentPeer]:
    running = SilentPeer()
    try:
        yield running
    finally:
        running.stop()


def _config(peer: SilentPeer, close_timeout: Optional[float] = QUICK) -> Configuration:
    configuration = Configuration(host=peer.url, retries=0)
    if close_timeout is not None:
        configuration.stream_close_timeout = close_timeout
    return configuration


def _assert_bounded(elapsed: float, bounds: Any = QUICK_BOUNDS) -> None:
    low, high = bounds
    # Low: the close really waited for an answer that never came; high: not much longer.
    assert low <= elapsed < high, f"leaving the stream took {elapsed:.2f} s, not {bounds}"


# --- sync -------------------------------------------------------------------------------------
def test_close_returns_after_the_setting(peer: SilentPeer) -> None:
    with ApiClient(_config(peer)) as client:
        stream = ModelsApi(client).models_stream_identifiers()
        next(stream)
        started = time.monotonic()
        stream.close()
        _assert_bounded(time.monotonic() - started)
        assert stream.closed


def test_leaving_with_returns_after_the_setting(peer: SilentPeer) -> None:
    with ApiClient(_config(peer)) as client:
        with ModelsApi(client).models_stream_identifiers() as stream:
            next(stream)
            started = time.monotonic()
        _assert_bounded(time.monotonic() - started)


def test_a_watcher_closed_from_another_thread_returns_after_the_setting(
    peer: SilentPeer,
) -> None:
    changes: List[ModelsChange] = []
    with ApiClient(_config(peer)) as client:
        watcher = ModelsApi(client).models_watch()
        first = threading.Event()

        def follow() -> None:
            for change in watcher:
                changes.append(change)
                first.set()

        follower = threading.Thread(target=follow)
        follower.start()
        assert first.wait(10), "no first change"
        started = time.monotonic()
        watcher.close()
        _assert_bounded(time.monotonic() - started)
        follower.join(5)
        assert not follower.is_alive()
    assert changes[0].initial


# --- async ------------------------------------------------------------------------------------
def test_async_close_and_leaving_async_with_return_after_the_setting(peer: SilentPeer) -> None:
    async def main() -> List[float]:
        took = []
        async with AsyncApiClient(_config(peer)) as client:
            api = AsyncModelsApi(client)
            stream = await api.models_stream_identifiers()
            await stream.__anext__()
            started = time.monotonic()
            await stream.close()
            took.append(time.monotonic() - started)
            assert stream.closed
            async with api.models_stream_identifiers() as stream:
                await stream.__anext__()
                started = time.monotonic()
            took.append(time.monotonic() - started)
        return took

    for elapsed in asyncio.run(main()):
        _assert_bounded(elapsed)


def test_an_async_watcher_closed_from_another_task_returns_after_the_setting(
    peer: SilentPeer,
) -> None:
    async def main() -> float:
        async with AsyncApiClient(_config(peer)) as client:
            watcher = AsyncModelsApi(client).models_watch()
            first = asyncio.Event()

            async def follow() -> None:
                async for _ in watcher:
                    first.set()

            follower = asyncio.ensure_future(follow())
            await asyncio.wait_for(first.wait(), 10)
            started = time.monotonic()
            await watcher.close()
            took = time.monotonic() - started
            await asyncio.wait_for(follower, 5)
            return took

    # No low bound: the task that was receiving ends the connection as soon as it sees the close.
    _assert_bounded(asyncio.run(main()), (0.0, QUICK_BOUNDS[1]))


# --- a server that keeps talking but never answers the close ------------------------------------
def test_a_chatty_stream_is_left_after_the_setting_too(peer: SilentPeer) -> None:
    """The Model API's download progress: messages keep coming, the closing answer never."""
    with ApiClient(_config(peer)) as client:
        with ModelApi(client).model_specific_model_download_progress("m1") as progress:
            next(progress)
            started = time.monotonic()
        _assert_bounded(time.monotonic() - started)

    async def main() -> float:
        async with AsyncApiClient(_config(peer)) as client:
            api = AsyncModelApi(client)
            async with api.model_specific_model_download_progress("m1") as progress:
                await progress.__anext__()
                started = time.monotonic()
            return time.monotonic() - started

    _assert_bounded(asyncio.run(main()))


# --- the default ------------------------------------------------------------------------------
@pytest.mark.slow
def test_by_default_leaving_a_stream_takes_at_most_two_seconds(peer: SilentPeer) -> None:
    """Sync and async at once, so the 2 s are spent once (run in one nox session only)."""
    assert Configuration().stream_close_timeout == 2.0
    took: List[float] = []

    def sync_side() -> None:
        with ApiClient(_config(peer, None)) as client:
            with ModelsApi(client).models_stream_identifiers() as stream:
                next(stream)
                started = time.monotonic()
            took.append(time.monotonic() - started)

    async def async_side() -> float:
        async with AsyncApiClient(_config(peer, None)) as client:
            async with AsyncModelsApi(client).models_stream_identifiers() as stream:
                await stream.__anext__()
                started = time.monotonic()
            return time.monotonic() - started

    thread = threading.Thread(target=sync_side)
    thread.start()
    took.append(asyncio.run(async_side()))
    thread.join(10)
    assert len(took) == 2
    for elapsed in took:
        _assert_bounded(elapsed, (1.5, 9.0))  # under the libraries' own 10 s
