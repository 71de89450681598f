"""AsyncApiClient's transport against LocalPiecesOS: retries, timeouts, cancellation,
concurrency, and event loops coming and going.

No pytest-asyncio: each test drives its coroutine with ``asyncio.run`` (bounded by wait_for).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any, Coroutine, List, TypeVar

import aiohttp
import pytest
from _scripted_server import QuickRetries, free_port

from pieces_os_client import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    Configuration,
    GroupedTimestamp,
    Models,
    SeededModel,
    ServiceException,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.exceptions import CONNECTION_HINT
from pieces_os_client.testing import LocalPiecesOS

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def retry_lines(caplog: pytest.LogCaptureFixture) -> List[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "pieces_os_client" and r.getMessage().startswith("retrying")
    ]


# --- retries -------------------------------------------------------------------------------------
def test_a_503_is_retried_and_the_retry_logged(
    local_pieces_os: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    server = local_pieces_os
    server.fail_next(1, status=503, path="/models")

    async def main() -> Models:
        async with AsyncApiClient(server.configuration()) as api_client:
            return await AsyncModelsApi(api_client).models_snapshot()

    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        snapshot = run(main())
    assert len(snapshot.iterable) == len(server.models())
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/models")] * 2
    assert retry_lines(caplog) == ["retrying GET /models after status 503 (1 retry left)"]


def test_a_retry_policy_in_the_configuration_is_followed(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os
    server.fail_next(3, status=504, path="/models/unload")

    async def main() -> None:
        configuration = server.configuration(retries=QuickRetries.from_count(3))
        async with AsyncApiClient(configuration) as api_client:
            await AsyncModelsApi(api_client).unload_models()

    run(main())
    # three retries (the default policy has two, and would have answered with the 504)
    assert [r.path for r in server.requests] == ["/models/unload"] * 4


@pytest.mark.slow
def test_retry_after_is_honoured_for_a_post(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os
    server.fail_next(1, status=429, retry_after=1, path="/models/unload")

    async def main() -> float:
        async with AsyncApiClient(server.configuration()) as api_client:
            started = time.monotonic()
            await AsyncModelsApi(api_client).unload_models()
            return time.monotonic() - started

    elapsed = run(main(), timeout=60)
    # The real clock is wired: a sleep never ends early; the upper bound only catches a hang.
    # (The seconds themselves are tested on the decision: test_retry_timing.py.)
    assert 1.0 <= elapsed < 30
    assert [r.path for r in server.requests] == ["/models/unload"] * 2


def test_retries_stop_after_configuration_retries(
    local_pieces_os: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    server = local_pieces_os

    async def main() -> List[ApiException]:
        errors: List[ApiException] = []
        quick = server.configuration(retries=QuickRetries.from_count(1))
        async with AsyncApiClient(quick) as one_retry:
            server.fail_next(3, status=502, path="/models")
            with pytest.raises(ServiceException) as caught:
                await AsyncModelsApi(one_retry).models_snapshot()
            errors.append(caught.value)
        server.reset()
        async with AsyncApiClient(server.configuration(retries=0)) as no_retry:
            server.fail_next(1, status=429, path="/models/unload")
            with pytest.raises(ApiException) as caught_429:
                await AsyncModelsApi(no_retry).unload_models()
            errors.append(caught_429.value)
        return errors

    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        bad_gateway, too_many = run(main())
    assert bad_gateway.status == 502 and "injected failure" in (bad_gateway.body or "")
    assert too_many.status == 429
    assert [r.path for r in server.requests] == ["/models/unload"]  # after reset: one attempt
    assert len(retry_lines(caplog)) == 1


def test_a_refused_connection_is_retried_then_names_the_url_and_the_hint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = f"http://127.0.0.1:{free_port()}"

    async def main() -> ApiConnectionError:
        configuration = Configuration(host=host, retries=QuickRetries.from_count(1))
        async with AsyncApiClient(configuration) as api_client:
            with pytest.raises(ApiConnectionError) as caught:
                await AsyncModelsApi(api_client).unload_models()  # a POST: retried all the same
            return caught.value

    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        error = run(main())
    assert not isinstance(error, ApiTimeoutError)
    assert isinstance(error, ConnectionError)
    assert error.method == "POST" and error.url == f"{host}/models/unload"
    assert str(error).startswith(f"POST {host}/models/unload: could not connect")
    assert CONNECTION_HINT in str(error)
    assert isinstance(error.__cause__, aiohttp.ClientConnectorError)
    assert len(retry_lines(caplog)) == 1


def test_a_dropped_get_is_retried_but_a_dropped_post_is_not(
    local_pieces_os: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    server = local_pieces_os

    async def main() -> ApiConnectionError:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            server.drop_next(1, path="/models")
            assert (await api.models_snapshot()).iterable
            server.drop_next(1, path="/models/unload")
            with pytest.raises(ApiConnectionError) as caught:
                await api.unload_models()
            return caught.value

    with caplog.at_level(logging.INFO, logger="pieces_os_client"):
        error = run(main())
    assert [line.split(" after ")[0] for line in retry_lines(caplog)] == ["retrying GET /models"]
    assert "broke before the answer was complete" in str(error)
    assert f"{server.url}/models/unload" in str(error)
    assert [r.path for r in server.requests] == ["/models", "/models", "/models/unload"]


# --- timeouts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["per_call", "configured_pair"])
def test_a_slow_answer_times_out_without_a_retry(local_pieces_os: LocalPiecesOS, how: str) -> None:
    server = local_pieces_os
    server.delay_next(1, 2.0, path="/models")
    timeout = (2.0, 0.2) if how == "configured_pair" else (5.0, 120.0)

    async def main() -> None:
        async with AsyncApiClient(server.configuration(timeout=timeout)) as api_client:
            api = AsyncModelsApi(api_client)
            # An error, not the answer the server sends after 2 s: the timeout ended the call.
            with pytest.raises(ApiTimeoutError) as caught:
                if how == "per_call":
                    await api.models_snapshot(_request_timeout=0.2)
                else:
                    await api.models_snapshot()
            error = caught.value
            assert isinstance(error, TimeoutError) and isinstance(error, ApiConnectionError)
            assert str(error).startswith(f"GET {server.url}/models: timed out")
            assert "_request_timeout" in str(error)
            # the client is still usable
            assert (await api.models_snapshot()).iterable

    run(main())
    # On a loaded machine the server may read the timed-out request after the second one.
    deadline = time.monotonic() + 5
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.path for r in server.requests] == ["/models", "/models"]


# --- cancellation and concurrency ---------------------------------------------------------------
def test_cancelling_an_in_flight_call_leaves_the_client_usable(
    local_pieces_os: LocalPiecesOS,
) -> None:
    server = local_pieces_os
    server.delay_next(1, 5.0, path="/models")

    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            call = asyncio.ensure_future(api.models_snapshot())
            while not server.requests:  # wait until the request is on the server
                await asyncio.sleep(0.01)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):  # not the answer, 5 s later
                await call
            snapshot, unloaded = await asyncio.gather(api.models_snapshot(), api.unload_models())
            assert snapshot.iterable and unloaded is None

    run(main())
    paths = [r.path for r in server.requests]
    # The cancelled call first; the two gathered calls run concurrently, in either order.
    assert paths[0] == "/models"
    assert sorted(paths[1:]) == ["/models", "/models/unload"]


def test_a_hundred_concurrent_calls_on_one_client(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os

    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            snapshots = await asyncio.gather(*(api.models_snapshot() for _ in range(50)))
            created = await asyncio.gather(
                *(api.models_create_new_model(_seed(f"m{i}")) for i in range(50))
            )
            assert all(s == snapshots[0] for s in snapshots)
            assert len({m.id for m in created}) == 50

    run(main(), timeout=30)
    assert len(server.requests) == 100
    assert {f"m{i}" for i in range(50)} <= {m.name for m in server.models()}


# --- event loops ---------------------------------------------------------------------------------
def test_repeated_asyncio_run_with_new_clients(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os

    async def main(i: int) -> str:
        async with AsyncApiClient(server.configuration()) as api_client:
            return (await AsyncModelsApi(api_client).models_create_new_model(_seed(f"r{i}"))).name

    assert [asyncio.run(main(i)) for i in range(3)] == ["r0", "r1", "r2"]
    gc.collect()  # an unclosed session or socket would warn here (warnings are errors)


def test_one_client_across_event_loops(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os
    api_client = AsyncApiClient(server.configuration())
    api = AsyncModelsApi(api_client)
    # Never closed explicitly: each asyncio.run() closes that loop's session on its way out.
    for _ in range(3):
        assert asyncio.run(asyncio.wait_for(api.models_snapshot(), 10)).iterable

    async def close_and_reuse() -> None:
        await api.unload_models()
        await api_client.close()
        await api.unload_models()  # reconnects on demand, like ApiClient after close()
        await api_client.close()

    run(close_and_reuse())
    gc.collect()
    assert len(server.requests) == 5


def _seed(name: str) -> SeededModel:
    return SeededModel(
        name=name,
        version="1.0",
        cloud=False,
        type="SPEED",
        usage="CODE_GENERATION",
        created=GroupedTimestamp(value="2024-05-01T12:00:00Z"),
    )
