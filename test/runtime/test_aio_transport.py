"""What only the async transport has, against LocalPiecesOS: cancellation, concurrency on one
client, and event loops coming and going. (Retries, timeouts and errors, the same for both
clients, are in test_runtime_calls.py, run against each.)

No pytest-asyncio: each test drives its coroutine with ``asyncio.run`` (bounded by wait_for).
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Coroutine, TypeVar

import pytest

from pieces_os_client import GroupedTimestamp, SeededModel
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.testing import LocalPiecesOS

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


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
