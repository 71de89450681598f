"""The runtime's behaviour for one call, written once and run against the sync ``ApiClient``
and the async ``AsyncApiClient`` (the ``client`` fixture): which answers are sent again, when
the SDK gives up, what a timeout ends, and what each retry logs.

The seconds between attempts are the retry decision's, tested exactly on its own
(test_retry_timing.py); the one test here that waits them for real is marked ``slow``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, List

import pytest
from _both import Runtime
from _scripted_server import MODEL_JSON, QuickRetries, Reply, ScriptedServer, free_port

from pieces_os_client import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    Configuration,
    ServiceException,
)
from pieces_os_client.configuration import DEFAULT_RETRIES
from pieces_os_client.exceptions import CONNECTION_HINT
from pieces_os_client.testing import LocalPiecesOS

ALL_CALLS: List[tuple] = [
    ("snapshot", lambda api: api.models_snapshot()),
    ("create", lambda api: api.models_create_new_model()),
    ("delete", lambda api: api.models_delete_specific_model("m")),
    ("delete_cache", lambda api: api.models_delete_specific_model_cache("m")),
    ("unload", lambda api: api.unload_models()),
]


def retry_lines(caplog: pytest.LogCaptureFixture) -> List[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "pieces_os_client" and r.getMessage().startswith("retrying")
    ]


# --- what is sent again --------------------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize(("name", "call"), ALL_CALLS, ids=[c[0] for c in ALL_CALLS])
def test_not_now_statuses_are_retried_for_every_endpoint(
    client: Runtime,
    scripted_server: ScriptedServer,
    status: int,
    name: str,
    call: Callable[[Any], Any],
) -> None:
    scripted_server.script(Reply(status, {"error": "not now"}))
    call(client.models(Configuration(host=scripted_server.url, retries=QuickRetries.from_count(2))))
    first, second = scripted_server.requests
    assert first.request_line == second.request_line
    assert first.body == second.body


def test_a_503_is_retried_and_the_retry_logged(
    client: Runtime, scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_server.script(Reply(503, {"error": "warming up"}, headers={"Retry-After": "0"}))
    api = client.models(Configuration(host=scripted_server.url))
    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        snapshot = api.models_snapshot()
    assert [m.id for m in snapshot.iterable] == [MODEL_JSON["id"]]
    assert [r.request_line for r in scripted_server.requests] == ["GET /models HTTP/1.1"] * 2
    assert retry_lines(caplog) == ["retrying GET /models after status 503 (1 retry left)"]


def test_each_retry_is_logged(
    client: Runtime, scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_server.script(Reply(503), Reply(429))
    api = client.models(Configuration(host=scripted_server.url, retries=QuickRetries.from_count(2)))
    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        api.unload_models()
    lines = retry_lines(caplog)
    assert len(lines) == 2
    assert "/models/unload" in lines[0] and "503" in lines[0]
    assert "429" in lines[1]


def test_error_statuses_that_are_not_not_now_are_never_retried(
    client: Runtime, scripted_server: ScriptedServer
) -> None:
    scripted_server.script(Reply(500), Reply(400), Reply(404))
    api = client.models(Configuration(host=scripted_server.url, retries=QuickRetries.from_count(3)))
    for _ in range(3):
        with pytest.raises(ApiException):
            api.models_snapshot()
    assert len(scripted_server.requests) == 3


def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    client: Runtime, scripted_server: ScriptedServer
) -> None:
    scripted_server.script(Reply(503, headers={"Retry-After": "soon, promise"}), Reply(204))
    api = client.models(Configuration(host=scripted_server.url, retries=QuickRetries.from_count(2)))
    assert api.unload_models_with_http_info().status_code == 204
    assert len(scripted_server.requests) == 2


def test_a_dropped_get_is_retried_but_a_dropped_post_is_not(
    client: Runtime, server: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    api = client.models(server.configuration(retries=QuickRetries.from_count(2)))
    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        server.drop_next(1, path="/models")
        assert api.models_snapshot().iterable
        server.drop_next(1, path="/models/unload")
        with pytest.raises(ApiConnectionError) as caught:
            api.unload_models()
    assert [line.split(" after ")[0] for line in retry_lines(caplog)] == ["retrying GET /models"]
    assert "broke before the answer was complete" in str(caught.value)
    assert f"{server.url}/models/unload" in str(caught.value)
    assert [r.path for r in server.requests] == ["/models", "/models", "/models/unload"]


def test_a_refused_connection_is_retried_then_names_the_url_and_the_hint(
    client: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    api = client.models(Configuration(host=host, retries=QuickRetries.from_count(1)))
    with (
        caplog.at_level(logging.INFO, logger="pieces_os_client"),
        pytest.raises(ApiConnectionError) as caught,
    ):
        api.unload_models()  # a POST: retried all the same, nothing was sent
    error = caught.value
    assert not isinstance(error, ApiTimeoutError) and isinstance(error, ConnectionError)
    assert error.method == "POST" and error.url == f"{host}/models/unload"
    assert str(error).startswith(f"POST {host}/models/unload: could not connect")
    assert CONNECTION_HINT in str(error)
    assert len(retry_lines(caplog)) == 1


# --- how many times ------------------------------------------------------------------------------
def test_default_is_two_retries_then_the_error_status(
    client: Runtime, scripted_server: ScriptedServer
) -> None:
    assert DEFAULT_RETRIES == 2
    scripted_server.script(*(Reply(502, {"error": "gateway"}) for _ in range(5)))
    api = client.models(
        Configuration(host=scripted_server.url, retries=QuickRetries.from_count(DEFAULT_RETRIES))
    )
    with pytest.raises(ServiceException) as caught:
        api.models_snapshot()
    assert caught.value.status == 502 and "gateway" in (caught.value.body or "")
    assert len(scripted_server.requests) == 3


def test_a_retry_policy_in_the_configuration_is_followed(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.fail_next(3, status=504, path="/models/unload")
    client.models(server.configuration(retries=QuickRetries.from_count(3))).unload_models()
    # three retries (the default policy has two, and would have answered with the 504)
    assert [r.path for r in server.requests] == ["/models/unload"] * 4


def test_a_user_supplied_urllib3_retry_is_used_as_is(
    client: Runtime, scripted_server: ScriptedServer
) -> None:
    from urllib3.util.retry import Retry

    scripted_server.script(Reply(500), Reply(500))
    custom = Retry(total=1, status_forcelist=[500], backoff_factor=0, raise_on_status=False)
    api = client.models(Configuration(host=scripted_server.url, retries=custom))
    with pytest.raises(ServiceException):
        api.models_snapshot_with_http_info()
    assert len(scripted_server.requests) == 2  # the first try and one retry


@pytest.mark.parametrize("retries", [0, None])
def test_retries_0_turns_retries_off(
    client: Runtime, scripted_server: ScriptedServer, retries: Any
) -> None:
    scripted_server.script(Reply(503, headers={"Retry-After": "1"}), Reply(drop=True))
    api = client.models(Configuration(host=scripted_server.url, retries=retries))
    # With a retry, the first call would get the dropped answer, then a 200, and not fail.
    with pytest.raises(ServiceException):
        api.models_snapshot()
    with pytest.raises(ApiConnectionError):
        api.models_snapshot()
    assert len(scripted_server.requests) == 2


def test_retries_0_with_connection_refused_fails_at_once(
    client: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    api = client.models(Configuration(host=f"http://127.0.0.1:{free_port()}", retries=0))
    with (
        caplog.at_level(logging.INFO, logger="pieces_os_client"),
        pytest.raises(ApiConnectionError),
    ):
        api.models_snapshot()
    assert retry_lines(caplog) == []


@pytest.mark.parametrize("bad", [-1, "2", 1.5, True])
def test_invalid_retries_are_refused(client: Runtime, bad: Any) -> None:
    with pytest.raises(ApiValueError, match="retries"):
        client.models(Configuration(host="http://127.0.0.1:9", retries=bad))


# --- timeouts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["per_call", "configured_pair"])
def test_a_slow_answer_times_out_without_a_retry(
    client: Runtime, server: LocalPiecesOS, how: str
) -> None:
    server.delay_next(1, 3.0, path="/models")
    timeout = (2.0, 0.2) if how == "configured_pair" else (5.0, 120.0)
    api = client.models(server.configuration(timeout=timeout))
    # An error, not the answer the server sends after 3 s: the timeout ended the call.
    with pytest.raises(ApiTimeoutError) as caught:
        if how == "per_call":
            api.models_snapshot(_request_timeout=0.2)
        else:
            api.models_snapshot()
    error = caught.value
    assert isinstance(error, TimeoutError) and isinstance(error, ApiConnectionError)
    assert str(error).startswith(f"GET {server.url}/models: timed out")
    assert "_request_timeout" in str(error)
    assert api.models_snapshot().iterable  # the client is still usable
    # On a loaded machine the server may read the timed-out request after the second one.
    deadline = time.monotonic() + 10
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.path for r in server.requests] == ["/models", "/models"]


# --- the real clock ------------------------------------------------------------------------------
@pytest.mark.slow
def test_retry_after_1_is_waited_for_real(client: Runtime, scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(429, headers={"Retry-After": "1"}), Reply(204))
    api = client.models(Configuration(host=scripted_server.url))
    started = time.monotonic()
    api.unload_models()  # a POST: a "not now" answer is retried for every method
    elapsed = time.monotonic() - started
    first, second = scripted_server.requests
    # The real clock is wired: a sleep never ends early; the upper bound only catches a hang.
    assert second.at - first.at >= 1.0 and elapsed < 30
