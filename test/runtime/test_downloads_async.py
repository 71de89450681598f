"""``AsyncModelApi.download()`` and ``download_events()`` against LocalPiecesOS: what only the
async side has (task cancellation, downloads side by side, async callbacks; the shared
behaviour runs for both clients in test_runtime_downloads.py)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, List, TypeVar

import pytest
from test_downloads import LLAMA_CPU, calls, check_events, not_downloaded
from urllib3.util.retry import Retry

from pieces_os_client import (
    DownloadEvent,
    ModelApi,
    ModelDownloadCanceled,
    ModelDownloadFailed,
    ModelDownloadProgressStatusEnum,
    ModelDownloadStalled,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi
from pieces_os_client.testing import LocalPiecesOS

Status = ModelDownloadProgressStatusEnum
T = TypeVar("T")


def run(server: LocalPiecesOS, body: Callable[[AsyncModelApi], Awaitable[T]]) -> T:
    """Run ``body`` with an ``AsyncModelApi`` whose reconnects wait 10 ms."""

    async def main() -> T:
        retries = Retry(total=3, backoff_factor=0.01, backoff_jitter=0)
        async with AsyncApiClient(server.configuration(retries=retries)) as api_client:
            return await body(AsyncModelApi(api_client))

    return asyncio.run(main())


def test_the_async_methods_mirror_the_sync_ones() -> None:
    for name in ("download", "download_events"):
        sync_method, async_method = getattr(ModelApi, name), getattr(AsyncModelApi, name)
        assert inspect.signature(sync_method).parameters.keys() == (
            inspect.signature(async_method).parameters.keys()
        )
        assert async_method.__doc__ and "Example::" in async_method.__doc__
    assert inspect.iscoroutinefunction(AsyncModelApi.download)
    assert not inspect.iscoroutinefunction(AsyncModelApi.download_events)


def test_faults_raise_the_typed_errors(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    ids = not_downloaded(server)
    server.script_download(ids[0], fail_at=30)
    server.script_download(ids[1], stall_at=30)

    async def body(api: AsyncModelApi) -> List[Any]:
        cancels: List[Any] = []

        def cancel_once_running(event: DownloadEvent) -> None:
            if event.percentage >= 10 and not cancels:
                cancels.append(
                    asyncio.ensure_future(api.model_specific_model_download_cancel(ids[2]))
                )

        results = await asyncio.gather(
            api.download(ids[0]),
            api.download(ids[1], stall_timeout=0.3),
            api.download(ids[2], on_progress=cancel_once_running),
            return_exceptions=True,
        )
        await asyncio.gather(*cancels)
        return results

    failed, stalled, canceled = run(server, body)
    assert isinstance(failed, ModelDownloadFailed) and failed.model_id == ids[0]
    assert failed.progress is not None and failed.progress.percentage == 30.0
    assert isinstance(stalled, ModelDownloadStalled) and isinstance(stalled, TimeoutError)
    assert isinstance(canceled, ModelDownloadCanceled) and canceled.model_id == ids[2]
    assert calls(server, ids[1])[-1] == "POST /download/cancel"  # the stalled one only
    assert "POST /download/cancel" not in calls(server, ids[0])


def test_several_downloads_at_once_and_a_dropped_stream(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    ids = not_downloaded(server)
    server.script_download(ids[0], drop_at=30)
    server.script_download(ids[1], instant=True)

    async def body(api: AsyncModelApi) -> List[Any]:
        return list(await asyncio.gather(*(api.download(i) for i in ids)))

    assert [m.downloaded for m in run(server, body)] == [True] * len(ids)
    assert calls(server, ids[0]).count("GET /download/progress") == 2


def test_cancelling_the_task_cancels_the_download(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=1.0)

    async def body(api: AsyncModelApi) -> None:
        # Cancelled once it runs (not after a fixed 0.1 s: a loaded machine may not have
        # started it by then, and there would be nothing to cancel).
        running = asyncio.Event()
        task = asyncio.ensure_future(api.download(LLAMA_CPU, on_progress=lambda _: running.set()))
        await asyncio.wait_for(running.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(server, body)
    assert calls(server)[-1] == "POST /download/cancel"
    model = next(m for m in server.models() if m.id == LLAMA_CPU)
    assert model.downloading is False


def test_download_events_async(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    ids = not_downloaded(server)
    server.script_download(ids[1], fail_at=50)
    server.script_download(ids[2], stall_at=30)  # left at 20 %: still running when checked

    async def body(api: AsyncModelApi) -> None:
        async with api.download_events(ids[0]) as events:
            seen = [event async for event in events]
        check_events(seen, ids[0])
        assert events.model is not None and events.model.downloaded is True

        failing = api.download_events(ids[1])
        seen = []
        with pytest.raises(ModelDownloadFailed):
            async with failing:
                async for event in failing:
                    seen.append(event)
        assert seen[-1].status == Status.FAILED and failing.model is None

        async with api.download_events(ids[2]) as early:
            async for event in early:
                if event.percentage >= 20:
                    break
        with pytest.raises(RuntimeError):
            async with api.download_events(ids[3]) as broken:
                async for event in broken:
                    if event.percentage >= 20:
                        raise RuntimeError("display broke")

    run(server, body)
    assert "POST /download/cancel" not in calls(server, ids[2])  # left early: still running
    assert calls(server, ids[3])[-1] == "POST /download/cancel"
    running = {m.id: m.downloading for m in server.models()}
    assert (running[ids[2]], running[ids[3]]) == (True, False)


def test_an_async_callback_is_awaited(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    shown: List[float] = []

    async def on_progress(event: DownloadEvent) -> None:
        await asyncio.sleep(0)
        shown.append(event.percentage)

    run(server, lambda api: api.download(LLAMA_CPU, on_progress=on_progress))
    assert shown == [0.0, *(p * 10.0 for p in range(1, 10)), 100.0]
