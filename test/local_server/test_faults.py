"""Fault injection on LocalPiecesOS, and the SDK's retry and timeout behaviour end to end."""

from __future__ import annotations

import time
from typing import List, Tuple

import pytest

from pieces_os_client import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ModelsApi,
    SeededModel,
    ServiceException,
)
from pieces_os_client.testing import LocalPiecesOS, builtin_catalogue


def seed() -> SeededModel:
    return SeededModel.model_validate(
        {
            "name": "fault-model",
            "version": "1",
            "cloud": False,
            "type": "SPEED",
            "usage": "CODE_GENERATION",
            "created": {"value": "2024-01-01T00:00:00Z"},
        }
    )


def calls(server: LocalPiecesOS) -> List[Tuple[str, str]]:
    return [(r.method, r.path) for r in server.requests]


# --- fail_next -------------------------------------------------------------------------------


def test_503_with_retry_after_is_retried_once_then_succeeds(
    server: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    # Retry-After: 0, so nothing waits; the seconds a Retry-After asks for are the decision's
    # (test_retry_timing.py), the real wait is proven in test_runtime_calls.py (slow).
    server.fail_next(1, status=503, retry_after=0, path="/models")
    with server.client(retries=2) as client, caplog.at_level("INFO", "pieces_os_client"):
        snapshot = ModelsApi(client).models_snapshot()
    assert len(snapshot.iterable) == len(builtin_catalogue())
    assert calls(server) == [("GET", "/models"), ("GET", "/models")]  # exactly one retry
    assert [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()] == [
        "retrying GET /models after status 503 (1 retry left)"
    ]


def test_a_retried_create_creates_one_model(server: LocalPiecesOS) -> None:
    server.fail_next(1, status=503, retry_after=0, path="/models/create")
    with server.client(retries=1) as client:
        created = ModelsApi(client).models_create_new_model(seed())
    assert calls(server) == [("POST", "/models/create")] * 2
    assert [m.id for m in server.models() if m.custom] == [created.id]


def test_when_retries_run_out_the_last_answer_is_raised(server: LocalPiecesOS) -> None:
    server.fail_next(2, status=503, retry_after=0)
    with server.client(retries=1) as client, pytest.raises(ServiceException) as caught:
        ModelsApi(client).unload_models()
    assert caught.value.status == 503
    assert caught.value.headers is not None and caught.value.headers["Retry-After"] == "0"
    assert caught.value.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert (
        caught.value.body == "injected failure: 503 Service Unavailable (LocalPiecesOS.fail_next)"
    )
    assert len(server.requests) == 2
    assert any(m.loaded for m in server.models())  # a failed request changes nothing


def test_500_is_not_retried_and_carries_the_body(server: LocalPiecesOS) -> None:
    server.fail_next(1, status=500, body={"error": "database is locked"})
    with server.client(retries=3) as client, pytest.raises(ServiceException) as caught:
        ModelsApi(client).models_snapshot()
    assert caught.value.status == 500 and caught.value.data == {"error": "database is locked"}
    assert len(server.requests) == 1


def test_a_text_body_and_a_4xx_status(server: LocalPiecesOS) -> None:
    server.fail_next(1, status=429, body="slow down", path="/models/unload")
    with server.client(retries=0) as client:
        api = ModelsApi(client)
        api.models_snapshot()  # another path: not affected
        with pytest.raises(ApiException) as caught:
            api.unload_models()
    assert caught.value.status == 429 and caught.value.body == "slow down"
    assert caught.value.headers is not None
    assert caught.value.headers["Content-Type"].startswith("text/plain")


def test_fail_next_counts_down(server: LocalPiecesOS) -> None:
    server.fail_next(2, status=502)
    with server.client(retries=0) as client:
        api = ModelsApi(client)
        statuses = []
        for _ in range(3):
            try:
                api.models_snapshot()
                statuses.append(200)
            except ApiException as error:
                statuses.append(int(error.status or 0))
    assert statuses == [502, 502, 200]


def test_a_2xx_can_be_injected_too(server: LocalPiecesOS) -> None:
    # A server that answers 200 with a body of the wrong shape: the SDK says so.
    from pieces_os_client import ApiResponseValidationError

    server.fail_next(1, status=200, body={"unexpected": True})
    with server.client(retries=0) as client, pytest.raises(ApiResponseValidationError):
        ModelsApi(client).models_snapshot()


# --- delay_next ------------------------------------------------------------------------------


def test_a_delay_beyond_the_timeout_raises_api_timeout_error(server: LocalPiecesOS) -> None:
    server.delay_next(1, 3.0, path="/models")
    # An error, not the answer sent after 3 s: the timeout ended the call.
    with server.client(retries=2) as client, pytest.raises(ApiTimeoutError) as caught:
        ModelsApi(client).models_snapshot(_request_timeout=0.5)
    assert "timed out" in str(caught.value) and caught.value.url.endswith("/models")
    assert isinstance(caught.value, ApiConnectionError) and isinstance(caught.value, TimeoutError)
    assert len(server.requests) == 1  # a read timeout is not retried


def test_a_delay_within_the_timeout_only_slows_the_answer(server: LocalPiecesOS) -> None:
    server.delay_next(1, 0.3)
    with server.client(retries=0) as client:
        started = time.monotonic()
        ModelsApi(client).unload_models(_request_timeout=(2, 2))
        assert time.monotonic() - started >= 0.3
    assert not any(m.loaded for m in server.models())


def test_delay_and_failure_combine(server: LocalPiecesOS) -> None:
    server.delay_next(1, 0.2)
    server.fail_next(1, status=500)
    with server.client(retries=0) as client:
        started = time.monotonic()
        with pytest.raises(ServiceException):
            ModelsApi(client).models_snapshot()
        assert time.monotonic() - started >= 0.2


# --- drop_next -------------------------------------------------------------------------------


def test_a_dropped_post_raises_api_connection_error(server: LocalPiecesOS) -> None:
    server.drop_next(1, path="/models/unload")
    with server.client(retries=2) as client, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(client).unload_models()
    assert not isinstance(caught.value, ApiTimeoutError)
    assert caught.value.method == "POST"
    # A POST the server may have seen is never sent twice.
    assert calls(server) == [("POST", "/models/unload")]
    assert any(m.loaded for m in server.models())


def test_a_dropped_get_is_retried(server: LocalPiecesOS) -> None:
    server.drop_next(1)
    with server.client(retries=1) as client:
        assert ModelsApi(client).models_snapshot().iterable
    assert calls(server) == [("GET", "/models")] * 2


def test_a_dropped_get_without_retries_fails(server: LocalPiecesOS) -> None:
    server.drop_next(1)
    with server.client(retries=0) as client:
        api = ModelsApi(client)
        with pytest.raises(ApiConnectionError):
            api.models_snapshot()
        # The client recovers on its next call (a fresh connection).
        assert api.models_snapshot().iterable


# --- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.fail_next(0),
        lambda s: s.fail_next(1, status=99),
        lambda s: s.fail_next(1, status=600),
        lambda s: s.fail_next(1, retry_after=1.5),
        lambda s: s.fail_next(1, retry_after=-1),
        lambda s: s.fail_next(1, path="models"),
        lambda s: s.delay_next(1, -1),
        lambda s: s.delay_next(True, 1),
        lambda s: s.drop_next(-2),
    ],
)
def test_bad_fault_arguments_are_refused(server: LocalPiecesOS, call: object) -> None:
    with pytest.raises(ValueError):
        call(server)  # type: ignore[operator]
    with server.client(retries=0) as client:
        ModelsApi(client).models_snapshot()  # nothing was queued
