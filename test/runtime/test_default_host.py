"""The default host finds Pieces OS where it runs today (39300-39333), end to end.

Pieces OS runs as a separate process (``pieces-os-models serve``) or as an in-process
LocalPiecesOS where a test counts the health checks it receives. Both listen on this test
run's own loopback address (``PIECES_OS_DISCOVERY_HOST``, set by conftest.py), where no other
test's server is, on real ports of the range; nothing listens at ``localhost:1000``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from typing import Any, Iterator, List, Optional

import pytest
from _children import sigint_at_default

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiTypeError,
    ApiValueError,
    Configuration,
    ModelApi,
    ModelsApi,
    discovery,
)
from pieces_os_client._core.locator import LOCATOR
from pieces_os_client.discovery import DiscoveryError, discover, discover_async
from pieces_os_client.testing import LocalPiecesOS

ADDRESS = discovery.DEFAULT_DISCOVERY_HOST
HEALTH = "/.well-known/health"
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def default_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No host from the environment, and no answer remembered from another test."""
    for name in ("PIECES_OS_URL", "PIECES_OS_DISCOVER"):
        monkeypatch.delenv(name, raising=False)
    LOCATOR._forget()
    yield
    LOCATOR._forget()


@contextlib.contextmanager
def holding(*ports: int) -> Iterator[None]:
    """Take ``ports`` on the run's address with a listener that never answers: a server cannot
    take them, and a search passes them over (no answer within its probe's timeout)."""
    sockets = []
    try:
        for port in ports:
            held = socket.socket()
            # An earlier test's connections may linger there (TIME_WAIT): take the port anyway.
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            held.bind((ADDRESS, port))
            held.listen(8)
            sockets.append(held)
        yield
    finally:
        for held in sockets:
            held.close()


@contextlib.contextmanager
def pieces_os_process(port: Optional[int] = None) -> Iterator[str]:
    """``pieces-os-models serve`` in a process of its own on the run's address; its URL."""
    command = [sys.executable, "-m", "pieces_os_client", "serve", "--host", ADDRESS]
    if port is not None:
        command += ["--port", str(port)]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        preexec_fn=sigint_at_default,
    )
    try:
        assert child.stdout is not None
        seen: List[str] = []
        for line in child.stdout:
            seen.append(line)
            found = re.search(r"Models API on (http://[^\s;,]+)", line)
            if found:
                yield found.group(1)
                break
        else:
            raise AssertionError("serve ended before listening:\n" + "".join(seen))
    finally:
        child.terminate()
        child.wait(30)
        if child.stdout is not None:
            child.stdout.close()


def health_checks(server: LocalPiecesOS) -> int:
    return sum(1 for request in server.requests if request.path == HEALTH)


def snapshot_size(configuration: Optional[Configuration] = None) -> int:
    with ApiClient(configuration or Configuration(retries=0)) as api_client:
        return len(ModelsApi(api_client).models_snapshot().iterable)


# --- 1. the default finds Pieces OS, for every kind of call -------------------------------------


def test_a_call_with_the_default_host_finds_pieces_os_on_39301_and_stays_there(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with holding(39300), pieces_os_process() as url:
        assert url == f"http://{ADDRESS}:39301"
        configuration = Configuration(retries=0)
        assert configuration.host == "http://localhost:1000"
        with caplog.at_level(logging.INFO, logger="pieces_os_client"):
            with ApiClient(configuration) as api_client:
                api = ModelsApi(api_client)
                assert len(api.models_snapshot().iterable) == 20
                assert configuration.host == url  # where calls go now
                api.unload_models()  # the next call goes straight there
            # The published docs' example names the old default: it is searched the same way.
            assert snapshot_size(Configuration(host="http://localhost:1000")) == 20
        found = [r.getMessage() for r in caplog.records if "Pieces OS found at" in r.getMessage()]
        assert found == [
            f"Pieces OS found at {url} (nothing answered at http://localhost:1000); calls with "
            f"the default host go there now. To skip this search, pass "
            f"Configuration(host='{url}')"
        ]


def _sync_stream(configuration: Configuration) -> Any:
    with (
        ApiClient(configuration) as api_client,
        ModelsApi(api_client).models_stream_identifiers() as stream,
    ):
        return len(next(stream).iterable)


def _sync_watch(configuration: Configuration) -> Any:
    with ApiClient(configuration) as api_client, ModelsApi(api_client).models_watch() as watcher:
        return len(next(watcher).added)


def _sync_download(configuration: Configuration) -> Any:
    with ApiClient(configuration) as api_client:
        models = ModelsApi(api_client)
        local = models.models_snapshot().find(cloud=False)[0]
        models.models_delete_specific_model_cache(local.id)
        return ModelApi(api_client).download(local.id).downloaded


def _sync_model_api(configuration: Configuration) -> Any:
    with ApiClient(configuration) as api_client:
        first = ModelsApi(api_client).models_snapshot().iterable[0]
        return ModelApi(api_client).models_specific_model_snapshot(first.id).id == first.id


async def _async_call(configuration: Configuration) -> Any:
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

    async with AsyncApiClient(configuration) as api_client:
        return len((await AsyncModelsApi(api_client).models_snapshot()).iterable)


async def _async_stream(configuration: Configuration) -> Any:
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

    async with (
        AsyncApiClient(configuration) as api_client,
        AsyncModelsApi(api_client).models_stream_identifiers() as stream,
    ):
        return len((await stream.__anext__()).iterable)


async def _async_watch(configuration: Configuration) -> Any:
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

    async with (
        AsyncApiClient(configuration) as api_client,
        AsyncModelsApi(api_client).models_watch() as watcher,
    ):
        return len((await watcher.__anext__()).added)


async def _async_download(configuration: Configuration) -> Any:
    from pieces_os_client.aio import AsyncApiClient, AsyncModelApi, AsyncModelsApi

    async with AsyncApiClient(configuration) as api_client:
        models = AsyncModelsApi(api_client)
        local = (await models.models_snapshot()).find(cloud=False)[0]
        await models.models_delete_specific_model_cache(local.id)
        return (await AsyncModelApi(api_client).download(local.id)).downloaded


USES = {
    "sync call": _sync_model_api,
    "sync stream": _sync_stream,
    "sync watch": _sync_watch,
    "sync download": _sync_download,
    "async call": _async_call,
    "async stream": _async_stream,
    "async watch": _async_watch,
    "async download": _async_download,
}
EXPECTED = {"call": (20, True), "stream": (20,), "watch": (20,), "download": (True,)}


@pytest.fixture(scope="class")
def served_elsewhere() -> Iterator[str]:
    """One Pieces OS process for the class's tests, on 39302."""
    with pieces_os_process(39302) as url:
        yield url


class TestEveryKindOfCall:
    @pytest.mark.parametrize("use", list(USES), ids=list(USES))
    def test_with_the_default_host_finds_pieces_os(self, use: str, served_elsewhere: str) -> None:
        configuration = Configuration(retries=0)
        run = USES[use]
        result = asyncio.run(run(configuration)) if use.startswith("async") else run(configuration)
        assert result in EXPECTED[use.split()[1]]
        assert configuration.host == served_elsewhere == f"http://{ADDRESS}:39302"
        assert LOCATOR.found == served_elsewhere


# --- one search for everyone who needs it at once; a new one after fork -------------------------


def test_threads_that_need_the_search_at_once_share_one() -> None:
    with LocalPiecesOS(host=ADDRESS) as server:
        barrier = threading.Barrier(8)
        sizes: List[int] = []

        def call() -> None:
            barrier.wait()
            sizes.append(snapshot_size())

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sizes == [20] * 8
        assert health_checks(server) == 1  # one search, every port probed once


def test_tasks_that_need_the_search_at_once_share_one() -> None:
    with LocalPiecesOS(host=ADDRESS) as server:

        async def main() -> List[Any]:
            configuration = Configuration(retries=0)
            return list(await asyncio.gather(*(_async_call(configuration) for _ in range(6))))

        assert asyncio.run(main()) == [20] * 6
        assert health_checks(server) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")
def test_a_forked_child_searches_again() -> None:
    with LocalPiecesOS(host=ADDRESS) as server:
        assert snapshot_size() == 20 and health_checks(server) == 1
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            try:
                searched_fresh = LOCATOR.found is None
                size = snapshot_size()
                os.write(write_end, f"{searched_fresh} {size}".encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            answer = pipe.read()
        os.waitpid(child, 0)
        assert answer == "True 20"
        assert health_checks(server) == 2  # the child's own search


# --- 2. an explicit host is never second-guessed ------------------------------------------------


def plain_refusal(configuration: Configuration) -> ApiConnectionError:
    with pytest.raises(ApiConnectionError) as caught:
        snapshot_size(configuration)
    assert not isinstance(caught.value, DiscoveryError)
    assert "could not connect" in str(caught.value)
    return caught.value


def test_an_explicit_host_an_assignment_or_the_environment_is_used_as_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with LocalPiecesOS(host=ADDRESS) as server:
        plain_refusal(Configuration(host="http://localhost:1001", retries=0))
        assigned = Configuration(retries=0)
        assigned.host = "http://localhost:1000"
        plain_refusal(assigned)
        assert assigned.host == "http://localhost:1000"
        monkeypatch.setenv("PIECES_OS_URL", "http://localhost:1000")
        plain_refusal(Configuration(retries=0))
        monkeypatch.delenv("PIECES_OS_URL")
        plain_refusal(Configuration(retries=0, discover_host=False))
        monkeypatch.setenv("PIECES_OS_DISCOVER", "off")
        plain_refusal(Configuration(retries=0))
        assert Configuration(discover_host=True).discover_host is True  # the setting wins
        assert health_checks(server) == 0 and LOCATOR.found is None


def test_an_opt_out_that_is_not_a_boolean_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIECES_OS_DISCOVER", "maybe")
    with pytest.raises(ApiValueError, match=r"PIECES_OS_DISCOVER='maybe' is not a boolean"):
        Configuration()
    monkeypatch.delenv("PIECES_OS_DISCOVER")
    with pytest.raises(ApiTypeError, match="discover_host must be True or False"):
        Configuration(discover_host="yes")  # type: ignore[arg-type]
    configuration = Configuration()
    with pytest.raises(ApiTypeError, match="discover_host must be True or False"):
        configuration.discover_host = 1  # type: ignore[assignment]
    assert configuration.discover_host is True


# --- 3. it follows the server; nothing failed is remembered -------------------------------------


def test_the_same_client_follows_pieces_os_to_another_port_after_a_restart() -> None:
    with ApiClient(Configuration(retries=0)) as api_client:
        api = ModelsApi(api_client)
        with pieces_os_process(39301) as first:
            assert len(api.models_snapshot().iterable) == 20
            assert api_client.configuration.host == first
        # Restarted, on another port of the range (its old one was taken meanwhile).
        with pieces_os_process(39303) as second:
            assert second.endswith(":39303")
            assert len(api.models_snapshot().iterable) == 20
            assert api_client.configuration.host == second


def test_nothing_anywhere_raises_one_error_naming_where_it_looked_then_works_once_started() -> None:
    with ApiClient(Configuration(retries=0)) as api_client:
        api = ModelsApi(api_client)
        with pytest.raises(DiscoveryError) as caught:
            api.models_snapshot()
        message = str(caught.value)
        assert isinstance(caught.value, ConnectionError)
        assert f"at http://{ADDRESS}:1000, 5323 and 39300-39333" in message
        assert "set PIECES_OS_URL or Configuration(host=...)" in message
        assert LOCATOR.found is None  # nothing failed is kept
        with LocalPiecesOS(host=ADDRESS):
            assert len(api.models_snapshot().iterable) == 20


# --- 4. waiting for Pieces OS to start ----------------------------------------------------------


def test_discover_wait_finds_a_pieces_os_that_starts_late() -> None:
    started: List[LocalPiecesOS] = []

    def pause(seconds: float) -> None:  # the first pause is when Pieces OS comes up
        assert 0 < seconds <= 0.5
        if not started:
            started.append(LocalPiecesOS(host=ADDRESS).start())

    try:
        found = discover(wait=30, use_env=False, _sleep=pause)
        assert found.host == started[0].url
    finally:
        for server in started:
            server.stop()


def test_discover_wait_gives_up_when_the_time_is_up_with_a_short_backoff() -> None:
    now = [0.0]
    pauses: List[float] = []

    def pause(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    with pytest.raises(DiscoveryError) as caught:
        discover(ports=[9], use_env=False, wait=1.5, _clock=lambda: now[0], _sleep=pause)
    assert pauses == pytest.approx([0.05, 0.1, 0.2, 0.5, 0.5, 0.15])
    assert caught.value.waited == 1.5
    assert str(caught.value).startswith(
        f"found no Pieces OS within 1.5 s: nothing answered GET /.well-known/health at "
        f"http://{ADDRESS}:9"
    )


def test_discover_async_waits_without_blocking_the_loop() -> None:
    async def main() -> str:
        async def start_late() -> LocalPiecesOS:
            await asyncio.sleep(0.3)
            return LocalPiecesOS(host=ADDRESS).start()

        starting = asyncio.ensure_future(start_late())
        found = await discover_async(wait=30, use_env=False)
        (await starting).stop()
        return found.host

    assert asyncio.run(main()).startswith(f"http://{ADDRESS}:393")


@pytest.mark.parametrize("wait", [-1, "5", True, float("nan"), float("inf")])
def test_a_wait_that_is_not_a_number_of_seconds_is_refused_before_looking(wait: Any) -> None:
    with pytest.raises(ApiValueError, match="wait must be a number of seconds"):
        discover(wait=wait)
    with pytest.raises(ApiValueError, match="wait must be a number of seconds"):
        asyncio.run(discover_async(wait=wait))


def test_the_cli_waits_for_pieces_os_to_start() -> None:
    command = [sys.executable, "-m", "pieces_os_client", "models", "list", "--json"]
    waiting = subprocess.Popen(
        [*command, "--wait", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_at_default,
    )
    try:
        with LocalPiecesOS(host=ADDRESS) as server:
            out, err = waiting.communicate(timeout=60)
            assert waiting.returncode == 0, err
            assert '"iterable"' in out and health_checks(server) >= 1
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    refused = subprocess.run([*command, "--wait", "-1"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--wait: must be a number of seconds >= 0, not '-1'" in refused.stderr


# --- 7. a proxy in the environment never breaks local calls -------------------------------------


@pytest.fixture
def dead_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY"):
        monkeypatch.setenv(name, DEAD_PROXY)
        monkeypatch.setenv(name.lower(), DEAD_PROXY)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("use", ["sync call", "sync stream", "async call", "async stream"])
def test_a_dead_proxy_in_the_environment_never_breaks_local_calls_or_the_search(
    use: str, dead_proxies: None
) -> None:
    with LocalPiecesOS(host=ADDRESS):
        configuration = Configuration(retries=0)  # the search runs first, then the call
        run = USES[use]
        result = asyncio.run(run(configuration)) if use.startswith("async") else run(configuration)
        assert result in EXPECTED[use.split()[1]]
        assert LOCATOR.found is not None


class _RecordingProxy:
    """A forward proxy on 127.0.0.1 that answers every request itself with an empty snapshot,
    recording the request lines it was sent (absolute URLs, as clients send to a proxy)."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.lines.append(head.split(b"\r\n", 1)[0].decode())
                body = b'{"iterable": []}'
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (Linux)
        self._listener.close()
        self._thread.join(10)


def test_a_proxy_set_in_the_configuration_is_still_used(dead_proxies: None) -> None:
    proxy = _RecordingProxy()
    try:
        configuration = Configuration(host="http://127.0.0.1:39399", retries=0)
        configuration.proxy = proxy.url
        assert snapshot_size(configuration) == 0  # the proxy's answer
        asyncio.run(_async_call(configuration))
        assert proxy.lines == ["GET http://127.0.0.1:39399/models HTTP/1.1"] * 2
    finally:
        proxy.close()
