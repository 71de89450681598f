"""LocalPiecesOS: catalogue, every state transition through the SDK, refusals, load, lifecycle."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pieces_os_client import (
    ApiClient,
    Configuration,
    Model,
    ModelDeleteCacheInput,
    ModelsApi,
    SeededModel,
    ServiceException,
)
from pieces_os_client.testing import LocalPiecesOS, RecordedRequest, builtin_catalogue, builtin_id

LOCAL_LLM = builtin_id("llama-3-8b-instruct-q4f16_1-gpu")
CLOUD_LLM = builtin_id("gpt-4o")
NOT_AN_LLM = builtin_id("pieces-ocr")


def seed(name: str = "my-llm", version: str = "1.0", **fields: Any) -> SeededModel:
    data: Dict[str, Any] = {
        "name": name,
        "version": version,
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_GENERATION",
        "created": {"value": "2020-01-01T00:00:00Z"},
    }
    data.update(fields)
    return SeededModel.model_validate(data)


def wire(server: LocalPiecesOS) -> List[str]:
    return [m.to_json() for m in server.models()]


@pytest.fixture
def api(server: LocalPiecesOS) -> Iterator[ModelsApi]:
    with server.client(retries=0, timeout=5) as client:
        yield ModelsApi(client)


def raw(
    server: LocalPiecesOS,
    method: str,
    path: str,
    body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- the catalogue ---------------------------------------------------------------------------


def test_builtin_catalogue_is_realistic() -> None:
    models = builtin_catalogue()
    assert len(models) >= 15
    assert len({m.id for m in models}) == len(models)
    assert {True, False} <= {m.cloud for m in models}
    assert len({m.provider for m in models}) >= 5
    assert len({m.foundation for m in models}) >= 10
    usages = {m.usage.value for m in models}
    assert {"CODE_CONVERSATION", "CODE_GENERATION"} <= usages
    assert len(usages - {"CODE_CONVERSATION", "CODE_GENERATION"}) >= 3  # non-LLMs too
    assert all(m.custom is False and m.created.value.tzinfo for m in models)
    local = [m for m in models if not m.cloud]
    assert all(m.bytes and m.ram and m.downloaded is not None for m in local)
    assert any(m.loaded for m in local) and any(m.cpu for m in local)
    assert all(
        m.max_tokens and m.max_tokens.total
        for m in models
        if m.usage in ("CODE_CONVERSATION", "CODE_GENERATION")
    )


def test_some_models_carry_a_description(server: LocalPiecesOS) -> None:
    status, _, body = raw(server, "GET", "/models")
    assert status == 200
    descriptions = {m["name"]: m.get("description") for m in json.loads(body)["iterable"]}
    described = {name: text for name, text in descriptions.items() if text is not None}
    # Some, not all: a client must cope with both, as with Pieces OS.
    assert 0 < len(described) < len(descriptions)
    assert all(isinstance(text, str) and text.strip() for text in described.values())
    assert "GPT-4o" in described and "GPT-4o Mini" not in described


def test_snapshot_lists_the_catalogue(server: LocalPiecesOS, api: ModelsApi) -> None:
    snapshot = api.models_snapshot()
    assert [m.to_json() for m in snapshot.iterable] == wire(server)
    assert [m.id for m in snapshot.iterable] == [m.id for m in builtin_catalogue()]


def test_a_catalogue_can_be_passed_in() -> None:
    mine = builtin_catalogue()[:2]
    as_dict = json.loads(builtin_catalogue()[2].to_json())
    with LocalPiecesOS([*mine, as_dict]) as server, server.client() as client:
        ids = [m.id for m in ModelsApi(client).models_snapshot().iterable]
    assert ids == [mine[0].id, mine[1].id, as_dict["id"]]
    with LocalPiecesOS([]) as empty, empty.client() as client:
        assert ModelsApi(client).models_snapshot().iterable == []


def test_a_catalogue_with_two_models_of_one_id_is_refused() -> None:
    twice = builtin_catalogue()[:1] * 2
    with pytest.raises(ValueError, match="two models with id"):
        LocalPiecesOS(twice)


def test_health(server: LocalPiecesOS) -> None:
    status, headers, body = raw(server, "GET", "/.well-known/health")
    assert status == 200 and body == b"ok" and headers["Content-Length"] == "2"


# --- create ----------------------------------------------------------------------------------


def test_create_registers_a_custom_model(server: LocalPiecesOS, api: ModelsApi) -> None:
    before = time.time()
    created = api.models_create_new_model(seed(unique="mine-1", parameters=None))
    assert created.custom is True
    assert created.name == "my-llm" and created.unique == "mine-1"
    assert created.id and created.id not in {m.id for m in builtin_catalogue()}
    # The server stamps its own creation time, whatever the seed said.
    assert created.created.value.timestamp() >= before - 1
    assert created.model_dump() == server.models()[-1].model_dump()
    assert api.models_snapshot().iterable[-1].id == created.id
    assert server.requests[-2].json()["parameters"] is None  # the explicit null went out


def test_create_returns_the_existing_model_for_a_duplicate(
    server: LocalPiecesOS, api: ModelsApi
) -> None:
    first = api.models_create_new_model(seed())
    again = api.models_create_new_model(seed(usage="CODE_CONVERSATION"))  # same name+version
    assert again.id == first.id and again.usage == "CODE_GENERATION"
    newer = api.models_create_new_model(seed(version="2.0"))
    assert newer.id != first.id
    # With `unique`, that alone decides: same unique -> same model, even under another name.
    keyed = api.models_create_new_model(seed(unique="k"))
    assert keyed.id != first.id
    assert api.models_create_new_model(seed("renamed", unique="k")).id == keyed.id
    # A built-in model is a duplicate too.
    gpt = next(m for m in builtin_catalogue() if m.id == CLOUD_LLM)
    assert api.models_create_new_model(seed(gpt.name, gpt.version)).id == CLOUD_LLM
    assert len(server.models()) == len(builtin_catalogue()) + 3


def test_create_without_a_body_is_refused(server: LocalPiecesOS, api: ModelsApi) -> None:
    before = wire(server)
    with pytest.raises(ServiceException) as caught:
        api.models_create_new_model()
    assert caught.value.status == 500 and "SeededModel" in str(caught.value.body)
    assert wire(server) == before


# --- delete ----------------------------------------------------------------------------------


def test_delete_removes_a_custom_model(server: LocalPiecesOS, api: ModelsApi) -> None:
    created = api.models_create_new_model(seed())
    response = api.models_delete_specific_model_with_http_info(created.id)
    assert response.status_code == 204 and response.data is None
    assert created.id not in {m.id for m in server.models()}
    assert wire(server) == [m.to_json() for m in builtin_catalogue()]


@pytest.mark.parametrize(
    ("model_id", "reason"),
    [(CLOUD_LLM, "built in"), ("no-such-id", "no model with id"), ("a/b c", "no model with id")],
)
def test_delete_refuses_builtin_and_unknown_models(
    server: LocalPiecesOS, api: ModelsApi, model_id: str, reason: str
) -> None:
    before = wire(server)
    with pytest.raises(ServiceException) as caught:
        api.models_delete_specific_model(model_id)
    assert caught.value.status == 500
    assert reason in str(caught.value.body) and repr(model_id) in str(caught.value.body)
    assert wire(server) == before


# --- delete cache ----------------------------------------------------------------------------


def test_delete_cache_clears_a_local_llm(server: LocalPiecesOS, api: ModelsApi) -> None:
    assert next(m for m in server.models() if m.id == LOCAL_LLM).downloaded is True
    schema = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
    output = api.models_delete_specific_model_cache(
        LOCAL_LLM, ModelDeleteCacheInput.model_validate({"schema": schema})
    )
    assert output.model.id == LOCAL_LLM
    assert output.var_schema is not None and output.var_schema.migration == 0
    after = next(m for m in server.models() if m.id == LOCAL_LLM)
    assert after.downloaded is False and after.loaded is False
    # Everything else is untouched.
    others = [m.to_json() for m in server.models() if m.id != LOCAL_LLM]
    assert others == [m.to_json() for m in builtin_catalogue() if m.id != LOCAL_LLM]
    # Again (nothing left to delete) still answers with the reference; and without a body.
    assert api.models_delete_specific_model_cache(LOCAL_LLM).model.id == LOCAL_LLM


@pytest.mark.parametrize(
    ("model_id", "reason"),
    [(NOT_AN_LLM, "not an LLM"), (CLOUD_LLM, "runs in the cloud"), ("nope", "no model with id")],
)
def test_delete_cache_refuses_other_models(
    server: LocalPiecesOS, api: ModelsApi, model_id: str, reason: str
) -> None:
    before = wire(server)
    with pytest.raises(ServiceException) as caught:
        api.models_delete_specific_model_cache(model_id)
    assert caught.value.status == 500 and reason in str(caught.value.body)
    assert wire(server) == before


# --- unload ----------------------------------------------------------------------------------


def test_unload_unloads_every_model(server: LocalPiecesOS, api: ModelsApi) -> None:
    assert any(m.loaded for m in server.models())
    response = api.unload_models_with_http_info()
    assert response.status_code == 204 and response.raw_data == b""
    assert not any(m.loaded for m in server.models())
    # Only `loaded` changed, and only where it was true (a cloud model's stays unset).
    expected = [
        (m.model_copy(update={"loaded": False}) if m.loaded else m).to_json()
        for m in builtin_catalogue()
    ]
    assert wire(server) == expected
    assert any(m.loaded is None for m in server.models())


# --- refusals: never a crash or a hang, never a change ---------------------------------------

VALID = seed().to_json().encode()
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "words"),
    [
        ("POST", "/models/create", b"{not json", JSON, 400, "not valid JSON"),
        ("POST", "/models/create", b"\xff\xfe", JSON, 400, "not valid JSON"),
        ("POST", "/models/create", VALID, {"Content-Type": "text/plain"}, 415, "application/json"),
        ("POST", "/models/create", VALID, {}, 415, "application/json"),
        ("POST", "/models/create", b"[1, 2]", JSON, 422, "JSON object"),
        ("POST", "/models/create", b'{"name": "x"}', JSON, 422, "not a valid SeededModel"),
        ("POST", "/models/create", VALID.replace(b"BALANCED", b"TURBO"), JSON, 422, "TURBO"),
        # The SDK parses an answer without maxTokens.total; a server wants it in a request.
        ("POST", "/models/create", VALID[:-1] + b',"maxTokens":{}}', JSON, 422, "maxTokens.total"),
        ("POST", "/models/create", VALID.replace(b'"1.0"', b"1.0"), JSON, 422, "version"),
        ("POST", f"/models/{LOCAL_LLM}/delete/cache", b'{"schema": 1}', JSON, 422, "schema"),
        ("POST", f"/models/{LOCAL_LLM}/delete/cache", b"{", JSON, 400, "JSON"),
        ("GET", "/models/create", None, {}, 405, "use POST"),
        ("DELETE", f"/models/{LOCAL_LLM}", None, {}, 404, "no endpoint"),
        ("TRACE", "/models", None, {}, 405, "use GET"),
        ("GET", "/nowhere", None, {}, 404, "POST /models/create"),
        ("GET", "/models/", None, {}, 404, "no endpoint"),
    ],
)
def test_bad_requests_get_a_one_line_text_error_and_change_nothing(
    server: LocalPiecesOS,
    method: str,
    path: str,
    body: Optional[bytes],
    headers: Dict[str, str],
    status: int,
    words: str,
) -> None:
    before = wire(server)
    got_status, got_headers, got_body = raw(server, method, path, body, headers)
    assert got_status == status
    assert got_headers["Content-Type"] == "text/plain; charset=utf-8"
    assert int(got_headers["Content-Length"]) == len(got_body)
    error = got_body.decode()
    assert words in error and "\n" not in error and error == error.strip()
    assert wire(server) == before


def test_wrong_content_type_through_the_sdk(server: LocalPiecesOS, api: ModelsApi) -> None:
    from pieces_os_client import ApiException

    with pytest.raises(ApiException) as caught:
        api.models_create_new_model(seed(), _content_type="text/plain")
    assert caught.value.status == 415
    assert wire(server) == [m.to_json() for m in builtin_catalogue()]


def test_one_keep_alive_connection_survives_errors(server: LocalPiecesOS) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        statuses = []
        for method, path, body in [
            ("GET", "/models", None),
            ("POST", "/models/create", b"{oops"),
            ("POST", "/models/unload", None),
            ("GET", "/missing", None),
            ("POST", "/models/create", VALID),
            ("GET", "/.well-known/health", None),
        ]:
            conn.request(method, path, body=body, headers=JSON)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
            assert response.getheader("Connection") != "close"
        assert statuses == [200, 400, 204, 404, 200, 200]
    finally:
        conn.close()
    # All six went over the one connection the test opened.
    assert len({r.header("Host") for r in server.requests}) == 1
    assert len(server.requests) == 6


def _exchange(server: LocalPiecesOS, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_oversized_and_chunked_bodies(server: LocalPiecesOS) -> None:
    # Refused from the headers alone, before any of the body is read; then the connection closes.
    answer = _exchange(
        server,
        b"POST /models/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 99999999\r\n\r\n",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"Connection: close" in head
    assert b"over" in body and b"Content-Type: text/plain; charset=utf-8" in head
    # A chunked body is read like any other.
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (VALID[:10], VALID[10:]))
    answer = _exchange(
        server,
        b"POST /models/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 200")
    assert any(m.name == "my-llm" and m.custom for m in server.models())


def test_expect_100_continue_is_answered_at_once(server: LocalPiecesOS) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /models/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(VALID)
        )
        # The client holds the body back until the interim answer arrives.
        assert sock.recv(100).startswith(b"HTTP/1.1 100")
        sock.sendall(VALID)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert b"HTTP/1.1 200" in answer


def test_a_garbage_request_line_gets_a_text_400(server: LocalPiecesOS) -> None:
    head, _, body = _exchange(server, b"HELLO\r\n\r\n").partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: text/plain; charset=utf-8" in head
    assert body == b"Bad request syntax ('HELLO')"


# --- the request log and reset ---------------------------------------------------------------


def test_requests_are_recorded(server: LocalPiecesOS, api: ModelsApi) -> None:
    api.models_snapshot(_headers={"X-Trace": "t1"})
    created = api.models_create_new_model(seed())
    api.models_delete_specific_model(created.id)
    log = server.requests
    assert [(r.method, r.path) for r in log] == [
        ("GET", "/models"),
        ("POST", "/models/create"),
        ("POST", f"/models/{created.id}/delete"),
    ]
    assert all(isinstance(r, RecordedRequest) for r in log)
    assert log[0].header("x-trace") == "t1" and log[0].body == b""
    assert log[1].json()["name"] == "my-llm"
    assert log[1].header("Content-Type") == "application/json"


def test_reset_restores_the_seeded_state(server: LocalPiecesOS, api: ModelsApi) -> None:
    api.models_create_new_model(seed())
    api.unload_models()
    server.fail_next(5)
    server.reset()
    assert wire(server) == [m.to_json() for m in builtin_catalogue()]
    assert server.requests == []
    api.models_snapshot()  # the pending failures were cleared too


def test_models_returns_copies(server: LocalPiecesOS) -> None:
    server.models()[0].name = "changed"
    assert server.models()[0].name != "changed"


# --- a reference model of the semantics, checked with random operation sequences -------------

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"])),
        st.tuples(st.just("delete"), st.integers(0, 30)),
        st.tuples(st.just("cache"), st.integers(0, 30)),
        st.tuples(st.just("unload")),
    ),
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_any_sequence_of_operations_matches_the_documented_semantics(
    shared: LocalPiecesOS, operations: List[Tuple[Any, ...]]
) -> None:
    shared.reset()
    expected: Dict[str, Dict[str, Any]] = {
        m.id: json.loads(m.to_json()) for m in builtin_catalogue()
    }
    with shared.client(retries=0, timeout=5) as client:
        api = ModelsApi(client)
        for op in operations:
            ids = list(expected)
            if op[0] == "create":
                twin = next(
                    (i for i, m in expected.items() if (m["name"], m["version"]) == op[1:]), None
                )
                made = api.models_create_new_model(seed(op[1], op[2]))
                if twin is not None:
                    assert made.id == twin
                else:
                    expected[made.id] = json.loads(made.to_json())
            elif op[0] == "delete":
                target = ids[op[1] % len(ids)]
                if expected[target].get("custom"):
                    api.models_delete_specific_model(target)
                    del expected[target]
                else:
                    with pytest.raises(ServiceException):
                        api.models_delete_specific_model(target)
            elif op[0] == "cache":
                target = ids[op[1] % len(ids)]
                model = expected[target]
                if (
                    model["usage"] in ("CODE_CONVERSATION", "CODE_GENERATION")
                    and not model["cloud"]
                ):
                    assert api.models_delete_specific_model_cache(target).model.id == target
                    model.update(downloaded=False, loaded=False)
                else:
                    with pytest.raises(ServiceException):
                        api.models_delete_specific_model_cache(target)
            else:
                api.unload_models()
                for model in expected.values():
                    if model.get("loaded"):
                        model["loaded"] = False
        got = {m.id: json.loads(m.to_json()) for m in api.models_snapshot().iterable}
    assert got == expected
    assert list(got) == list(expected)  # order: catalogue first, then creation order


# --- load ------------------------------------------------------------------------------------


def test_eight_threads_of_mixed_requests(server: LocalPiecesOS) -> None:
    threads, per_thread = 8, 200
    errors: List[BaseException] = []
    kept: List[str] = []
    kept_lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(client: ApiClient, worker: int) -> None:
        api = ModelsApi(client)
        start.wait(5)
        created = ""
        try:
            for i in range(per_thread):
                step = i % 5
                if step == 0:
                    assert len(api.models_snapshot().iterable) >= len(builtin_catalogue())
                elif step == 1:
                    created = api.models_create_new_model(seed(f"w{worker}-{i}")).id
                elif step == 2:
                    assert api.models_create_new_model(seed(f"w{worker}-{i - 1}")).id == created
                elif step == 3:
                    if (i // 5) % 2 == 0:
                        api.models_delete_specific_model(created)
                    else:
                        with kept_lock:
                            kept.append(created)
                        api.models_snapshot()
                elif (i // 5) % 2 == 0:
                    api.models_delete_specific_model_cache(LOCAL_LLM)
                else:
                    api.unload_models()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    with server.client(retries=0, timeout=10) as client:
        workers = [threading.Thread(target=work, args=(client, n)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    assert len(server.requests) == threads * per_thread
    final = server.models()
    custom = [m for m in final if m.custom]
    assert sorted(m.id for m in custom) == sorted(kept)
    assert len(kept) == threads * per_thread // 10
    assert len({(m.name, m.version) for m in final}) == len(final)  # no duplicate slipped in
    assert all(not m.loaded for m in final)
    assert [m.to_json() for m in final if not m.custom] == [
        m.model_copy(
            update={
                **({"loaded": False} if m.loaded else {}),
                **({"downloaded": False, "loaded": False} if m.id == LOCAL_LLM else {}),
            }
        ).to_json()
        for m in builtin_catalogue()
    ]


# --- lifecycle -------------------------------------------------------------------------------


def _open_fds() -> Optional[int]:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None  # no /proc here: the thread and connection checks still run


def test_starts_fast_and_stops_without_leaks() -> None:
    # Other tests' servers may still be winding down, so only new threads or fds count.
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    started = time.perf_counter()
    server = LocalPiecesOS().start()
    assert time.perf_counter() - started < 5  # no waiting to start (generous: a loaded machine)
    port = server.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    stuck = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        # An idle keep-alive connection (never closed by the client) must not keep it alive.
        idle.request("GET", "/models")
        idle.getresponse().read()
        # And a request stuck in an injected delay must not hold up stop().
        server.delay_next(1, 30)
        stuck.sendall(b"GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        deadline = time.monotonic() + 5
        while len(server.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        stopping = time.perf_counter()
        server.stop()
        assert time.perf_counter() - stopping < 10  # not the 30 s delay (generous: loaded)
        assert set(threading.enumerate()) - threads_before == set()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert stuck.recv(100) == b""  # closed without an answer
    finally:
        stuck.close()
        idle.close()
        server.stop()  # a second stop is harmless
    if fds_before is not None:
        assert _open_fds() <= fds_before  # the listening socket and connections are closed


def test_context_manager_and_misuse() -> None:
    server = LocalPiecesOS()
    with pytest.raises(RuntimeError, match="start the server first"):
        _ = server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.configuration(retries=0).retries == 0
        assert server.configuration().host == server.url
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
    assert "127.0.0.1" in repr(server)


def test_a_port_in_use_gives_a_clear_error() -> None:
    with LocalPiecesOS() as first, pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1"):
        LocalPiecesOS(port=first.port).start()


def test_the_pytest_fixture(local_pieces_os: LocalPiecesOS) -> None:
    with local_pieces_os.client() as client:
        assert ModelsApi(client).models_snapshot().iterable
    assert [(r.method, r.path) for r in local_pieces_os.requests] == [("GET", "/models")]
    assert isinstance(local_pieces_os.models()[0], Model)


# --- serve() and the quickstart --------------------------------------------------------------


def test_serve_runs_in_the_foreground_until_stopped() -> None:
    from pieces_os_client.testing import serve

    out = io.StringIO()
    ready, stop = threading.Event(), threading.Event()
    runner = threading.Thread(
        target=serve, args=("127.0.0.1", 0), kwargs={"out": out, "ready": ready, "stop": stop}
    )
    runner.start()
    try:
        assert ready.wait(5)
        url = re.search(r"http://127\.0\.0\.1:\d+", out.getvalue())
        assert url is not None and "20 models" in out.getvalue()
        port = url.group(0).rsplit(":", 1)[1]
        assert f"changes: ws://127.0.0.1:{port}/models/stream/identifiers\n" in out.getvalue()
        with ApiClient(Configuration(host=url.group(0), retries=0)) as client:
            assert len(ModelsApi(client).models_snapshot().iterable) == 20
    finally:
        stop.set()
        runner.join(5)
    assert not runner.is_alive()
    assert out.getvalue().endswith("LocalPiecesOS: stopped\n")


QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"
STEPS = (
    "1. GET /models",
    "2. POST /models/create",
    "/delete/cache",
    "/delete\n",
    "5. POST /models/unload",
)


def _quickstart(pieces_os_url: Optional[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PIECES_OS_URL"}
    if pieces_os_url is not None:
        env["PIECES_OS_URL"] = pieces_os_url
    return subprocess.run(
        [sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=30, env=env
    )


def test_quickstart_uses_a_running_pieces_os(server: LocalPiecesOS) -> None:
    done = _quickstart(server.url)
    assert done.returncode == 0, done.stderr
    assert f"Using the Pieces OS running at {server.url}." in done.stdout
    assert all(step in done.stdout for step in STEPS)
    assert "GPT-4o" in done.stdout and "cache deleted" in done.stdout
    paths = [r.path for r in server.requests if r.path != "/.well-known/health"]
    assert paths[0] == "/models" and paths[1] == "/models/create" and paths[-2] == "/models/unload"
    assert not any(m.custom for m in server.models())  # it cleaned up after itself


def test_quickstart_starts_a_local_server_when_none_answers() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    done = _quickstart(f"http://127.0.0.1:{port}")
    assert done.returncode == 0, done.stderr
    started = re.search(
        r"No Pieces OS answered on its ports \(1000, 5323, 39300-39333\); started "
        r"LocalPiecesOS at http://127\.0\.0\.1:(\d+) instead\.",
        done.stdout,
    )
    assert started is not None, done.stdout
    assert 39300 <= int(started.group(1)) <= 39333 or "every port" in done.stderr
    assert all(step in done.stdout for step in STEPS)


def test_quickstart_finds_pieces_os_on_a_port_of_the_range_without_being_told() -> None:
    from pieces_os_client import discovery

    # Where this run's searches look (conftest.py), on the first free port of 39300-39333.
    with LocalPiecesOS(host=discovery.DEFAULT_DISCOVERY_HOST) as running:
        done = _quickstart(None)
        assert done.returncode == 0, done.stderr
        assert running.port in range(39300, 39334)
        assert f"Using the Pieces OS running at {running.url}." in done.stdout
        assert all(step in done.stdout for step in STEPS)
