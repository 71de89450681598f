"""``download()`` against a peer we did not write: Pieces OS's Model API on ``aiohttp.web``.

The peer serves ``GET /model/{id}``, ``POST /model/{id}/download`` (``/cancel``, ``/load``)
and the progress WebSocket, with messages shaped as OPERATIONS.md describes them (every
property optional, ``percentage`` nullable, a ``schema``, statuses a newer Pieces OS may
add). Each download follows a plan: complete, fail, stall, drop the sockets mid-way, finish
without a single message, or crawl (for Ctrl-C). The WebSocket handshake, framing and close
handling are aiohttp's.
"""

from __future__ import annotations

import asyncio
import copy
import json
import sys
import threading
import time
from typing import Any, Dict, List, Optional

import pytest
from _scripted_server import MODEL_JSON
from aiohttp import web
from test_downloads import check_events, interrupted_with_ctrl_c
from urllib3.util.retry import Retry

from pieces_os_client import (
    ApiClient,
    Configuration,
    DownloadEvent,
    ModelApi,
    ModelDownloadCanceled,
    ModelDownloadFailed,
    ModelDownloadProgressStatusEnum,
    ModelDownloadStalled,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi

Status = ModelDownloadProgressStatusEnum
MODEL = "0f3c1a52-6a7e-4bb8-9d5e-8a51c2f0a001"
#: Seconds between two messages of a plan.
TICK = 0.01


class Peer:
    """The server, in a thread of its own with its own event loop; a context manager."""

    def __init__(self) -> None:
        self.model: Dict[str, Any] = dict(
            copy.deepcopy(MODEL_JSON), downloaded=False, downloading=False, loaded=False
        )
        #: How the next download goes: "complete", "fail", "stall", "drop", "silent",
        #: "crawl", "odd" (statuses and fields of a newer Pieces OS).
        self.plan = "complete"
        #: Every request, "METHOD /path" after /model/{id} ("GET /" for the model itself).
        self.log: List[str] = []
        #: How many times the snapshot (``GET /models``, where names are looked up) was read.
        self.snapshots = 0
        self._sockets: List[web.WebSocketResponse] = []
        self._requests: List[web.BaseRequest] = []
        self._task: Optional[asyncio.Task[None]] = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._serve, name="download-peer", daemon=True)
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

    def start(self) -> None:
        """Start a download in the peer, as another client would."""
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)

    # --- the server --------------------------------------------------------------------------
    def _serve(self) -> None:
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_get("/models", self._snapshot)
        app.router.add_get("/model/{model}", self._get)
        app.router.add_post("/model/{model}/download", self._download)
        app.router.add_post("/model/{model}/download/cancel", self._cancel)
        app.router.add_post("/model/{model}/load", self._load)
        app.router.add_get("/model/{model}/download/progress", self._progress)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await self._stop.wait()
        if self._task is not None:
            self._task.cancel()
        for ws in list(self._sockets):
            await ws.close()
        await runner.cleanup()

    def _known(self, request: web.Request) -> None:
        suffix = request.path[len(f"/model/{request.match_info['model']}") :]
        self.log.append(f"{request.method} {suffix or '/'}")
        if request.match_info["model"] != MODEL:
            raise web.HTTPGone(text=f"no model with id {request.match_info['model']!r}")

    async def _get(self, request: web.Request) -> web.Response:
        self._known(request)
        return web.json_response(self.model)

    async def _snapshot(self, request: web.Request) -> web.Response:
        self.snapshots += 1
        return web.json_response({"iterable": [self.model]})

    async def _download(self, request: web.Request) -> web.Response:
        self._known(request)
        if not (self.model["downloaded"] or self.model["downloading"]):
            await self._start()
        return web.json_response(self.model)

    async def _start(self) -> None:
        self.model["downloading"] = True
        self._task = asyncio.ensure_future(self._run(self.plan))

    async def _cancel(self, request: web.Request) -> web.Response:
        self._known(request)
        if self._task is not None and not self._task.done():
            self._task.cancel()
            self.model["downloading"] = False
            await self._send({"status": "CANCELED", "percentage": None})
        return web.json_response(self.model)

    async def _load(self, request: web.Request) -> web.Response:
        self._known(request)
        if not self.model["downloaded"]:
            return web.Response(status=500, text="not downloaded; download it first")
        self.model["loaded"] = True
        return web.json_response(self.model)

    async def _progress(self, request: web.Request) -> web.StreamResponse:
        self._known(request)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self._requests.append(request)
        try:
            async for _ in ws:  # reads (and answers) the client's close
                pass
        finally:
            self._sockets.remove(ws)
            self._requests.remove(request)
        return ws

    async def _send(self, message: Dict[str, Any]) -> None:
        text = json.dumps(message)
        for ws in list(self._sockets):
            if not ws.closed:
                await ws.send_str(text)

    async def _run(self, plan: str) -> None:
        """One download, as its plan says."""
        if plan == "silent":  # complete before any message could be sent
            self._finished()
            return
        await self._send(
            {
                "status": "INITIALIZED",
                "percentage": 0,
                "schema": {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"},
            }
        )
        steps = 500 if plan == "crawl" else 10
        for step in range(1, steps):
            await asyncio.sleep(0.05 if plan == "crawl" else TICK)
            percentage = step * 100.0 / steps
            if plan == "fail" and percentage >= 50:
                self.model["downloading"] = False
                await self._send({"status": "FAILED", "percentage": percentage})
                return
            if plan == "stall" and percentage > 20:
                await asyncio.sleep(3600)
            if plan == "drop" and step == 4:
                for request in list(self._requests):
                    assert request.transport is not None
                    request.transport.abort()  # no close frame: the stream is cut
                continue
            if plan == "odd" and step == 3:
                await self._send({"status": "VERIFYING", "percentage": percentage, "eta": 9})
                await self._send({"percentage": None})
                continue
            await self._send({"status": "IN-PROGRESS", "percentage": percentage})
        self._finished()
        await self._send({"status": "COMPLETED", "percentage": 100})

    def _finished(self) -> None:
        self.model.update(downloading=False, downloaded=True)


@pytest.fixture
def peer() -> Any:
    with Peer() as server:
        yield server


def client(peer: Peer) -> ApiClient:
    return ApiClient(Configuration(host=peer.url, retries=Retry(total=3, backoff_factor=0.01)))


def download(peer: Peer, **options: Any) -> List[DownloadEvent]:
    events: List[DownloadEvent] = []
    with client(peer) as api_client:
        model = ModelApi(api_client).download(MODEL, on_progress=events.append, **options)
    assert model.downloaded is True
    return events


def test_a_download_completes_with_the_stream_opened_first(peer: Peer) -> None:
    events = download(peer, load=True)
    assert peer.log == [
        "GET /download/progress",
        "GET /",
        "POST /download",
        "GET /",
        "POST /load",
    ]
    check_events(events, MODEL)
    assert [e.percentage for e in events] == [0.0, *(p * 10.0 for p in range(1, 10)), 100.0]
    assert peer.model["loaded"] is True


def test_messages_of_a_newer_pieces_os_are_reported_not_fatal(peer: Peer) -> None:
    peer.plan = "odd"
    events = download(peer)
    check_events(events, MODEL)
    odd = [e for e in events if not e.status.is_known or e.status == Status.UNKNOWN]
    assert [(e.status.value, e.percentage) for e in odd] == [("VERIFYING", 30.0), ("UNKNOWN", 30.0)]


def test_a_running_download_is_followed(peer: Peer) -> None:
    peer.start()
    time.sleep(0.02)
    download(peer)
    assert "POST /download" not in peer.log


def test_an_already_downloaded_model(peer: Peer) -> None:
    peer.model["downloaded"] = True
    events = download(peer)
    assert peer.log == ["GET /download/progress", "GET /"]
    assert [(e.status, e.progress) for e in events] == [(Status.COMPLETED, None)]


def test_a_failure(peer: Peer) -> None:
    peer.plan = "fail"
    with client(peer) as api_client, pytest.raises(ModelDownloadFailed) as caught:
        ModelApi(api_client).download(MODEL)
    assert caught.value.progress is not None and caught.value.progress.percentage == 50.0
    assert "POST /download/cancel" not in peer.log


def test_a_stall(peer: Peer) -> None:
    peer.plan = "stall"
    with client(peer) as api_client, pytest.raises(ModelDownloadStalled):
        ModelApi(api_client).download(MODEL, stall_timeout=0.3)
    assert peer.log[-1] == "POST /download/cancel"
    assert peer.model["downloading"] is False


def test_cut_sockets_are_reopened(peer: Peer) -> None:
    peer.plan = "drop"
    events = download(peer)
    assert peer.log.count("GET /download/progress") == 2
    check_events(events, MODEL)


def test_a_download_that_sends_no_message_at_all(peer: Peer) -> None:
    peer.plan = "silent"
    # (found at the first check of the flags, on a fake clock:
    # test_machine_flags_complete_without_any_message)
    events = download(peer, stall_timeout=0.3)
    assert [(e.status, e.progress) for e in events] == [(Status.COMPLETED, None)]


def test_canceled_by_another_client(peer: Peer) -> None:
    peer.plan = "crawl"

    def on_progress(event: DownloadEvent) -> None:
        if event.percentage > 0 and "POST /download/cancel" not in peer.log:
            with client(peer) as other:
                ModelApi(other).model_specific_model_download_cancel(MODEL)

    with client(peer) as api_client, pytest.raises(ModelDownloadCanceled):
        ModelApi(api_client).download(MODEL, on_progress=on_progress)
    assert peer.log.count("POST /download/cancel") == 1


def test_an_unknown_model(peer: Peer) -> None:
    from pieces_os_client import ModelNotFoundError

    with client(peer) as api_client, pytest.raises(ModelNotFoundError, match="no-such-model"):
        ModelApi(api_client).download("no-such-model")
    assert (peer.snapshots, peer.log) == (1, [])  # looked up in the snapshot; nothing else sent


def test_async_against_the_peer(peer: Peer) -> None:
    peer.plan = "drop"

    async def main() -> bool:
        configuration = Configuration(host=peer.url, retries=Retry(total=3, backoff_factor=0.01))
        async with AsyncApiClient(configuration) as api_client:
            model = await AsyncModelApi(api_client).download(MODEL, load=True)
            return bool(model.loaded)

    assert asyncio.run(main()) is True
    assert peer.log.count("GET /download/progress") == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_in_a_subprocess_cancels(peer: Peer) -> None:
    def crawl() -> None:
        peer.plan = "crawl"

    interrupted_with_ctrl_c(peer.url, MODEL, crawl)
    assert peer.log[-1] == "POST /download/cancel"
    assert peer.model["downloading"] is False
