"""``download()`` against LocalPiecesOS, written once and run against ``ModelApi`` and
``AsyncModelApi`` (the ``client`` fixture). What only one side has (threads, task
cancellation, async callbacks, ``download_events`` blocks) stays in test_downloads.py and
test_downloads_async.py; when a download ends, on a fake clock, is in test_downloads.py.
"""

from __future__ import annotations

import threading
from typing import Any, List

import pytest
from _both import Runtime
from test_downloads import BAD_CALLS, GPT_4O, LLAMA_CPU, calls, check_events
from urllib3.util.retry import Retry

from pieces_os_client import (
    ApiConnectionError,
    DownloadEvent,
    Model,
    ModelApi,
    ModelDownloadCanceled,
    ModelDownloadError,
    ModelDownloadFailed,
    ModelDownloadProgress,
    ModelDownloadProgressStatusEnum,
    ModelDownloadStalled,
    ModelNotFoundError,
    ServiceException,
)
from pieces_os_client.testing import LocalPiecesOS

Status = ModelDownloadProgressStatusEnum


def fast_api(client: Runtime, server: LocalPiecesOS, **overrides: Any) -> Any:
    """The client's model API, its reconnects waiting 10 ms instead of half a second."""
    overrides.setdefault("retries", Retry(total=3, backoff_factor=0.01, backoff_jitter=0))
    return client.model(server.configuration(**overrides))


def test_download_completes_and_returns_the_fresh_model(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    events: List[DownloadEvent] = []
    model = fast_api(client, server).download(LLAMA_CPU, on_progress=events.append)
    assert isinstance(model, Model)
    assert (model.id, model.downloaded, model.downloading) == (LLAMA_CPU, True, False)
    # The stream was open before the download started; the model was read again at the end.
    assert calls(server) == ["GET /download/progress", "GET /", "POST /download", "GET /"]
    check_events(events)
    assert events[0].status == Status.INITIALIZED and events[0].percentage == 0.0
    assert events[-1].status == Status.COMPLETED and events[-1].percentage == 100.0
    assert events[-1].eta == 0.0 and events[-1].progress is not None
    assert len(events) == 21  # INITIALIZED, 19 steps of 5 %, COMPLETED: none missed
    assert any(e.eta is not None and e.eta > 0 for e in events[:-1])
    assert all(isinstance(e.progress, ModelDownloadProgress) for e in events)


def test_an_already_downloaded_model_is_not_downloaded_again(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.script_download(LLAMA_CPU, instant=True)
    events: List[DownloadEvent] = []
    api = fast_api(client, server)
    api.download(LLAMA_CPU)
    model = api.download(LLAMA_CPU, on_progress=events.append)
    assert model.downloaded is True
    assert calls(server).count("POST /download") == 1
    # One event, made by the client: the model's flags said it is complete.
    assert [(e.status, e.percentage, e.progress) for e in events] == [
        (Status.COMPLETED, 100.0, None)
    ]


def test_a_running_download_is_followed_not_started_again(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=1.0)  # 1 s in all
    events: List[DownloadEvent] = []
    api = fast_api(client, server)
    assert api.model_specific_model_download(LLAMA_CPU).downloading is True
    with (
        server.client() as other,
        ModelApi(other).model_specific_model_download_progress(LLAMA_CPU) as progress,
    ):
        for message in progress:  # until it has made progress (no sleep: a loaded machine)
            if (message.percentage or 0) > 0:
                break
    model = api.download(LLAMA_CPU, on_progress=events.append)
    assert model.downloaded is True
    assert calls(server).count("POST /download") == 1
    check_events(events)
    # Joined mid-way: the first message is where it stands.
    assert events[0].status == Status.IN_MINUS_PROGRESS and events[0].percentage > 0


def test_a_failed_download_raises_with_the_last_event(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    server.script_download(LLAMA_CPU, fail_at=40)
    events: List[DownloadEvent] = []
    with pytest.raises(ModelDownloadFailed) as caught:
        fast_api(client, server).download(LLAMA_CPU, on_progress=events.append)
    error = caught.value
    assert isinstance(error, ModelDownloadError)
    assert error.model_id == LLAMA_CPU
    assert error.progress is events[-1]
    assert (error.progress.status, error.progress.percentage) == (Status.FAILED, 40.0)
    assert "failed at 40.0%" in str(error) and LLAMA_CPU in str(error)
    check_events(events)
    assert "POST /download/cancel" not in calls(server)  # it ended: nothing to cancel


def test_a_download_canceled_elsewhere_raises_canceled(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=2.0)
    events: List[DownloadEvent] = []
    cancelled = threading.Event()

    def cancel_elsewhere() -> None:
        with server.client() as other:
            ModelApi(other).model_specific_model_download_cancel(LLAMA_CPU)

    def on_progress(event: DownloadEvent) -> None:
        events.append(event)
        if event.percentage >= 10 and not cancelled.is_set():
            cancelled.set()
            threading.Thread(target=cancel_elsewhere).start()

    with pytest.raises(ModelDownloadCanceled) as caught:
        fast_api(client, server).download(LLAMA_CPU, on_progress=on_progress)
    assert caught.value.progress is events[-1]
    assert events[-1].status == Status.CANCELED
    assert calls(server).count("POST /download/cancel") == 1  # the other client's only


def test_a_stalled_download_raises_stalled_and_is_cancelled(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    server.script_download(LLAMA_CPU, stall_at=30)
    # (it would wait 60 s by default; when the silence ends it, on a fake clock:
    # test_machine_silence_reads_the_flags_then_stalls)
    with pytest.raises(ModelDownloadStalled) as caught:
        fast_api(client, server).download(LLAMA_CPU, stall_timeout=0.3)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.progress is not None and caught.value.progress.percentage == 20.0
    assert "stall_timeout=0.3 s" in str(caught.value)
    assert calls(server)[-2:] == ["GET /", "POST /download/cancel"]
    model = next(m for m in server.models() if m.id == LLAMA_CPU)
    assert (model.downloading, model.downloaded) == (False, False)


def test_past_the_overall_timeout_it_raises_stalled(client: Runtime, server: LocalPiecesOS) -> None:
    # 20 s in all, far past the timeout even on a loaded machine (when the timeout ends the
    # download, on a fake clock: test_machine_overall_timeout_bounds_the_waits)
    server.set_download_pace(interval=0.01, step=0.05)
    with pytest.raises(ModelDownloadStalled) as caught:
        fast_api(client, server).download(LLAMA_CPU, timeout=0.25)
    assert "timeout=0.25 s" in str(caught.value)
    assert 0 < caught.value.progress.percentage < 100
    assert calls(server)[-1] == "POST /download/cancel"


def test_a_dropped_stream_is_reopened_and_the_download_completes(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    server.script_download(LLAMA_CPU, drop_at=30)
    events: List[DownloadEvent] = []
    model = fast_api(client, server).download(LLAMA_CPU, on_progress=events.append)
    assert model.downloaded is True
    assert calls(server).count("GET /download/progress") == 2
    check_events(events)
    assert events[-1].status == Status.COMPLETED


def test_a_dropped_stream_is_given_up_after_the_retries(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    server.script_download(LLAMA_CPU, drop_at=30)
    with pytest.raises(ApiConnectionError):
        fast_api(client, server, retries=0).download(LLAMA_CPU)
    assert calls(server)[-1] == "POST /download/cancel"


def test_a_download_complete_before_any_message_returns(
    client: Runtime, server: LocalPiecesOS
) -> None:
    server.script_download(LLAMA_CPU, instant=True)
    events: List[DownloadEvent] = []
    model = fast_api(client, server).download(LLAMA_CPU, on_progress=events.append)
    assert model.downloaded is True
    assert [(e.status, e.progress) for e in events] == [(Status.COMPLETED, None)]


def test_load_true_loads_the_downloaded_model(client: Runtime, server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=20.0)
    model = fast_api(client, server).download(LLAMA_CPU, load=True)
    assert (model.downloaded, model.loaded) == (True, True)
    assert calls(server)[-2:] == ["GET /", "POST /load"]


def test_the_callback_failing_cancels_the_download(client: Runtime, server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=5.0)

    def on_progress(event: DownloadEvent) -> None:
        if event.percentage >= 20:
            raise RuntimeError("display broke")

    with pytest.raises(RuntimeError, match="display broke"):
        fast_api(client, server).download(LLAMA_CPU, on_progress=on_progress)
    assert calls(server)[-1] == "POST /download/cancel"
    model = next(m for m in server.models() if m.id == LLAMA_CPU)
    assert model.downloading is False


def _interrupt_at_20_percent(event: DownloadEvent) -> None:
    if event.percentage >= 20:
        raise KeyboardInterrupt


def _one_interrupted_line(caplog: pytest.LogCaptureFixture) -> str:
    said = [r.getMessage() for r in caplog.records if r.name == "pieces_os_client"]
    assert len(said) == 1
    return said[0]


@pytest.mark.parametrize("client", ["sync"], indirect=True)
def test_ctrl_c_in_a_callback_cancels_logs_one_line_and_raises_a_fresh_interrupt(
    client: Runtime, server: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    with (
        caplog.at_level("WARNING", logger="pieces_os_client"),
        pytest.raises(KeyboardInterrupt) as caught,
    ):
        fast_api(client, server).download(LLAMA_CPU, on_progress=_interrupt_at_20_percent)
    assert calls(server)[-1] == "POST /download/cancel"
    line = _one_interrupted_line(caplog)
    assert line.startswith(f"interrupted: the download of model {LLAMA_CPU}")
    assert "was canceled on Pieces OS at 20%" in line
    assert caught.value.__suppress_context__  # raised afresh: the traceback ends in download()


def test_ctrl_c_in_an_async_callback_says_the_same(
    server: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    # One runtime for both clients: the async download() says it as the sync one does. A
    # KeyboardInterrupt leaves asyncio.run() at once, as it does any program's.
    import asyncio

    from pieces_os_client.aio import AsyncApiClient, AsyncModelApi

    server.set_download_pace(interval=0.01, step=5.0)
    retries = Retry(total=3, backoff_factor=0.01, backoff_jitter=0)

    async def main() -> None:
        async with AsyncApiClient(server.configuration(retries=retries)) as api_client:
            await AsyncModelApi(api_client).download(
                LLAMA_CPU, on_progress=_interrupt_at_20_percent
            )

    with caplog.at_level("WARNING", logger="pieces_os_client"), pytest.raises(KeyboardInterrupt):
        asyncio.run(main())
    assert calls(server)[-1] == "POST /download/cancel"
    line = _one_interrupted_line(caplog)
    assert line.startswith(f"interrupted: the download of model {LLAMA_CPU}")
    assert "was canceled on Pieces OS at 20%" in line


def test_refusals_raise_as_usual_and_cancel_nothing(client: Runtime, server: LocalPiecesOS) -> None:
    api = fast_api(client, server)
    # An unknown model is refused after the snapshot alone (see test_resolve.py).
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        api.download("no-such-model")
    assert [r.path for r in server.requests] == ["/models"]
    with pytest.raises(ServiceException, match="runs in the cloud"):
        api.download(GPT_4O)
    assert not any(r.path.endswith("/cancel") for r in server.requests)


@pytest.mark.parametrize(("arguments", "kind", "says"), BAD_CALLS)
def test_bad_input_is_refused_before_anything_is_sent(
    client: Runtime, server: LocalPiecesOS, arguments: dict, kind: type, says: str
) -> None:
    options = dict(arguments)
    model_id = options.pop("model", LLAMA_CPU)
    api = client.model(server.configuration())
    with pytest.raises(kind, match=says):
        api.download(model_id, **options)
    if not {"on_progress", "load"} & set(options):  # download_events has neither
        with pytest.raises(kind, match=says):
            api.download_events(model_id, **options)
    assert server.requests == []
