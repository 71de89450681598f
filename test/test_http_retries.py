"""Retries: which answers are sent again, how long the SDK waits, and when it gives up."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import pytest
from _scripted_server import MODEL_JSON, QuickRetries, Reply, ScriptedServer, free_port

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiException,
    ApiValueError,
    Configuration,
    ModelsApi,
    ServiceException,
)
from pieces_os_client.configuration import DEFAULT_RETRIES
from pieces_os_client.rest import RetryPolicy


def _api(server: ScriptedServer, **settings: Any) -> ModelsApi:
    return ModelsApi(ApiClient(Configuration(host=server.url, **settings)))


ALL_CALLS: list[tuple[str, Callable[[ModelsApi], Any]]] = [
    ("snapshot", lambda api: api.models_snapshot()),
    ("create", lambda api: api.models_create_new_model()),
    ("delete", lambda api: api.models_delete_specific_model("m")),
    ("delete_cache", lambda api: api.models_delete_specific_model_cache("m")),
    ("unload", lambda api: api.unload_models()),
]


@pytest.mark.slow
def test_503_with_retry_after_1_then_200_retries_once_after_about_a_second(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script(Reply(503, {"error": "warming up"}, headers={"Retry-After": "1"}))
    api = _api(scripted_server)
    started = time.monotonic()
    snapshot = api.models_snapshot()
    elapsed = time.monotonic() - started
    assert [m.id for m in snapshot.iterable] == [MODEL_JSON["id"]]
    first, second = scripted_server.requests
    # The real clock is wired: a sleep never ends early; the upper bound only catches a hang.
    # (The seconds themselves are tested on the decision: test_retry_timing.py.)
    assert second.at - first.at >= 1.0 and elapsed < 30
    api.api_client.close()


def test_retry_after_is_capped(scripted_server: ScriptedServer) -> None:
    """A server asking for an hour does not make the SDK sleep for an hour."""
    policy = RetryPolicy.from_count(1)
    assert RetryPolicy.RETRY_AFTER_MAX == 30.0

    class _Answer:
        headers = {"Retry-After": "3600"}

    assert policy.get_retry_after(_Answer()) == 30.0


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize(("name", "call"), ALL_CALLS, ids=[c[0] for c in ALL_CALLS])
def test_not_now_statuses_are_retried_for_every_endpoint(
    scripted_server: ScriptedServer, status: int, name: str, call: Callable[[ModelsApi], Any]
) -> None:
    scripted_server.script(Reply(status, {"error": "not now"}))
    api = _api(scripted_server, retries=QuickRetries.from_count(2))
    call(api)
    first, second = scripted_server.requests
    assert first.request_line == second.request_line
    assert first.body == second.body
    api.api_client.close()


def test_default_is_two_retries_then_the_error_status(scripted_server: ScriptedServer) -> None:
    assert DEFAULT_RETRIES == 2
    scripted_server.script(*(Reply(502, {"error": "gateway"}) for _ in range(5)))
    api = _api(scripted_server, retries=QuickRetries.from_count(DEFAULT_RETRIES))
    with pytest.raises(ServiceException) as caught:
        api.models_snapshot()
    assert caught.value.status == 502
    assert len(scripted_server.requests) == 3
    api.api_client.close()


@pytest.mark.parametrize("retries", [0, None])
def test_retries_0_turns_retries_off(scripted_server: ScriptedServer, retries: Any) -> None:
    scripted_server.script(Reply(503, headers={"Retry-After": "1"}), Reply(drop=True))
    api = _api(scripted_server, retries=retries)
    # With a retry, the first call would get the dropped answer, then a 200, and not fail.
    with pytest.raises(ServiceException):
        api.models_snapshot()
    with pytest.raises(ApiConnectionError):
        api.models_snapshot()
    assert len(scripted_server.requests) == 2
    api.api_client.close()


def test_retries_0_with_connection_refused_fails_at_once(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        ApiClient(Configuration(host=url, retries=0)) as client,
        caplog.at_level(logging.INFO, logger="pieces_os_client"),
        pytest.raises(ApiConnectionError),
    ):
        ModelsApi(client).models_snapshot()
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]  # each retry is logged


@pytest.mark.parametrize("bad", [-1, "2", 1.5, True])
def test_invalid_retries_are_refused(bad: Any) -> None:
    with pytest.raises(ApiValueError, match="retries"):
        ApiClient(Configuration(host="http://127.0.0.1:9", retries=bad))


def test_error_statuses_that_are_not_not_now_are_never_retried(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script(Reply(500), Reply(400), Reply(404))
    api = _api(scripted_server, retries=QuickRetries.from_count(3))
    for _ in range(3):
        with pytest.raises(ApiException):
            api.models_snapshot()
    assert len(scripted_server.requests) == 3
    api.api_client.close()


def test_each_retry_is_logged(
    scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_server.script(Reply(503), Reply(429))
    api = _api(scripted_server, retries=QuickRetries.from_count(2))
    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        api.unload_models()
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2
    assert "/models/unload" in retries[0] and "503" in retries[0]
    assert "429" in retries[1]
    assert all(r.name == "pieces_os_client" for r in caplog.records if "retrying" in r.msg)
    api.api_client.close()


def test_a_user_supplied_urllib3_retry_is_used_as_is(scripted_server: ScriptedServer) -> None:
    from urllib3.util.retry import Retry

    scripted_server.script(Reply(500), Reply(500))
    custom = Retry(total=1, status_forcelist=[500], backoff_factor=0, raise_on_status=False)
    api = _api(scripted_server, retries=custom)
    with pytest.raises(ServiceException):
        api.models_snapshot_with_http_info()
    assert len(scripted_server.requests) == 2  # the first try and one retry
    api.api_client.close()


def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script(Reply(503, headers={"Retry-After": "soon, promise"}), Reply(204))
    api = _api(scripted_server, retries=QuickRetries.from_count(2))
    assert api.unload_models_with_http_info().status_code == 204
    assert len(scripted_server.requests) == 2
    api.api_client.close()
