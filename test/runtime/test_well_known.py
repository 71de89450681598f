"""``WellKnownApi`` and ``AsyncWellKnownApi``: every operation in every variant, end to end.

Against ``LocalPiecesOS`` (which plays the well-known endpoints of today's Pieces OS) and
against a peer we did not write: a small ``aiohttp.web`` app answering the three text
endpoints, the health WebSocket and a 500 in plain text, as Pieces' document describes them.
No pytest-asyncio: each async test drives its coroutine with ``asyncio.run`` (bounded).
"""

from __future__ import annotations

import asyncio
import http.client
import threading
from typing import Any, Coroutine, Dict, List, Optional, TypeVar

import pytest
from aiohttp import web

from pieces_os_client import (
    ApiClient,
    ApiResponse,
    Configuration,
    ServiceException,
    WellKnownApi,
)
from pieces_os_client.aio import AsyncApiClient, AsyncWellKnownApi
from pieces_os_client.api.well_known_api import WellKnownApi as WellKnownApiFromItsModule
from pieces_os_client.stream import Stream
from pieces_os_client.testing import LocalPiecesOS

T = TypeVar("T")

HEALTH = "/.well-known/health"
VERSION = "/.well-known/version"
INSTALLATION_PATH = "/.well-known/installation/path"
STREAM = "/.well-known/stream/health"


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_the_class_imports_from_where_5_0_1_has_it() -> None:
    assert WellKnownApiFromItsModule is WellKnownApi
    assert WellKnownApi.__module__ == "pieces_os_client.api.well_known_api"
    assert AsyncWellKnownApi.__module__ == "pieces_os_client.aio.well_known_api"


# --- LocalPiecesOS, sync -------------------------------------------------------------------------
def test_the_three_text_answers_in_every_variant(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        api = WellKnownApi(api_client)
        assert api.get_well_known_health() == "ok"
        assert api.get_well_known_version() == server.version == "12.0.0"
        assert api.get_installation_path() == server.installation_path

        info = api.get_well_known_version_with_http_info()
        assert isinstance(info, ApiResponse)
        assert (info.status_code, info.data, info.raw_data) == (200, "12.0.0", b"12.0.0")
        assert info.headers is not None
        assert info.headers["Content-Type"].startswith("text/plain")
        assert api.get_well_known_health_with_http_info().data == "ok"
        path_info = api.get_installation_path_with_http_info()
        assert path_info.data == server.installation_path

        for method, expected in (
            (api.get_well_known_health_without_preload_content, b"ok"),
            (api.get_well_known_version_without_preload_content, b"12.0.0"),
            (
                api.get_installation_path_without_preload_content,
                server.installation_path.encode(),
            ),
        ):
            raw = method()
            try:
                assert (raw.status, raw.read()) == (200, expected)
            finally:
                raw.release_conn()


def test_version_and_installation_path_are_what_the_test_sets() -> None:
    own = LocalPiecesOS(version="11.2.0", installation_path="/opt/pieces-os")
    with own, own.client() as api_client:
        api = WellKnownApi(api_client)
        assert (api.get_well_known_version(), api.get_installation_path()) == (
            "11.2.0",
            "/opt/pieces-os",
        )
        own.version = "12.1.0-beta.2"
        own.installation_path = "C:\\Program Files\\Pieces OS"
        assert api.get_well_known_version() == "12.1.0-beta.2"
        assert api.get_installation_path() == "C:\\Program Files\\Pieces OS"


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("version", 11, TypeError),
        ("version", "", ValueError),
        ("version", "11.2.0\n", ValueError),
        ("installation_path", 42, TypeError),
        ("installation_path", "  ", ValueError),
    ],
)
def test_a_version_or_path_that_is_not_one_line_of_text_is_refused(
    name: str, value: Any, error: type
) -> None:
    with pytest.raises(error, match=name):
        LocalPiecesOS(**{name: value})
    server = LocalPiecesOS()
    with pytest.raises(error, match=name):
        setattr(server, name, value)


def test_set_health_refuses_what_is_not_one_line_of_text(server: LocalPiecesOS) -> None:
    with pytest.raises(ValueError, match="status"):
        server.set_health("ok\nnot ok")
    with pytest.raises(TypeError, match="status"):
        server.set_health(b"ok")  # type: ignore[arg-type]
    assert server.health == "ok"


def test_head_of_the_health_check_is_200_without_a_body(server: LocalPiecesOS) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("HEAD", HEALTH)
        answer = connection.getresponse()
        assert (answer.status, answer.read()) == (200, b"")
        assert answer.getheader("Content-Type", "").startswith("text/plain")
        connection.request("GET", HEALTH)  # the same connection goes on: nothing was left
        assert connection.getresponse().read() == b"ok"
    finally:
        connection.close()


def test_the_health_check_answers_what_set_health_says(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        server.set_health("ok: indexing")
        assert WellKnownApi(api_client).get_well_known_health() == "ok: indexing"
        server.reset()
        assert WellKnownApi(api_client).get_well_known_health() == "ok"


def test_text_is_asked_for_and_no_application_id_is_sent(server: LocalPiecesOS) -> None:
    configuration = server.configuration(api_key={"application": "my-app-id"})
    with ApiClient(configuration) as api_client:
        api = WellKnownApi(api_client)
        api.get_well_known_health()
        # An explicit _request_auth is still sent, as 5.0.1 sends it.
        api.get_well_known_version(
            _request_auth={"in": "header", "key": "X-Application-ID", "value": "given"}
        )
        with api.get_well_known_stream_health() as health:
            next(health)
    health_check, version, stream = [
        r for r in server.requests if r.path in (HEALTH, VERSION, STREAM)
    ]
    for request in (health_check, version, stream):
        assert request.header("Accept") == "text/plain"
    assert health_check.header("X-Application-ID") is None
    assert stream.header("X-Application-ID") is None
    assert version.header("X-Application-ID") == "given"


def test_the_health_stream_in_every_variant(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        api = WellKnownApi(api_client)
        with api.get_well_known_stream_health() as health:
            assert isinstance(health, Stream)
            assert next(health) == "ok"  # the status, at once
            assert server.set_health("ok") == 1  # a beat, on demand
            assert next(health) == "ok"
            server.set_health("ok: busy")
            assert next(health) == "ok: busy"
        assert health.closed

        info = api.get_well_known_stream_health_with_http_info()
        with info.data as stream:
            assert info.status_code == 101
            assert info.headers is not None and "Sec-WebSocket-Accept" in info.headers
            assert next(stream) == "ok: busy"  # a new follower gets the current status

        with api.get_well_known_stream_health_without_preload_content() as raw:
            assert next(raw) == "ok: busy"


def test_the_health_stream_ends_cleanly_when_the_server_stops() -> None:
    own = LocalPiecesOS().start()
    try:
        with own.client() as api_client:
            health = WellKnownApi(api_client).get_well_known_stream_health()
            assert next(health) == "ok"
            own.set_health("ok: stopping")
            own.stop()
            # Everything sent before the stop, then the end: no error.
            assert list(health) == ["ok: stopping"]
            assert health.closed
    finally:
        own.stop()


def test_a_plain_get_of_the_stream_is_told_to_use_a_websocket(server: LocalPiecesOS) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", STREAM)
        answer = connection.getresponse()
        assert answer.status == 426
        assert b"WebSocket" in answer.read()
    finally:
        connection.close()


# --- LocalPiecesOS, async ------------------------------------------------------------------------
def test_async_every_variant_against_local_pieces_os() -> None:
    async def main(own: LocalPiecesOS) -> None:
        async with AsyncApiClient(own.configuration()) as api_client:
            api = AsyncWellKnownApi(api_client)
            assert await api.get_well_known_health() == "ok"
            assert await api.get_well_known_version() == "10.1.4"
            assert await api.get_installation_path() == own.installation_path
            info = await api.get_installation_path_with_http_info()
            assert (info.status_code, info.data) == (200, own.installation_path)
            for method, expected in (
                (api.get_well_known_health_with_http_info, "ok"),
                (api.get_well_known_version_with_http_info, "10.1.4"),
            ):
                assert (await method()).data == expected
            for raw_method, raw_expected in (
                (api.get_well_known_health_without_preload_content, b"ok"),
                (api.get_well_known_version_without_preload_content, b"10.1.4"),
                (
                    api.get_installation_path_without_preload_content,
                    own.installation_path.encode(),
                ),
            ):
                response = await raw_method()
                try:
                    assert (response.status, await response.read()) == (200, raw_expected)
                finally:
                    response.release()

            async with api.get_well_known_stream_health() as health:
                assert await health.__anext__() == "ok"
                own.set_health("ok: async")
                assert await health.__anext__() == "ok: async"
            opened = await api.get_well_known_stream_health_with_http_info()
            try:
                assert opened.status_code == 101
                assert await opened.data.__anext__() == "ok: async"
            finally:
                await opened.data.close()
            async with api.get_well_known_stream_health_without_preload_content() as raw:
                assert await raw.__anext__() == "ok: async"

            # The stream ends cleanly when the server stops (stop() waits for our close
            # answer, so it runs beside the loop).
            stream = await api.get_well_known_stream_health()
            assert await stream.__anext__() == "ok: async"
            await asyncio.get_running_loop().run_in_executor(None, own.stop)
            assert [message async for message in stream] == []

    with LocalPiecesOS(version="10.1.4") as own:
        run(main(own))


# --- a peer we did not write -------------------------------------------------------------------
class Peer:
    """Pieces OS's well-known endpoints on ``aiohttp.web``, in a thread with its own loop."""

    def __init__(self) -> None:
        #: What ``/.well-known/version`` answers (bytes: a test may send what is not UTF-8).
        self.version: bytes = b"11.2.0"
        #: When set, version and the stream's upgrade answer 500 with this text.
        self.failing: Optional[str] = None
        #: The headers of each request, by path.
        self.seen: Dict[str, List[Dict[str, str]]] = {}
        self._sockets: List[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._serve, name="well-known-peer", daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Peer:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._stopping)
        self._thread.join(10)

    def _stopping(self) -> None:
        assert self._stop is not None
        self._stop.set()

    def say(self, message: Any) -> None:
        """Send ``message`` (str: a text frame, bytes: a binary one) on every open stream."""
        asyncio.run_coroutine_threadsafe(self._say(message), self._loop).result(5)

    def end_streams(self) -> None:
        """Close every open stream with 1000 (normal closure)."""
        asyncio.run_coroutine_threadsafe(self._end_streams(), self._loop).result(5)

    async def _say(self, message: Any) -> None:
        for ws in self._sockets:
            await (ws.send_str(message) if isinstance(message, str) else ws.send_bytes(message))

    async def _end_streams(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    def _serve(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get(HEALTH, self._health)  # HEAD too: aiohttp's add_get allows it
        app.router.add_get(VERSION, self._version)
        app.router.add_get(INSTALLATION_PATH, self._path)
        app.router.add_get(STREAM, self._stream)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await self._stop.wait()
        await self._end_streams()
        await runner.cleanup()

    def _record(self, request: web.Request) -> None:
        self.seen.setdefault(request.path, []).append(dict(request.headers))

    async def _health(self, request: web.Request) -> web.Response:
        self._record(request)
        return web.Response(text="OK")  # any case reads as running

    async def _version(self, request: web.Request) -> web.Response:
        self._record(request)
        if self.failing is not None:
            return web.Response(status=500, text=self.failing)
        return web.Response(body=self.version, content_type="text/plain")

    async def _path(self, request: web.Request) -> web.Response:
        self._record(request)
        return web.Response(text="/Applications/Pieces OS.app")

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.failing is not None:
            return web.Response(status=500, text=self.failing)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_str("OK")
            async for _ in ws:  # the client says nothing; wait for the close
                pass
        finally:
            self._sockets.remove(ws)
        return ws


@pytest.fixture
def peer() -> Any:
    with Peer() as started:
        yield started


def test_sync_against_a_peer(peer: Peer) -> None:
    with ApiClient(Configuration(host=peer.url, api_key={"application": "id"})) as api_client:
        api = WellKnownApi(api_client)
        assert api.get_well_known_health() == "OK"
        assert api.get_well_known_version() == "11.2.0"
        assert api.get_installation_path() == "/Applications/Pieces OS.app"
        assert api.get_well_known_version_with_http_info().raw_data == b"11.2.0"
        raw = api.get_installation_path_without_preload_content()
        try:
            assert raw.read() == b"/Applications/Pieces OS.app"
        finally:
            raw.release_conn()

        # Text that is not UTF-8 is still a str (bad bytes replaced), as 5.0.1 returns one.
        peer.version = b"11.2.0 \xff"
        assert api.get_well_known_version() == "11.2.0 \ufffd"

        with api.get_well_known_stream_health() as health:
            assert next(health) == "OK"
            peer.say("ok")
            peer.say(b"ok \xff")  # a binary message is decoded as text too
            assert [next(health), next(health)] == ["ok", "ok \ufffd"]
            peer.end_streams()
            assert list(health) == []  # a clean close ends the iteration
        with api.get_well_known_stream_health_with_http_info().data as stream:
            assert next(stream) == "OK"
        with api.get_well_known_stream_health_without_preload_content() as raw_stream:
            assert next(raw_stream) == "OK"

    for path in (HEALTH, VERSION, INSTALLATION_PATH, STREAM):
        for headers in peer.seen[path]:
            assert headers["Accept"] == "text/plain", path
            assert "X-Application-ID" not in headers, path


def test_sync_a_500_in_text_is_a_service_exception_with_the_text(peer: Peer) -> None:
    peer.failing = "Pieces OS is still starting"
    with ApiClient(Configuration(host=peer.url, retries=0)) as api_client:
        api = WellKnownApi(api_client)
        with pytest.raises(ServiceException) as version_error:
            api.get_well_known_version()
        assert version_error.value.status == 500
        assert version_error.value.data == version_error.value.body == peer.failing
        with pytest.raises(ServiceException) as stream_error:
            api.get_well_known_stream_health()
        assert stream_error.value.status == 500
        assert stream_error.value.body == peer.failing
        raw = api.get_well_known_version_without_preload_content()  # raises nothing
        try:
            assert (raw.status, raw.read()) == (500, peer.failing.encode())
        finally:
            raw.release_conn()


def test_async_against_a_peer(peer: Peer) -> None:
    async def main() -> None:
        configuration = Configuration(host=peer.url, retries=0)
        async with AsyncApiClient(configuration) as api_client:
            api = AsyncWellKnownApi(api_client)
            assert await api.get_well_known_health() == "OK"
            assert await api.get_well_known_version() == "11.2.0"
            assert await api.get_installation_path() == "/Applications/Pieces OS.app"
            assert (await api.get_well_known_health_with_http_info()).raw_data == b"OK"
            response = await api.get_well_known_version_without_preload_content()
            try:
                assert await response.read() == b"11.2.0"
            finally:
                response.release()

            async with api.get_well_known_stream_health() as health:
                assert await health.__anext__() == "OK"
                await asyncio.get_running_loop().run_in_executor(None, peer.say, b"ok \xff")
                assert await health.__anext__() == "ok \ufffd"
                await asyncio.get_running_loop().run_in_executor(None, peer.end_streams)
                assert [message async for message in health] == []
            async with api.get_well_known_stream_health_without_preload_content() as raw:
                assert await raw.__anext__() == "OK"

            peer.failing = "Pieces OS is still starting"
            with pytest.raises(ServiceException) as error:
                await api.get_well_known_version()
            assert error.value.data == "Pieces OS is still starting"
            with pytest.raises(ServiceException) as stream_error:
                await api.get_well_known_stream_health_with_http_info()
            assert stream_error.value.status == 500
            assert stream_error.value.body == "Pieces OS is still starting"

    run(main())
    for path in (HEALTH, VERSION, STREAM):
        assert all(headers["Accept"] == "text/plain" for headers in peer.seen[path]), path


def test_head_of_the_health_check_at_the_peer_is_what_a_port_scan_sees(peer: Peer) -> None:
    # The same probe against both: LocalPiecesOS must answer it as the peer does.
    with LocalPiecesOS() as own:
        for port in (peer.port, own.port):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("HEAD", HEALTH)
                answer = connection.getresponse()
                assert (answer.status, answer.read()) == (200, b"")
            finally:
                connection.close()
