"""``discover()`` against real sockets on 127.0.0.1: healthy servers, unhealthy ones, silent
ones, and nothing at all. Timings are upper bounds only."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Tuple

import pytest
from _scripted_server import free_port

import pieces_os_client
from pieces_os_client import ApiClient, ApiConnectionError, Configuration, ModelsApi
from pieces_os_client.discovery import DEFAULT_PORTS, HEALTH_PATH, DiscoveryError, discover
from pieces_os_client.testing import LocalPiecesOS

HOST = "127.0.0.1"


class _Health(BaseHTTPRequestHandler):
    status = 200
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        status = self.status if self.path == HEALTH_PATH else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def start_health_server(status: int = 200, delay: float = 0.0) -> ThreadingHTTPServer:
    handler = type("Handler", (_Health,), {"status": status, "delay": delay})
    server = ThreadingHTTPServer((HOST, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def servers() -> Iterator[List[ThreadingHTTPServer]]:
    started: List[ThreadingHTTPServer] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def port_of(server: ThreadingHTTPServer) -> int:
    return int(server.server_address[1])


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)


def timed_discover(**kwargs: object) -> Tuple[Configuration, float]:
    started = time.monotonic()
    configuration = discover(**kwargs)  # type: ignore[arg-type]
    return configuration, time.monotonic() - started


def test_the_default_candidates_are_the_documented_ports() -> None:
    assert (1000, 5323, *range(39300, 39334)) == DEFAULT_PORTS
    assert len(DEFAULT_PORTS) == 36


def test_finds_a_local_pieces_os_among_closed_ports_and_returns_a_usable_configuration() -> None:
    with LocalPiecesOS() as server:
        ports = [free_port(), server.port, free_port()]
        configuration, _ = timed_discover(host=HOST, ports=ports)
        assert isinstance(configuration, Configuration)
        assert configuration.host == server.url
        with ApiClient(configuration) as api_client:
            assert len(ModelsApi(api_client).models_snapshot()) == len(server.models())


def test_a_more_preferred_port_wins_even_when_it_answers_later(
    servers: List[ThreadingHTTPServer],
) -> None:
    slow = start_health_server(delay=0.15)
    fast = start_health_server()
    servers += [slow, fast]
    configuration, _ = timed_discover(host=HOST, ports=[free_port(), port_of(slow), port_of(fast)])
    assert configuration.host == f"http://{HOST}:{port_of(slow)}"


def test_pieces_os_url_is_preferred_over_every_port(
    servers: List[ThreadingHTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = start_health_server(delay=0.1)
    on_port = start_health_server()
    servers += [from_env, on_port]
    monkeypatch.setenv("PIECES_OS_URL", f"http://{HOST}:{port_of(from_env)}/")
    configuration, _ = timed_discover(host=HOST, ports=[port_of(on_port)])
    assert configuration.host == f"http://{HOST}:{port_of(from_env)}"


def test_an_unreachable_pieces_os_url_falls_back_to_the_ports(
    servers: List[ThreadingHTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    on_port = start_health_server()
    servers.append(on_port)
    monkeypatch.setenv("PIECES_OS_URL", f"http://{HOST}:{free_port()}")
    configuration, _ = timed_discover(host=HOST, ports=[port_of(on_port)])
    assert configuration.host == f"http://{HOST}:{port_of(on_port)}"


def test_a_server_whose_health_check_fails_is_skipped(servers: List[ThreadingHTTPServer]) -> None:
    sick = start_health_server(status=503)
    healthy = start_health_server()
    servers += [sick, healthy]
    configuration, _ = timed_discover(host=HOST, ports=[port_of(sick), port_of(healthy)])
    assert configuration.host == f"http://{HOST}:{port_of(healthy)}"


def test_a_silent_listener_costs_one_timeout_not_a_hang(servers: List[ThreadingHTTPServer]) -> None:
    healthy = start_health_server()
    servers.append(healthy)
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind((HOST, 0))
        silent.listen(8)
        ports = [silent.getsockname()[1], port_of(healthy)]
        configuration, elapsed = timed_discover(timeout=0.2, host=HOST, ports=ports)
    assert configuration.host == f"http://{HOST}:{port_of(healthy)}"
    assert elapsed < 10  # one 0.2 s timeout, not a hang (generous: a loaded machine)


def test_nothing_listening_raises_an_error_naming_every_url_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env_url = f"http://{HOST}:{free_port()}"
    monkeypatch.setenv("PIECES_OS_URL", env_url)
    ports = [free_port() for _ in range(5)]
    started = time.monotonic()
    with pytest.raises(DiscoveryError) as caught:
        discover(host=HOST, ports=ports)
    assert time.monotonic() - started < 10  # bounded, not a hang (generous: a loaded machine)

    error = caught.value
    expected = [env_url] + [f"http://{HOST}:{port}" for port in ports]
    assert error.tried == expected
    assert env_url in str(error) and all(str(port) in str(error) for port in ports)
    assert set(error.reasons) == set(expected)
    assert "connection refused" in error.reasons[expected[1]]
    assert "PIECES_OS_URL" in str(error)  # the hint
    assert isinstance(error, ApiConnectionError) and isinstance(error, ConnectionError)


def test_the_default_search_is_bounded_when_nothing_answers() -> None:
    # Nothing of ours listens on the default ports; whatever the machine runs, it ends fast.
    started = time.monotonic()
    try:
        discover()
    except DiscoveryError as error:
        probed = pieces_os_client.discovery.DEFAULT_DISCOVERY_HOST  # the run's own address
        assert error.tried == [f"http://{probed}:{port}" for port in DEFAULT_PORTS]
    assert time.monotonic() - started < 10  # bounded, not a hang (generous: a loaded machine)


def test_an_unsupported_pieces_os_url_is_reported_not_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIECES_OS_URL", "localhost:1000")
    with pytest.raises(DiscoveryError) as caught:
        discover(host=HOST, ports=[free_port()])
    assert "http" in caught.value.reasons["localhost:1000"]


@pytest.mark.parametrize("timeout", [0, -1, True, "1"])
def test_the_timeout_must_be_a_positive_number(timeout: object) -> None:
    with pytest.raises(ValueError):
        discover(timeout=timeout, ports=[])  # type: ignore[arg-type]


def test_discover_is_exported_lazily_from_the_package() -> None:
    assert "discover" in pieces_os_client.__all__
    assert pieces_os_client.discover is discover


def test_use_env_false_leaves_pieces_os_url_out(
    servers: List[ThreadingHTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = start_health_server()
    on_port = start_health_server()
    servers += [from_env, on_port]
    monkeypatch.setenv("PIECES_OS_URL", f"http://{HOST}:{port_of(from_env)}")
    configuration, _ = timed_discover(host=HOST, ports=[port_of(on_port)], use_env=False)
    assert configuration.host == f"http://{HOST}:{port_of(on_port)}"
