"""Slow servers and servers that hang up: every call ends within its timeout, with our errors."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from _scripted_server import MODEL_JSON, QuickRetries, Reply, ScriptedServer

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiTimeoutError,
    Configuration,
    ModelsApi,
)
from pieces_os_client.configuration import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from pieces_os_client.rest import make_timeout

SLOW = 3.0  # the server's delay; every timeout below is well under it
TIMEOUT = 0.5


def _timed_out(action: Callable[[], Any]) -> BaseException:
    """The ApiTimeoutError ``action`` raises: the server answers only after SLOW seconds, far
    past every timeout here, so an error (not an answer) shows the timeout ended the call."""
    with pytest.raises(ApiTimeoutError) as caught:
        action()
    return caught.value


@pytest.mark.parametrize("timeout", [TIMEOUT, (1.0, TIMEOUT)], ids=["number", "pair"])
def test_global_timeout_bounds_a_slow_get(scripted_server: ScriptedServer, timeout: Any) -> None:
    scripted_server.script(Reply(200, {"iterable": []}, delay=SLOW))
    with ApiClient(Configuration(host=scripted_server.url, timeout=timeout)) as client:
        error = _timed_out(ModelsApi(client).models_snapshot)
    assert isinstance(error, ApiConnectionError) and isinstance(error, TimeoutError)
    assert f"{scripted_server.url}/models" in str(error)
    assert "timeout" in str(error)
    # A read timeout is not retried: the caller's timeout bounds the whole call.
    assert len(scripted_server.requests) == 1


@pytest.mark.parametrize("timeout", [TIMEOUT, (1.0, TIMEOUT)], ids=["number", "pair"])
def test_per_call_timeout_overrides_the_global_one(
    scripted_server: ScriptedServer, timeout: Any
) -> None:
    scripted_server.script(Reply(204, delay=SLOW))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        api = ModelsApi(client)
        _timed_out(lambda: api.unload_models(_request_timeout=timeout))
    assert len(scripted_server.requests) == 1


def test_per_call_timeout_applies_to_every_variant(scripted_server: ScriptedServer) -> None:
    scripted_server.script(*(Reply(200, MODEL_JSON, delay=SLOW) for _ in range(2)))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        api = ModelsApi(client)
        _timed_out(lambda: api.models_create_new_model_with_http_info(_request_timeout=0.3))
        _timed_out(
            lambda: api.models_create_new_model_without_preload_content(_request_timeout=0.3)
        )
    assert len(scripted_server.requests) == 2


def test_read_timeout_on_post_is_not_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(200, MODEL_JSON, delay=SLOW))
    config = Configuration(host=scripted_server.url, timeout=TIMEOUT, retries=3)
    with ApiClient(config) as client:
        _timed_out(ModelsApi(client).models_create_new_model)
    assert len(scripted_server.requests) == 1


def test_a_generous_timeout_lets_a_slow_answer_through(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(204, delay=0.3))
    with ApiClient(Configuration(host=scripted_server.url, timeout=(1, 2))) as client:
        assert ModelsApi(client).unload_models() is None


def test_default_timeout_is_finite() -> None:
    timeout = make_timeout(Configuration().timeout)
    assert (timeout.connect_timeout, timeout.read_timeout) == (
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_READ_TIMEOUT,
    )
    assert (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT) == (5.0, 120.0)


@pytest.mark.parametrize("bad", [0, -1, "5", (1,), (1, 0), True, None])
def test_invalid_timeout_is_refused_before_sending(
    scripted_server: ScriptedServer, bad: Any
) -> None:
    from pieces_os_client import ApiValueError

    with ApiClient(Configuration(host=scripted_server.url)) as client:
        api = ModelsApi(client)
        if bad is None:
            # None means "use the configured timeout", as in the published SDK.
            api.unload_models(_request_timeout=None)
        else:
            with pytest.raises(ApiValueError):
                api.unload_models(_request_timeout=bad)
    assert scripted_server.accepted == (1 if bad is None else 0)


# --- a server that hangs up mid-answer ------------------------------------------------------
def _truncated(body: bytes) -> Reply:
    """Declares the full length, sends a third of the bytes, closes the connection."""
    return Reply(200, body[: len(body) // 3], declared_length=len(body))


def test_get_dropped_mid_response_is_retried(scripted_server: ScriptedServer) -> None:
    body = b'{"iterable": []}'
    scripted_server.script(_truncated(body))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        snapshot = ModelsApi(client).models_snapshot()
    # The second attempt got the server's full answer.
    assert [m.id for m in snapshot.iterable] == [MODEL_JSON["id"]]
    assert len(scripted_server.requests) == 2


def test_get_dropped_mid_response_every_time_is_a_connection_error(
    scripted_server: ScriptedServer,
) -> None:
    body = b'{"iterable": []}'
    scripted_server.script(*(_truncated(body) for _ in range(3)))
    config = Configuration(host=scripted_server.url, retries=QuickRetries.from_count(2))
    with ApiClient(config) as client, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(client).models_snapshot()
    assert not isinstance(caught.value, ApiTimeoutError)
    assert f"{scripted_server.url}/models" in str(caught.value)
    assert len(scripted_server.requests) == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.models_create_new_model(),
        lambda api: api.models_delete_specific_model_cache_with_http_info("m"),
    ],
    ids=["create", "delete_cache"],
)
def test_post_dropped_mid_response_is_not_retried(
    scripted_server: ScriptedServer, call: Callable[[ModelsApi], Any]
) -> None:
    import json

    scripted_server.script(_truncated(json.dumps(MODEL_JSON).encode()))
    client = ApiClient(Configuration(host=scripted_server.url))
    with client, pytest.raises(ApiConnectionError) as caught:
        call(ModelsApi(client))
    assert "PIECES_OS_URL" in str(caught.value)
    assert len(scripted_server.requests) == 1


def test_post_dropped_before_answering_is_not_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(drop=True))
    client = ApiClient(Configuration(host=scripted_server.url))
    with client, pytest.raises(ApiConnectionError):
        ModelsApi(client).unload_models()
    assert len(scripted_server.requests) == 1


def test_get_dropped_before_answering_is_retried(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(drop=True))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        assert len(ModelsApi(client).models_snapshot().iterable) == 1
    assert len(scripted_server.requests) == 2


def test_body_that_stops_coming_times_out_and_is_not_retried(
    scripted_server: ScriptedServer,
) -> None:
    """Headers and part of the body arrive, then nothing: a read timeout, even for a GET."""
    scripted_server.script(Reply(200, b'{"iter', declared_length=30, stall=SLOW))
    with ApiClient(Configuration(host=scripted_server.url, timeout=(1, TIMEOUT))) as client:
        _timed_out(ModelsApi(client).models_snapshot)
    assert len(scripted_server.requests) == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"NOT HTTP AT ALL\r\n\r\n",
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"ite\r\n',
    ],
    ids=["garbage-status-line", "chunked-cut-short"],
)
def test_broken_answers_are_connection_errors(scripted_server: ScriptedServer, raw: bytes) -> None:
    scripted_server.script(*(Reply(raw=raw) for _ in range(3)))
    config = Configuration(host=scripted_server.url, retries=0)
    with ApiClient(config) as client, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(client).models_snapshot()
    assert not isinstance(caught.value, ApiTimeoutError)
    assert caught.value.url == f"{scripted_server.url}/models"


def test_call_api_honours_request_timeout(scripted_server: ScriptedServer) -> None:
    """The published SDK's three-step API takes ``_request_timeout`` too."""
    scripted_server.script(Reply(200, {"iterable": []}, delay=SLOW))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        method, url, headers, body, post = client.param_serialize("GET", "/models")
        _timed_out(
            lambda: client.call_api(method, url, headers, body, post, _request_timeout=TIMEOUT)
        )
