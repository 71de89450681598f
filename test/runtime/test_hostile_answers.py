"""Answers a hostile or broken server may send: too large, compression bombs, nesting past the
recursion limit, bytes trickled to keep a call alive. Every call ends in time with an SDK
exception that keeps status, headers and a bounded body; sync and async alike."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from typing import Any, Callable, Dict

import pytest
import urllib3
from _scripted_server import Reply, ScriptedServer

from pieces_os_client import (
    ApiClient,
    ApiResponseTooLargeError,
    ApiResponseValidationError,
    ApiTimeoutError,
    ApiValueError,
    Configuration,
    ModelsApi,
    NotFoundException,
    OpenApiException,
    ServiceException,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.exceptions import SHOWN_BODY_CHARS

MIB = 1024 * 1024
SNAPSHOT = json.dumps({"iterable": []}).encode()


def _sync_call(configuration: Configuration, **options: Any) -> Any:
    with ApiClient(configuration) as client:
        return ModelsApi(client).models_snapshot(**options)


def _async_call(configuration: Configuration, **options: Any) -> Any:
    async def call() -> Any:
        async with AsyncApiClient(configuration) as client:
            return await AsyncModelsApi(client).models_snapshot(**options)

    return asyncio.run(asyncio.wait_for(call(), 20))


CALLS: Dict[str, Callable[..., Any]] = {"sync": _sync_call, "async": _async_call}
both = pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))


def _chunked(body: bytes, status: int = 200, headers: str = "") -> bytes:
    """A raw chunked answer with no Content-Length, in 64 KiB chunks."""
    head = f"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode()
    step = 64 * 1024
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + step]), body[i : i + step])
        for i in range(0, len(body), step)
    )
    return head + chunks + b"0\r\n\r\n"


# --- bounded responses ------------------------------------------------------------------------
@both
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_past_the_limit_raises_a_typed_error_naming_the_setting(
    scripted_server: ScriptedServer, call: Callable[..., Any], framing: str
) -> None:
    body = b"[" + b"0," * (3 * MIB // 2) + b"0]"  # 3 MiB
    reply = Reply(200, body) if framing == "content-length" else Reply(raw=_chunked(body))
    scripted_server.script(reply)
    configuration = Configuration(host=scripted_server.url, max_response_size=MIB, retries=0)
    with pytest.raises(ApiResponseTooLargeError) as caught:
        call(configuration)
    error = caught.value
    assert error.status == 200 and error.limit == MIB
    assert error.headers is not None
    assert "max_response_size" in str(error) and str(MIB) in str(error)
    assert f"{scripted_server.url}/models" in str(error)
    assert len(error.body or "") <= 4096 and len(str(error)) < 2 * SHOWN_BODY_CHARS + 1000


@both
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_compression_bomb_stops_at_the_limit(
    scripted_server: ScriptedServer, call: Callable[..., Any], coding: str
) -> None:
    inflated = b" " * (64 * MIB)
    bomb = gzip.compress(inflated) if coding == "gzip" else zlib.compress(inflated)
    assert len(bomb) < MIB // 4
    scripted_server.script(Reply(200, bomb, headers={"Content-Encoding": coding}))
    configuration = Configuration(host=scripted_server.url, max_response_size=MIB, retries=0)
    with pytest.raises(ApiResponseTooLargeError) as caught:
        call(configuration)
    assert caught.value.limit == MIB


@both
@pytest.mark.parametrize(
    "coding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
    ],
    ids=["gzip", "deflate", "raw-deflate", "gzip-twice"],
)
def test_compressed_answers_within_the_limit_are_read(
    scripted_server: ScriptedServer, call: Callable[..., Any], coding: str, encode: Any
) -> None:
    models = {"iterable": [{**_model(n)} for n in range(200)]}
    body = encode(json.dumps(models).encode())
    scripted_server.script(Reply(200, body, headers={"Content-Encoding": coding}))
    snapshot = call(Configuration(host=scripted_server.url, retries=0))
    assert [m.name for m in snapshot.iterable] == [f"model-{n}" for n in range(200)]


@both
def test_an_unknown_content_encoding_is_a_typed_error(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    scripted_server.script(Reply(200, b"\x00\x01", headers={"Content-Encoding": "compress"}))
    with pytest.raises(OpenApiException, match="Content-Encoding"):
        call(Configuration(host=scripted_server.url, retries=0))


@both
def test_no_limit_when_the_setting_is_none(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    padding = " " * (2 * MIB)
    scripted_server.script(Reply(200, b'{"iterable": []' + padding.encode() + b"}"))
    configuration = Configuration(host=scripted_server.url, max_response_size=None)
    assert call(configuration).iterable == []


@pytest.mark.parametrize("bad", [0, -1, 1.5, "64MB", True])
def test_an_invalid_limit_is_refused_when_the_client_is_made(bad: Any) -> None:
    with pytest.raises(ApiValueError, match="max_response_size"):
        ApiClient(Configuration(max_response_size=bad))
    with pytest.raises(ApiValueError, match="max_response_size"):
        AsyncApiClient(Configuration(max_response_size=bad))


@both
def test_exception_texts_show_only_the_start_of_a_large_body(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    body = json.dumps({"error": "x" * MIB})
    scripted_server.script(Reply(500, body))
    with pytest.raises(ServiceException) as caught:
        call(Configuration(host=scripted_server.url, retries=0))
    assert caught.value.body == body  # kept whole for the program
    assert len(str(caught.value)) < SHOWN_BODY_CHARS + 1000  # shown in part
    assert "more characters" in str(caught.value)


# --- every failure typed ---------------------------------------------------------------------
@both
@pytest.mark.parametrize(
    "status, expected",
    [(200, ApiResponseValidationError), (404, NotFoundException), (500, ServiceException)],
)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        b'{"iterable": [' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"]}",
    ],
    ids=["arrays", "objects"],
)
def test_nesting_past_the_recursion_limit_is_a_typed_error(
    scripted_server: ScriptedServer,
    call: Callable[..., Any],
    status: int,
    expected: type,
    body: bytes,
) -> None:
    scripted_server.script(Reply(status, body, headers={"Content-Type": "application/json"}))
    with pytest.raises(expected) as caught:
        call(Configuration(host=scripted_server.url, retries=0))
    assert caught.value.status == status
    assert caught.value.body == body.decode()


# --- a number timeout is a deadline for the whole call ------------------------------------------
TRICKLED_BODY = SNAPSHOT + b" " * 30  # 45 bytes, one every 0.25 s: about 11 s in all


@both
@pytest.mark.parametrize("what", ["body", "headers"])
def test_a_number_timeout_bounds_a_trickling_answer(
    scripted_server: ScriptedServer, call: Callable[..., Any], what: str
) -> None:
    if what == "body":
        reply = Reply(200, TRICKLED_BODY, trickle=0.25)
    else:
        head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 40 + b"\r\nContent-Length: 15\r\n\r\n"
        reply = Reply(raw=head + SNAPSHOT, trickle=0.25)
    scripted_server.script(reply)
    # Every byte comes within the read timeout: only a deadline for the call raises.
    with pytest.raises(ApiTimeoutError) as caught:
        call(Configuration(host=scripted_server.url), _request_timeout=2)
    assert "2 s timeout" in str(caught.value)
    assert len(scripted_server.requests) == 1


@both
def test_a_urllib3_timeout_total_is_a_deadline_too(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    scripted_server.script(Reply(200, TRICKLED_BODY, trickle=0.25))
    with pytest.raises(ApiTimeoutError):  # every byte comes within any read timeout
        call(Configuration(host=scripted_server.url, timeout=urllib3.Timeout(connect=1, total=2)))


@both
def test_a_connect_read_pair_bounds_each_wait_not_the_call(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    """Each byte arrives within the read timeout, so the pair lets the slow answer through."""
    scripted_server.script(Reply(200, SNAPSHOT, trickle=0.1))  # about 1.5 s in all
    assert call(Configuration(host=scripted_server.url), _request_timeout=(1, 1)).iterable == []


@both
def test_a_retry_wait_past_the_deadline_ends_the_call_at_once(
    scripted_server: ScriptedServer, call: Callable[..., Any]
) -> None:
    scripted_server.script(Reply(503, headers={"Retry-After": "10"}))
    # (that the decision gives up before waiting: test_retry_timing.py)
    with pytest.raises(ApiTimeoutError, match="status 503") as caught:
        call(Configuration(host=scripted_server.url, retries=2), _request_timeout=2)
    assert len(scripted_server.requests) == 1
    assert "2 s timeout" in str(caught.value)
    assert len(scripted_server.requests) == 1


def _model(number: int) -> Dict[str, Any]:
    return {
        "id": f"id-{number}",
        "name": f"model-{number}",
        "version": "1.0",
        "cloud": False,
        "type": "SPEED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
    }


# --- memory stays near the limit, not the body (measured in a subprocess) -----------------------
_PEAK_MEMORY_SCRIPT = r"""
import asyncio, resource, socket, sys, threading, zlib

from pieces_os_client import ApiClient, ApiResponseTooLargeError, Configuration, ModelsApi
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

MIB = 1024 * 1024
kind = sys.argv[1]

def bomb_chunks():  # 512 MiB of spaces, gzipped as it is sent (about 2 MiB on the wire)
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = b" " * MIB
    for _ in range(512):
        yield packer.compress(block)
    yield packer.flush()

def plain_chunks():  # 400 MiB of spaces, never held in memory at once
    block = b" " * MIB
    for _ in range(400):
        yield block

def serve(listener):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        with sock:
            sock.recv(65536)
            encoding = "Content-Encoding: gzip\r\n" if kind == "bomb" else ""
            sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                         + encoding.encode() + b"Connection: close\r\n\r\n")
            try:
                for chunk in (bomb_chunks() if kind == "bomb" else plain_chunks()):
                    if chunk:
                        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the client stopped reading at its limit

listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=serve, args=(listener,), daemon=True).start()
config = Configuration(host=f"http://127.0.0.1:{listener.getsockname()[1]}", retries=0)

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def async_call():
    async with AsyncApiClient(config) as client:
        await AsyncModelsApi(client).models_snapshot()

before = peak_mib()
for run in ("sync", "async"):
    try:
        if run == "sync":
            with ApiClient(config) as client:
                ModelsApi(client).models_snapshot()
        else:
            asyncio.run(async_call())
    except ApiResponseTooLargeError as error:
        assert error.limit == 64 * MIB, error.limit
    else:
        raise SystemExit(f"{run}: no ApiResponseTooLargeError")
print(round(peak_mib() - before))
"""


@pytest.mark.parametrize("kind", ["bomb", "plain"])
def test_peak_memory_stays_near_the_default_limit(kind: str) -> None:
    """A 512 MiB gzip bomb and a 400 MiB chunked body, against the default 64 MiB limit."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_SCRIPT, kind],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    growth_mib = int(result.stdout.split()[-1])
    assert growth_mib < 64 + 48, growth_mib  # the limit plus working room, not the body


_MEMORY_ERROR_SCRIPT = r"""
import asyncio, resource, socket, sys, threading

from pieces_os_client import ApiClient, Configuration, ModelsApi, ServiceException
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

BODY = b"[" + b"0," * 20_000_000 + b"0]"  # 40 MB of JSON, a 160 MB list once parsed

def serve(listener):
    while True:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        with sock:
            sock.recv(65536)
            sock.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY))
            sock.sendall(BODY)

listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=serve, args=(listener,), daemon=True).start()
config = Configuration(host=f"http://127.0.0.1:{listener.getsockname()[1]}", retries=0)

async def async_call():
    async with AsyncApiClient(config) as client:
        await AsyncModelsApi(client).models_snapshot()

def vm_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()

asyncio.run(asyncio.sleep(0))  # the event loop machinery is loaded before the limit is set
limit = vm_bytes() + int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
for run in ("sync", "async"):
    try:
        if run == "sync":
            with ApiClient(config) as client:
                ModelsApi(client).models_snapshot()
        else:
            asyncio.run(async_call())
    except ServiceException as error:
        print(run, error.status, error.data is None, len(error.body) == len(BODY))
"""


def test_running_out_of_memory_while_parsing_is_still_a_typed_error() -> None:
    """Address space capped (RLIMIT_AS) so a 40 MB JSON error body can be read but not parsed."""
    import os
    import subprocess
    import sys

    resource = pytest.importorskip("resource")
    assert resource.RLIMIT_AS is not None
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_ERROR_SCRIPT, "150"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MALLOC_ARENA_MAX": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # Typed, status and whole body kept, data None: json.loads ran out of memory.
    assert result.stdout.split("\n")[:2] == ["sync 500 True True", "async 500 True True"]


def test_the_published_three_step_api_types_deep_nesting_too(
    scripted_server: ScriptedServer,
) -> None:
    body = b"[" * 50_000 + b"]" * 50_000
    scripted_server.script(Reply(200, body, headers={"Content-Type": "application/json"}))
    with ApiClient(Configuration(host=scripted_server.url, retries=0)) as client:
        response = client.call_api(*client.param_serialize("GET", "/models")[:4])
        response.read()
        with pytest.raises(ApiResponseValidationError):
            client.response_deserialize(response, {"200": "List[object]"})
