"""LocalPiecesOS cannot be abused: many connections at once, DNS rebinding, cross-site
requests, ambiguous framing, an unbounded request log, trickling clients, deep JSON."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from pieces_os_client import ModelsApi
from pieces_os_client.testing import LocalPiecesOS, _guard, _http, _state, builtin_catalogue

TIMEOUT = 10.0
JSON = {"Content-Type": "application/json"}
VALID = json.dumps(
    {
        "name": "hardened",
        "version": "1",
        "cloud": False,
        "type": "SPEED",
        "usage": "CODE_GENERATION",
        "created": {"value": "2024-01-01T00:00:00Z"},
    }
).encode()


def exchange(server: LocalPiecesOS, request: bytes) -> Tuple[int, Dict[str, str], bytes]:
    """Send raw bytes; the status, headers and body of the answer (read to the close)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        with contextlib.suppress(ConnectionResetError):
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def request(
    method: str,
    path: str,
    headers: Optional[Dict[str, str]] = None,
    body: bytes = b"",
    raw_headers: bytes = b"",
) -> bytes:
    all_headers = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
    framed = b"content-length" in raw_headers.lower() or b"transfer-encoding" in raw_headers.lower()
    if body and not framed and "Transfer-Encoding" not in all_headers:
        all_headers["Content-Length"] = str(len(body))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in all_headers.items()
    )
    return head.encode() + raw_headers + b"\r\n" + body


def loaded(server: LocalPiecesOS) -> List[str]:
    return [m.id for m in server.models() if m.loaded]


# --- many connections at once ----------------------------------------------------------------


def test_a_burst_of_connections_is_answered() -> None:
    assert _http.HTTPServer.request_queue_size >= 128
    with LocalPiecesOS() as server:
        # 200 clients connect before any is served; each then asks for the snapshot.
        sockets = [
            socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
            for _ in range(200)
        ]
        try:
            for sock in sockets:
                sock.sendall(b"GET /.well-known/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answers = [sock.recv(4096) for sock in sockets]
        finally:
            for sock in sockets:
                sock.close()
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)


# --- Host: DNS rebinding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:{port}",
        "localhost:{port}",
        "LocalHost",
        "127.9.9.9",
        "[::1]:{port}",
        "plugin.localhost",
        "localhost.",
    ],
)
def test_loopback_hosts_are_served(server: LocalPiecesOS, host: str) -> None:
    status, _, _ = exchange(
        server, request("GET", "/models", {"Host": host.format(port=server.port)})
    )
    assert status == 200


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example", "[::2]", "", "10.0.0.1"],
)
def test_other_hosts_are_refused_and_change_nothing(server: LocalPiecesOS, host: str) -> None:
    before = loaded(server)
    for method, path in (("GET", "/models"), ("POST", "/models/unload")):
        status, headers, body = exchange(
            server, request(method, path, {"Host": host.format(port=server.port)})
        )
        assert status == 403 and headers["Content-Type"] == "text/plain; charset=utf-8"
        assert b"loopback" in body and b"\n" not in body
    assert loaded(server) == before


def test_an_http_1_1_request_without_host_is_refused(server: LocalPiecesOS) -> None:
    status, _, body = exchange(server, b"GET /models HTTP/1.1\r\n\r\n")
    assert status == 400 and b"Host" in body
    status, _, _ = exchange(server, b"GET /models HTTP/1.0\r\n\r\n")
    assert status == 200


def test_the_address_a_server_listens_on_is_its_own() -> None:
    own = ("0.0.0.0", "192.0.2.7")  # bound to every address, reached on 192.0.2.7
    assert _guard.foreign_host("192.0.2.7:1000", own) is None
    assert _guard.foreign_host("[fe80::1%eth0]", ("fe80::1%eth0",)) is None
    assert _guard.foreign_host("192.0.2.8", own) is not None
    assert _guard.foreign_host("0.0.0.0", ("127.0.0.1",)) is not None


# --- Origin and Sec-Fetch-Site: cross-site requests ------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_web_page_cannot_change_state(server: LocalPiecesOS, headers: Dict[str, str]) -> None:
    before = [m.to_json() for m in server.models()]
    created_path = "/models/create"
    for path, body in (("/models/unload", b""), (created_path, VALID)):
        status, _, text = exchange(
            server,
            request("POST", path, {**headers, "Content-Type": "application/json"}, body=body),
        )
        assert status == 403 and b"web page" in text
    assert [m.to_json() for m in server.models()] == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": f"http://{host}"}
        for host in ("localhost:3000", "127.0.0.1:8080", "[::1]", "foo.localhost")
    ]
    + [{"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}],
)
def test_local_pages_and_same_origin_requests_may(
    server: LocalPiecesOS, headers: Dict[str, str]
) -> None:
    status, _, _ = exchange(server, request("POST", "/models/unload", headers))
    assert status == 204 and loaded(server) == []


def test_a_foreign_page_may_send_a_read_but_cannot_read_the_answer(server: LocalPiecesOS) -> None:
    status, headers, _ = exchange(
        server, request("GET", "/models", {"Origin": "https://evil.example"})
    )
    assert status == 200
    assert not any(name.lower().startswith("access-control-") for name in headers)


def test_allowed_origins_may_change_state() -> None:
    webview = "vscode-webview://4f1c2d"
    with LocalPiecesOS(allowed_origins=[webview]) as server:
        status, _, _ = exchange(server, request("POST", "/models/unload", {"Origin": webview}))
        assert status == 204
        status, _, _ = exchange(
            server, request("POST", "/models/unload", {"Origin": "vscode-webview://other"})
        )
        assert status == 403
    with pytest.raises(TypeError, match="list of origins"):
        LocalPiecesOS(allowed_origins=webview)


def test_a_foreign_page_cannot_open_the_stream(server: LocalPiecesOS) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(server.stream_url, origin="https://evil.example", open_timeout=TIMEOUT)
    assert refused.value.response.status_code == 403
    with connect(server.stream_url, origin="http://localhost:5173", open_timeout=TIMEOUT) as ws:
        assert ws.recv(timeout=TIMEOUT)


# --- strict framing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw_headers",
    [
        b"Content-Length: +16\r\n",
        b"Content-Length: -1\r\n",
        b"Content-Length: 1_6\r\n",
        b"Content-Length: 0x10\r\n",
        b"Content-Length: 16 \r\nContent-Length: 17\r\n",
        b"Content-Length: 16, 17\r\n",
        b"Content-Length: \r\n",
        b"Content-Length: 16\r\nTransfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Transfer-Encoding: identity\r\n",
    ],
)
def test_ambiguous_lengths_are_refused(server: LocalPiecesOS, raw_headers: bytes) -> None:
    status, headers, body = exchange(
        server,
        request("POST", "/models/unload", raw_headers=raw_headers, body=b"0\r\n\r\n" + b"x" * 11),
    )
    assert status == 400 and headers["Connection"] == "close"
    assert b"Content-Length" in body or b"Transfer-Encoding" in body
    assert loaded(server) != []  # not unloaded


def test_repeated_equal_lengths_are_one_length(server: LocalPiecesOS) -> None:
    status, _, _ = exchange(
        server,
        request(
            "POST",
            "/models/create",
            {"Content-Type": "application/json"},
            raw_headers=b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(VALID), len(VALID)),
            body=VALID,
        ),
    )
    assert status == 200


def create_chunked(
    server: LocalPiecesOS, body: bytes, coding: str = "chunked"
) -> Tuple[int, bytes]:
    """POST /models/create with ``body`` as the (already chunked) message body."""
    headers = {"Content-Type": "application/json", "Transfer-Encoding": coding}
    status, _, text = exchange(server, request("POST", "/models/create", headers, body=body))
    return status, text


@pytest.mark.parametrize(
    "chunk", [b"-1", b"+10", b"1_0", b"0x10", b"", b" ", b"1" * 17, b"zz", b"10;x=1\x00"]
)
def test_malformed_chunk_sizes_are_refused(server: LocalPiecesOS, chunk: bytes) -> None:
    status, text = create_chunked(server, chunk + b"\r\n" + VALID + b"\r\n0\r\n\r\n")
    assert status == 400 and b"chunk" in text
    assert not any(m.custom for m in server.models())


def test_a_chunk_longer_than_its_size_is_refused(server: LocalPiecesOS) -> None:
    status, text = create_chunked(server, b"%x\r\n%sEXTRA\r\n0\r\n\r\n" % (len(VALID), VALID))
    assert status == 400 and b"longer than its size" in text
    assert not any(m.custom for m in server.models())


def test_well_formed_chunks_with_extensions_are_read(server: LocalPiecesOS) -> None:
    half = len(VALID) // 2
    body = b"%X;name=value\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        half,
        VALID[:half],
        len(VALID) - half,
        VALID[half:],
    )
    assert create_chunked(server, body, coding="Chunked")[0] == 200


# --- the request log is bounded in bytes -----------------------------------------------------


def test_the_request_log_keeps_a_bounded_number_of_bytes(
    server: LocalPiecesOS, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _state.REQUEST_LOG_BYTES == 64 * 1024 * 1024
    monkeypatch.setattr(_state, "REQUEST_LOG_BYTES", 20_000)
    big = b'{"x": "' + b"y" * 5_000 + b'"}'
    for n in range(10):
        exchange(
            server,
            request("POST", f"/models/create?n={n}", {"Content-Type": "application/json"}, big),
        )
    kept = server.requests
    assert 2 <= len(kept) <= 4
    assert kept[-1].path == "/models/create?n=9"  # the newest are kept
    assert sum(len(r.body) for r in kept) <= 20_000
    # One request over the whole bound is still kept (alone).
    monkeypatch.setattr(_state, "REQUEST_LOG_BYTES", 100)
    exchange(server, request("POST", "/models/create", {"Content-Type": "application/json"}, big))
    assert [len(r.body) for r in server.requests] == [len(big)]


# --- trickling clients -----------------------------------------------------------------------


@pytest.fixture
def short_idle(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalPiecesOS]:
    monkeypatch.setattr(_http, "IDLE_CONNECTION_TIMEOUT", 1.0)
    with LocalPiecesOS() as server:
        yield server


def _trickle(server: LocalPiecesOS, data: bytes, every: float) -> Tuple[int, bytes]:
    """Send ``data`` a byte at a time; how many bytes went out before the server closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        for sent in range(len(data)):
            try:
                sock.sendall(data[sent : sent + 1])
            except OSError:
                return sent, b""
            time.sleep(every)
            sock.setblocking(False)
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                answer = None
            except OSError:
                return sent, b""
            finally:
                sock.setblocking(True)
            if answer is not None:
                return sent, answer
    return len(data), b""


@pytest.mark.slow  # the local server's idle deadline is on the real clock
def test_a_trickling_request_is_cut_off_at_the_deadline(short_idle: LocalPiecesOS) -> None:
    # 40 bytes, one every 0.2 s: 8 s if the server waited; each byte is well inside any
    # per-read timeout, but the whole request is not inside the 1 s deadline.
    data = b"GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    sent, answer = _trickle(short_idle, data, 0.2)
    assert sent < len(data) and answer == b""
    assert short_idle.requests == []


@pytest.mark.slow  # the local server's idle deadline is on the real clock
def test_a_trickling_body_is_cut_off_too(short_idle: LocalPiecesOS) -> None:
    head = request(
        "POST",
        "/models/create",
        {"Content-Type": "application/json"},
        raw_headers=b"Content-Length: %d\r\n" % len(VALID),
    )
    with socket.create_connection(("127.0.0.1", short_idle.port), timeout=TIMEOUT) as sock:
        sock.sendall(head)
        sent = 0
        with contextlib.suppress(OSError):
            for sent in range(len(VALID)):
                sock.sendall(VALID[sent : sent + 1])
                time.sleep(0.2)
    assert sent < len(VALID) - 1
    assert not any(m.custom for m in short_idle.models())


@pytest.mark.slow  # the local server's idle deadline is on the real clock
def test_a_keep_alive_connection_is_closed_when_idle(short_idle: LocalPiecesOS) -> None:
    with socket.create_connection(("127.0.0.1", short_idle.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /.well-known/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        assert sock.recv(4096) == b""  # closed by the server after the idle time


@pytest.mark.slow  # the local server's idle deadline is on the real clock
def test_a_stream_is_not_idle(short_idle: LocalPiecesOS) -> None:
    with connect(short_idle.stream_url, open_timeout=TIMEOUT) as ws:
        ws.recv(timeout=TIMEOUT)
        time.sleep(1.5)  # past the idle deadline of an HTTP request
        with short_idle.client() as client:
            ModelsApi(client).unload_models()
        assert ws.recv(timeout=TIMEOUT)


# --- deep JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 100, 100_000])
def test_deeply_nested_json_is_a_400(server: LocalPiecesOS, depth: int) -> None:
    body = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
    status, _, text = exchange(server, request("POST", "/models/create", JSON, body=body))
    assert status == 400 and b"deeper than 32 levels" in text


def test_brackets_inside_strings_do_not_count(server: LocalPiecesOS) -> None:
    seed = json.loads(VALID)
    seed["name"] = "[" * 1000 + '\\"{'
    body = json.dumps(seed).encode()
    status, _, _ = exchange(server, request("POST", "/models/create", JSON, body=body))
    assert status == 200
    assert [m.name for m in server.models() if m.custom] == [seed["name"]]


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(_JSON_VALUES, st.integers(min_value=0, max_value=6))
def test_too_deep_measures_what_json_nests(value: Any, limit: int) -> None:
    encoded = json.dumps(value).encode()
    assert _guard.too_deep(encoded, limit) == (_depth(value) > limit)
    assert not _guard.too_deep(encoded, 100)


def test_a_refused_request_is_logged_and_the_catalogue_is_intact(server: LocalPiecesOS) -> None:
    exchange(server, request("POST", "/models/unload", {"Host": "evil.example"}))
    assert [(r.method, r.header("Host")) for r in server.requests] == [("POST", "evil.example")]
    assert [m.id for m in server.models()] == [m.id for m in builtin_catalogue()]


def test_threads_do_not_pile_up(server: LocalPiecesOS) -> None:
    before = threading.active_count()
    for _ in range(20):
        exchange(server, request("GET", "/.well-known/health"))
    deadline = time.monotonic() + TIMEOUT
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before
