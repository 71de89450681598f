"""LocalPiecesOS's WebSocket stream, ``GET /models/stream/identifiers``, followed by the
``websockets`` library's own sync client (a peer we did not write)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import pytest
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidMessage,
    InvalidStatus,
)
from websockets.sync.client import ClientConnection, connect

from pieces_os_client import ModelsApi, SeededModel, ServiceException
from pieces_os_client.testing import LocalPiecesOS, _stream, builtin_catalogue, builtin_id

STREAM = "/models/stream/identifiers"
LOCAL_LLM = builtin_id("llama-3-8b-instruct-q4f16_1-gpu")
TIMEOUT = 10.0


def seed(name: str = "streamed") -> SeededModel:
    return SeededModel.model_validate(
        {
            "name": name,
            "version": "1",
            "cloud": False,
            "type": "SPEED",
            "usage": "CODE_GENERATION",
            "created": {"value": "2024-01-01T00:00:00Z"},
        }
    )


def follow(server: LocalPiecesOS) -> ClientConnection:
    return connect(server.stream_url, open_timeout=TIMEOUT, close_timeout=TIMEOUT)


def recv(ws: ClientConnection) -> Dict[str, Any]:
    message = ws.recv(timeout=TIMEOUT)
    assert isinstance(message, str)  # a text frame, as Pieces OS sends
    parsed = json.loads(message)
    assert isinstance(parsed, dict)
    return parsed


def ids(message: Dict[str, Any]) -> List[str]:
    assert set(message) == {"iterable"}
    for item in message["iterable"]:
        assert set(item) <= {"model", "deleted"} and set(item["model"]) == {"id"}
    return [item["model"]["id"] for item in message["iterable"] if not item.get("deleted")]


def deleted(message: Dict[str, Any]) -> List[str]:
    return [item["model"]["id"] for item in message["iterable"] if item.get("deleted") is True]


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def api(server: LocalPiecesOS) -> Iterator[ModelsApi]:
    with server.client(retries=0, timeout=TIMEOUT) as client:
        yield ModelsApi(client)


# --- messages --------------------------------------------------------------------------------


def test_the_first_message_lists_every_model_id(server: LocalPiecesOS) -> None:
    assert server.stream_url == f"ws://127.0.0.1:{server.port}{STREAM}"
    with follow(server) as ws:
        first = recv(ws)
    assert ids(first) == [m.id for m in builtin_catalogue()]
    assert deleted(first) == []
    assert [(r.method, r.path) for r in server.requests] == [("GET", STREAM)]
    assert server.requests[0].header("Upgrade") == "websocket"


def test_each_change_is_one_message_naming_the_models_it_changed(
    server: LocalPiecesOS, api: ModelsApi
) -> None:
    loaded = [m.id for m in server.models() if m.loaded]
    with follow(server) as ws:
        recv(ws)

        created = api.models_create_new_model(seed())
        assert recv(ws) == {"iterable": [{"model": {"id": created.id}}]}

        api.models_delete_specific_model_cache(LOCAL_LLM)
        assert recv(ws) == {"iterable": [{"model": {"id": LOCAL_LLM}}]}

        api.unload_models()
        message = recv(ws)
        assert sorted(ids(message)) == sorted(set(loaded) - {LOCAL_LLM})
        assert deleted(message) == []

        api.models_delete_specific_model(created.id)
        assert recv(ws) == {"iterable": [{"model": {"id": created.id}, "deleted": True}]}


def test_a_request_that_changes_nothing_sends_nothing(
    server: LocalPiecesOS, api: ModelsApi
) -> None:
    existing = server.models()[0]
    with follow(server) as ws:
        recv(ws)
        api.models_create_new_model(  # a duplicate: the existing model comes back
            {**json.loads(existing.to_json()), "unique": existing.unique}
        )
        api.models_snapshot()
        with pytest.raises(ServiceException):
            api.models_delete_specific_model(builtin_id("gpt-4o"))  # refused: built in
        api.unload_models()
        api.unload_models()  # nothing is loaded any more
        api.models_delete_specific_model_cache(LOCAL_LLM)  # was unloaded, still on disk
        # The next message is the first real change after the unload.
        unload = recv(ws)
        assert LOCAL_LLM in ids(unload)
        assert recv(ws) == {"iterable": [{"model": {"id": LOCAL_LLM}}]}
        api.models_delete_specific_model_cache(LOCAL_LLM)  # nothing left to delete
        created = api.models_create_new_model(seed("after"))
        assert recv(ws) == {"iterable": [{"model": {"id": created.id}}]}


def test_reset_tells_subscribers_what_it_undid(server: LocalPiecesOS, api: ModelsApi) -> None:
    created = api.models_create_new_model(seed())
    api.unload_models()
    with follow(server) as ws:
        assert created.id in ids(recv(ws))
        server.reset()
        message = recv(ws)
    assert deleted(message) == [created.id]
    assert sorted(ids(message)) == sorted(m.id for m in builtin_catalogue() if m.loaded)


def test_every_subscriber_sees_every_change_in_order(server: LocalPiecesOS, api: ModelsApi) -> None:
    with follow(server) as a, follow(server) as b, follow(server) as c:
        subscribers = [a, b, c]
        firsts = [recv(ws) for ws in subscribers]
        assert firsts[0] == firsts[1] == firsts[2]
        assert eventually(lambda: server.open_streams == 3)
        created = [api.models_create_new_model(seed(f"m{i}")).id for i in range(5)]
        for model_id in created:
            api.models_delete_specific_model(model_id)
        expected = [[i] for i in created] + [[] for _ in created]
        for ws in subscribers:
            assert [ids(recv(ws)) for _ in range(10)] == expected


def test_changes_from_many_threads_reach_many_subscribers(
    server: LocalPiecesOS, api: ModelsApi
) -> None:
    with contextlib.ExitStack() as stack:
        subscribers = [stack.enter_context(follow(server)) for _ in range(8)]
        for ws in subscribers:
            recv(ws)

        def create(n: int) -> None:
            with server.client(retries=0, timeout=TIMEOUT) as client:
                for i in range(5):
                    ModelsApi(client).models_create_new_model(seed(f"t{n}-{i}"))

        workers = [threading.Thread(target=create, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(TIMEOUT)
        created = [m.id for m in server.models() if m.custom]
        assert len(created) == 20
        for ws in subscribers:
            # Every subscriber sees the creations in the order the server made them.
            assert [ids(recv(ws))[0] for _ in range(20)] == created


def test_a_subscriber_may_ping(server: LocalPiecesOS) -> None:
    with follow(server) as ws:
        recv(ws)
        assert ws.ping(b"are you there").wait(TIMEOUT)


# --- ending a stream -------------------------------------------------------------------------


def test_a_client_that_closes_is_forgotten(server: LocalPiecesOS, api: ModelsApi) -> None:
    with follow(server) as ws:
        recv(ws)
        assert eventually(lambda: server.open_streams == 1)
    assert eventually(lambda: server.open_streams == 0)
    assert ws.close_code == 1000
    api.unload_models()  # nobody to tell: nothing breaks
    with follow(server) as again:
        assert len(ids(recv(again))) == len(builtin_catalogue())


def test_drop_streams_cuts_every_stream_without_a_close_frame(server: LocalPiecesOS) -> None:
    assert server.drop_streams() == 0
    with follow(server) as a, follow(server) as b:
        recv(a), recv(b)
        assert server.drop_streams() == 2
        for ws in (a, b):
            with pytest.raises(ConnectionClosedError) as closed:
                ws.recv(timeout=TIMEOUT)
            assert closed.value.rcvd is None  # no close frame: an abnormal closure (1006)
    assert eventually(lambda: server.open_streams == 0)
    with follow(server) as again:  # later clients are served as usual
        assert ids(recv(again))


def test_drop_streams_with_a_code_sends_a_close_frame(server: LocalPiecesOS) -> None:
    with follow(server) as ws:
        recv(ws)
        assert server.drop_streams(1011, "injected") == 1
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1011, "injected")


@pytest.mark.parametrize("code", [999, 1005, 1006, 5000, True, "1011"])
def test_drop_streams_refuses_codes_that_cannot_be_sent(server: LocalPiecesOS, code: Any) -> None:
    with pytest.raises(ValueError, match="code"):
        server.drop_streams(code)


def test_stopping_closes_every_stream_and_leaves_no_thread() -> None:
    threads_before = set(threading.enumerate())
    server = LocalPiecesOS().start()
    with follow(server) as a, follow(server) as b:
        recv(a), recv(b)
        server.stop()
        for ws in (a, b):
            with pytest.raises(ConnectionClosedOK) as closed:
                ws.recv(timeout=TIMEOUT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert server.open_streams == 0
    assert eventually(lambda: set(threading.enumerate()) - threads_before == set())


# --- fault injection and refusals ------------------------------------------------------------


def test_fail_next_and_drop_next_apply_to_the_upgrade_request(server: LocalPiecesOS) -> None:
    server.fail_next(1, status=503, path=STREAM)
    with pytest.raises(InvalidStatus) as refused:
        follow(server)
    assert refused.value.response.status_code == 503
    server.drop_next(1, path=STREAM)
    with pytest.raises(InvalidMessage, match="did not receive a valid HTTP response"):
        follow(server)
    with follow(server) as ws:  # the faults are used up
        assert ids(recv(ws))


def _plain(server: LocalPiecesOS, method: str, headers: Dict[str, str]) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request(method, STREAM, headers=headers)
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def test_a_plain_http_request_is_told_to_use_a_websocket(server: LocalPiecesOS) -> None:
    status, response, body = _plain(server, "GET", {})
    assert status == 426 and response.getheader("Upgrade") == "websocket"
    assert b"WebSocket" in body
    status, response, _ = _plain(server, "POST", {})
    assert status == 405 and response.getheader("Allow") == "GET"


def test_a_broken_handshake_is_refused_with_a_reason(server: LocalPiecesOS) -> None:
    # Upgrade asked for, but no Sec-WebSocket-Key: the websockets library refuses it.
    status, response, body = _plain(
        server, "GET", {"Upgrade": "websocket", "Connection": "Upgrade"}
    )
    assert status == 400 and response.getheader("Connection") == "close"
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert b"Sec-WebSocket-Key" in body and b"\n" not in body
    assert server.open_streams == 0


def test_a_garbled_frame_ends_only_that_stream(server: LocalPiecesOS) -> None:
    with follow(server) as good:
        recv(good)
        bad = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
        with bad:
            bad.sendall(
                f"GET {STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            assert bad.recv(4096).startswith(b"HTTP/1.1 101 ")
            bad.sendall(b"\xff\xff\xff\xff")  # an unmasked frame with a reserved opcode
            received = b""
            while chunk := bad.recv(4096):  # a close frame (1002), then the end
                received += chunk
        assert b"\x03\xea" in received  # 1002, protocol error
        with server.client(retries=0) as client:
            ModelsApi(client).unload_models()
        assert ids(recv(good))


def test_without_websockets_the_stream_answers_a_plain_500() -> None:
    script = """
import http.client, sys
sys.modules["websockets"] = None  # as if the stream extra were not installed
from pieces_os_client.testing import LocalPiecesOS
with LocalPiecesOS() as server:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/models/stream/identifiers", headers={
        "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"})
    r = conn.getresponse()
    print(r.status, r.getheader("Content-Type"), r.read().decode())
    conn.close()
print("websockets" in sys.modules and sys.modules["websockets"] is not None)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first, last = done.stdout.splitlines()[0], done.stdout.splitlines()[-1]
    assert first.startswith("500 text/plain; charset=utf-8 LocalPiecesOS needs the websockets")
    assert "'stream' extra" in first
    assert last == "False"


def test_a_subscriber_that_stops_reading_is_cut_off_without_holding_up_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_stream, "MAX_QUEUED_MESSAGES", 2)
    # Loaded models with long ids make each unload and reset message large (about 0.4 MB),
    # so the socket buffers of a subscriber that never reads fill after a few.
    many = [
        {
            **json.loads(builtin_catalogue()[8].to_json()),
            "id": f"{n}-{'x' * 1000}",
            "unique": str(n),
        }
        for n in range(400)
    ]
    with LocalPiecesOS(catalogue=many) as server, server.client(retries=0) as client:
        api = ModelsApi(client)
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.settimeout(TIMEOUT)
        with stalled, follow(server) as reader:
            stalled.connect(("127.0.0.1", server.port))
            stalled.sendall(
                f"GET {STREAM} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            assert len(ids(recv(reader))) == len(many)
            assert eventually(lambda: server.open_streams == 2)
            rounds = 0
            while server.open_streams == 2 and rounds < 40:
                api.unload_models()
                server.reset()
                assert len(ids(recv(reader))) == len(many)  # the reader keeps up
                assert len(ids(recv(reader))) == len(many)
                rounds += 1
            assert eventually(lambda: server.open_streams == 1)  # the stalled one is cut
            api.unload_models()
            assert len(ids(recv(reader))) == len(many)
