"""The models stream and watcher end to end against LocalPiecesOS (sync and async).

The HTTP calls that change models (create, delete, delete-cache, unload) and the stream
that reports them go through the same LocalPiecesOS port, as with Pieces OS.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Iterator, List

import pytest
from _scripted_server import QuickRetries

from pieces_os_client import ModelsApi, SeededModel, ServiceException
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.stream import ModelsChange
from pieces_os_client.testing import LocalPiecesOS

PATIENCE = 10.0


@pytest.fixture(autouse=True)
def no_thread_left_behind(server: LocalPiecesOS) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + PATIENCE
    while set(threading.enumerate()) - before:
        assert time.monotonic() < deadline, set(threading.enumerate()) - before
        time.sleep(0.01)


def seed(name: str) -> SeededModel:
    return SeededModel.from_dict(
        {
            "name": name,
            "version": "1.0",
            "cloud": False,
            "type": "BALANCED",
            "usage": "CODE_GENERATION",
            "created": {"value": "2024-05-01T12:00:00Z"},
        }
    )  # type: ignore[return-value]


def wait_for_subscribers(server: LocalPiecesOS, count: int) -> None:
    deadline = time.monotonic() + PATIENCE
    while server.open_streams != count:
        assert time.monotonic() < deadline, f"{server.open_streams} streams open, not {count}"
        time.sleep(0.005)


def test_stream_reports_every_id_then_each_change(server: LocalPiecesOS) -> None:
    with server.client(api_key={"application": "plugin"}) as api_client:
        api = ModelsApi(api_client)
        with api.models_stream_identifiers() as stream:
            first = next(stream)
            assert {i.model.id for i in first.iterable if i.model} == {
                m.id for m in server.models()
            }
            created = api.models_create_new_model(seed("mine"))
            message = next(stream)
            assert [(i.model.id, i.deleted) for i in message.iterable if i.model] == [
                (created.id, None)
            ]
            api.models_delete_specific_model(created.id)
            message = next(stream)
            assert [(i.model.id, i.deleted) for i in message.iterable if i.model] == [
                (created.id, True)
            ]
    upgrade = next(r for r in server.requests if r.path.endswith("/stream/identifiers"))
    assert upgrade.headers["X-Application-ID"] == "plugin"


def test_many_subscribers_see_the_same_change(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        api = ModelsApi(api_client)
        streams = [api.models_stream_identifiers() for _ in range(3)]
        try:
            for stream in streams:
                next(stream)
            created = api.models_create_new_model(seed("shared"))
            for stream in streams:
                assert next(stream).iterable[0].model.id == created.id  # type: ignore[union-attr]
        finally:
            for stream in streams:
                stream.close()


def test_a_failed_upgrade_raises_the_typed_exception_with_its_body(server: LocalPiecesOS) -> None:
    server.fail_next(1, status=500, path="/models/stream/identifiers", body="stream is down")
    with server.client(retries=0) as api_client, pytest.raises(ServiceException) as caught:
        ModelsApi(api_client).models_stream_identifiers()
    assert caught.value.status == 500 and caught.value.body == "stream is down"


def test_watcher_follows_create_unload_and_delete(server: LocalPiecesOS) -> None:
    with (
        server.client(retries=QuickRetries.from_count(5)) as api_client,
        ModelsApi(api_client).models_watch() as watcher,
    ):
        api = ModelsApi(api_client)
        initial = next(watcher)
        assert initial.initial and set(initial.added) == {m.id for m in server.models()}

        created = api.models_create_new_model(seed("watched"))
        change = next(watcher)
        assert change.added == (created.id,) and change.models.get(created.id) is not None

        loaded = [m.id for m in change.models if m.loaded]
        assert loaded, "the seeded catalogue has loaded models"
        api.unload_models()
        change = next(watcher)
        assert set(change.updated) == set(loaded)
        assert not any(m.loaded for m in change.models)

        server.drop_streams()  # Pieces OS crashed: the watcher reconnects
        api.models_delete_specific_model(created.id)
        changes: List[ModelsChange] = []
        while created.id not in {i for c in changes for i in c.removed}:
            changes.append(next(watcher))
        assert changes[-1].models.get(created.id) is None


def test_async_stream_and_watcher(server: LocalPiecesOS) -> None:
    async def main() -> None:
        async with AsyncApiClient(server.configuration(retries=QuickRetries.from_count(5))) as c:
            api = AsyncModelsApi(c)
            async with api.models_stream_identifiers() as stream:
                first = await stream.__anext__()
                assert len(first.iterable) == len(server.models())
                created = await api.models_create_new_model(seed("async"))
                message = await stream.__anext__()
                assert message.iterable[0].model.id == created.id  # type: ignore[union-attr]

            async with api.models_watch() as watcher:
                initial = await watcher.__anext__()
                assert created.id in initial.added
                await api.models_delete_specific_model(created.id)
                change = await watcher.__anext__()
                assert change.removed == (created.id,)
        others = asyncio.all_tasks() - {asyncio.current_task()}
        assert not others

    asyncio.run(main())
    wait_for_subscribers(server, 0)
