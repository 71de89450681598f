"""The models stream and watcher against a WebSocket server we did not write: what only one
side has (threads and tasks closing a stream, the watcher's snapshots and backoff, TLS, bad
options). What both sides share is written once in test_runtime_streams.py.

``WsPeer`` is built directly on the ``websockets`` library (handshake, framing and closing are
its own); it sends messages shaped as in OPERATIONS.md, refuses upgrades, greets with
malformed messages and drops streams mid-way on demand. Every test checks that no thread
(sync) or task (async) of the SDK outlives it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, TypeVar

import pytest
from _scripted_server import QuickRetries, free_port
from _ws_peer import WsPeer, model_json

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiTimeoutError,
    Configuration,
    ModelsApi,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.stream import ModelsChange

T = TypeVar("T")

#: Seconds a test waits for something that should happen at once (a loaded machine is slow).
PATIENCE = 10.0


@pytest.fixture
def peer() -> Iterator[WsPeer]:
    with WsPeer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        extra = [t for t in set(threading.enumerate()) - before if t.name != "ws-peer"]
        if not extra:
            return
        time.sleep(0.01)
    pytest.fail(f"threads left behind: {extra}")


def config(url: str, **settings: Any) -> Configuration:
    return Configuration(host=url, api_key={"application": "app-1"}, **settings)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


# --- the raw stream (sync) ------------------------------------------------------------------------
def test_close_from_another_thread_ends_iteration(peer: WsPeer) -> None:
    with ApiClient(config(peer.url)) as api_client:
        stream = ModelsApi(api_client).models_stream_identifiers()
        next(stream)
        closer = threading.Timer(0.1, stream.close)
        closer.start()
        assert list(stream) == []  # blocks until closed, then ends without error
        closer.join()


def test_a_server_that_never_answers_the_upgrade_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with (
            ApiClient(config(host, timeout=(0.2, 5))) as api_client,
            pytest.raises(ApiTimeoutError),
        ):
            ModelsApi(api_client).models_stream_identifiers()


def test_bad_options_are_refused_before_anything_is_sent(peer: WsPeer) -> None:
    with ApiClient(config(peer.url)) as api_client:
        api = ModelsApi(api_client)
        with pytest.raises(TypeError, match="unexpected keyword"):
            api.models_stream_identifiers(_timeout=3)  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="CR, LF"):
            api.models_watch(_headers={"X-Bad": "a\r\nb"})
    assert peer.upgrades == []


TLS = Path(__file__).resolve().parent / "tls"


@pytest.fixture
def tls_peer() -> Iterator[WsPeer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server-cert.pem", TLS / "server-key.pem")
    with WsPeer(tls=context) as running:
        yield running


def test_an_https_host_streams_over_wss_with_the_configured_tls(tls_peer: WsPeer) -> None:
    trusted = config(tls_peer.url, ca_cert_data=(TLS / "server-cert.pem").read_text())
    with ApiClient(trusted) as api_client, ModelsApi(api_client).models_stream_identifiers() as s:
        assert s.url.startswith("wss://127.0.0.1:")
        assert next(s).iterable[0].model.id == "m1"  # type: ignore[union-attr]

    async def main() -> str:
        async with (
            AsyncApiClient(trusted) as api_client,
            AsyncModelsApi(api_client).models_stream_identifiers() as stream,
        ):
            return (await stream.__anext__()).iterable[0].model.id  # type: ignore[union-attr]

    assert run(main) == "m1"
    with (
        ApiClient(config(tls_peer.url)) as api_client,
        pytest.raises(ApiConnectionError, match="TLS"),
    ):
        ModelsApi(api_client).models_stream_identifiers()


# --- the watcher (sync) ---------------------------------------------------------------------------
def test_watcher_reports_each_change_with_a_fresh_snapshot(peer: WsPeer) -> None:
    with ApiClient(config(peer.url)) as api_client, ModelsApi(api_client).models_watch() as watcher:
        initial = next(watcher)
        assert initial.initial and initial.added == ("m1",) and len(initial.models) == 1

        peer.add(model_json("m2"))
        change = next(watcher)
        assert (change.added, change.updated, change.removed) == (("m2",), (), ())
        assert [m.id for m in change.models] == ["m1", "m2"]

        peer.update("m1", name="Renamed")
        change = next(watcher)
        assert change.updated == ("m1",) and change.models.get_by_id("m1").name == "Renamed"

        peer.remove("m2")
        change = next(watcher)
        assert change.removed == ("m2",) and [m.id for m in change.models] == ["m1"]
        assert watcher.models is change.models


def test_watcher_coalesces_a_burst_into_one_change(peer: WsPeer) -> None:
    with ApiClient(config(peer.url)) as api_client, ModelsApi(api_client).models_watch() as watcher:
        next(watcher)
        snapshots = peer.snapshots
        for n in range(2, 12):
            peer.add(model_json(f"m{n}"))
        seen: List[str] = []
        while len(seen) < 10:
            seen.extend(next(watcher).added)
        assert seen == [f"m{n}" for n in range(2, 12)]
        # Far fewer snapshots than messages (a loaded machine may split the burst).
        assert peer.snapshots - snapshots < 10


def test_watcher_reconnects_after_a_drop_and_reports_what_changed_meanwhile(
    peer: WsPeer,
) -> None:
    with (
        ApiClient(config(peer.url, retries=QuickRetries.from_count(5))) as api_client,
        ModelsApi(api_client).models_watch() as watcher,
    ):
        next(watcher)
        peer.drop()
        wait_for(lambda: peer.subscribers() == 0)
        # Changed while (maybe) disconnected: no message about it need reach the watcher.
        with peer._lock:
            peer.models["m1"]["name"] = "Changed meanwhile"
            peer.models["m9"] = model_json("m9")
        change = next(watcher)
        assert change.added == ("m9",) and change.updated == ("m1",)
        assert len(peer.upgrades) == 2


def test_watcher_close_from_another_thread_stops_the_loop(peer: WsPeer) -> None:
    with ApiClient(config(peer.url)) as api_client:
        watcher = ModelsApi(api_client).models_watch()
        changes: List[ModelsChange] = []
        loop = threading.Thread(target=lambda: changes.extend(watcher))
        loop.start()
        wait_for(lambda: len(changes) == 1)
        watcher.close()
        loop.join(PATIENCE)
        assert not loop.is_alive()
        assert [c.initial for c in changes] == [True]


def test_watcher_close_during_backoff_returns_at_once() -> None:
    slow = QuickRetries.from_count(3)
    slow.backoff_factor = 60.0  # would wait a minute before reconnecting
    with ApiClient(config(f"http://127.0.0.1:{free_port()}", retries=slow)) as api_client:
        watcher = ModelsApi(api_client).models_watch()
        result: List[Any] = []
        loop = threading.Thread(target=lambda: result.append(next(watcher, None)))
        loop.start()
        time.sleep(0.2)
        started = time.monotonic()
        watcher.close()
        loop.join(PATIENCE)
        assert not loop.is_alive() and result == [None]
        assert time.monotonic() - started < PATIENCE


# --- async ----------------------------------------------------------------------------------------
def run(coroutine_function: Callable[[], Any]) -> Any:
    """Run in a fresh loop; fail if any task but the main one is left."""

    async def checked() -> Any:
        result = await coroutine_function()
        await asyncio.sleep(0)
        others = asyncio.all_tasks() - {asyncio.current_task()}
        assert not others, f"tasks left behind: {others}"
        return result

    return asyncio.run(checked())


def test_async_close_from_another_task_ends_iteration(peer: WsPeer) -> None:
    async def main() -> None:
        async with AsyncApiClient(config(peer.url)) as api_client:
            api = AsyncModelsApi(api_client)
            stream = await api.models_stream_identifiers()
            await stream.__anext__()

            async def close_soon() -> None:
                await asyncio.sleep(0.05)
                await stream.close()

            closing = asyncio.ensure_future(close_soon())
            assert [item async for item in stream] == []
            await closing

    run(main)


def test_async_watcher_stops_on_cancellation(peer: WsPeer) -> None:
    async def main() -> None:
        async with AsyncApiClient(config(peer.url)) as api_client:
            watcher = AsyncModelsApi(api_client).models_watch()
            changes: List[ModelsChange] = []

            async def follow() -> None:
                async for change in watcher:
                    changes.append(change)

            task = asyncio.ensure_future(follow())
            while not changes:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert [item async for item in watcher] == []  # closed by the cancellation

    run(main)


# --- packaging ------------------------------------------------------------------------------------
def test_importing_the_stream_without_websockets_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['websockets'] = None\n"
        "from pieces_os_client import ApiClient, Configuration, ModelsApi\n"
        "import pieces_os_client\n"
        "api = ModelsApi(ApiClient(Configuration(host='http://127.0.0.1:9')))\n"
        "try:\n"
        "    api.models_stream_identifiers()\n"
        "except ImportError as error:\n"
        "    print(error)\n"
        "from pieces_os_client._version import install_command\n"
        "print(install_command('stream'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    # The command that fits the copy the child imported, asked of that copy.
    error, command = out.splitlines()
    assert error.endswith(f"install the stream extra: {command}")
