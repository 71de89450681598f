"""``ModelApi.download()`` in threads, ``download_events()`` and Ctrl-C against LocalPiecesOS,
and the state machine (:mod:`pieces_os_client._core.downloads`) driven by hand on a fake
clock. What ``download()`` does for both clients is in test_runtime_downloads.py.

Every download runs at a fast pace (a step each 10 ms); faults come from
``LocalPiecesOS.script_download``. The Ctrl-C test runs ``download()`` in a child process
that follows this process's server.
"""

from __future__ import annotations

import doctest
import math
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Generator, List, Optional

import pytest
from _children import sigint_at_default
from urllib3.util.retry import Retry

import pieces_os_client
from pieces_os_client import (
    ApiClient,
    DownloadEvent,
    ModelApi,
    ModelDownloadFailed,
    ModelDownloadProgress,
    ModelDownloadProgressStatusEnum,
    ModelDownloadStalled,
)
from pieces_os_client._core.downloads import (
    CANCEL,
    EMIT,
    GET,
    START,
    Download,
    DownloadStep,
    RateEstimate,
)
from pieces_os_client._core.watch import CONNECT, DISCONNECT, RECEIVE, SLEEP, TIMED_OUT
from pieces_os_client.exceptions import ApiConnectionError
from pieces_os_client.models import Model
from pieces_os_client.testing import LocalPiecesOS, builtin_id

Status = ModelDownloadProgressStatusEnum
LLAMA_CPU = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")  # local, not downloaded
GPT_4O = builtin_id("gpt-4o")  # in the cloud


def fast_client(server: LocalPiecesOS, **overrides: Any) -> ApiClient:
    """A client whose reconnects wait 10 ms instead of half a second."""
    overrides.setdefault("retries", Retry(total=3, backoff_factor=0.01, backoff_jitter=0))
    return server.client(**overrides)


def calls(server: LocalPiecesOS, model_id: str = LLAMA_CPU) -> List[str]:
    """The requests about ``model_id``, as "METHOD suffix" ("GET /download/progress")."""
    prefix = f"/model/{model_id}"
    return [
        f"{r.method} {r.path[len(prefix) :] or '/'}"
        for r in server.requests
        if r.path.startswith(prefix)
    ]


def not_downloaded(server: LocalPiecesOS) -> List[str]:
    return [m.id for m in server.models() if not m.cloud and not m.downloaded]


def check_events(events: List[DownloadEvent], model_id: str = LLAMA_CPU) -> None:
    """What every followed download's events show: rising percentage, an ETA, the end."""
    percentages = [e.percentage for e in events]
    assert percentages == sorted(percentages)
    assert all(0.0 <= p <= 100.0 for p in percentages)
    elapsed = [e.elapsed for e in events]
    assert elapsed == sorted(elapsed)
    assert {e.model_id for e in events} == {model_id}
    assert [e.done for e in events] == [False] * (len(events) - 1) + [True]


# --- downloads in threads (the rest of download(), for both clients: test_runtime_downloads.py) -----------------------------------------------
def test_several_downloads_at_once(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    ids = not_downloaded(server)
    assert len(ids) >= 3
    results: dict = {}

    def download(model_id: str) -> None:
        with fast_client(server) as api_client:
            results[model_id] = ModelApi(api_client).download(model_id).downloaded

    threads = [threading.Thread(target=download, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == dict.fromkeys(ids, True)


# --- download_events ------------------------------------------------------------------------
def test_download_events_yields_each_event_then_ends_with_the_model(
    server: LocalPiecesOS,
) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    with fast_client(server) as api_client:
        events = ModelApi(api_client).download_events(LLAMA_CPU)
        assert server.requests == []  # nothing happens before the first next()
        with events:
            seen = list(events)
            assert events.model is not None and events.model.downloaded is True
    check_events(seen)
    assert seen[-1].status == Status.COMPLETED
    assert LLAMA_CPU in repr(events)


def test_download_events_model_is_set_when_the_last_event_is_seen(
    server: LocalPiecesOS,
) -> None:
    server.set_download_pace(interval=0.01, step=25.0)
    with fast_client(server) as api_client:
        events = ModelApi(api_client).download_events(LLAMA_CPU)
        with events:
            for event in events:
                assert (events.model is not None) == event.done


def test_download_events_yields_the_failure_then_raises(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=10.0)
    server.script_download(LLAMA_CPU, fail_at=30)
    with fast_client(server) as api_client:
        events = ModelApi(api_client).download_events(LLAMA_CPU)
        with events:
            seen: List[DownloadEvent] = []
            with pytest.raises(ModelDownloadFailed):
                for event in events:
                    seen.append(event)
    assert seen[-1].status == Status.FAILED and seen[-1].done
    assert events.model is None


def test_leaving_download_events_early_leaves_the_download_running(
    server: LocalPiecesOS,
) -> None:
    server.set_download_pace(interval=0.01, step=2.0)
    with fast_client(server) as api_client:
        events = ModelApi(api_client).download_events(LLAMA_CPU)
        with events:
            for event in events:
                if event.percentage >= 4:
                    break
    assert "POST /download/cancel" not in calls(server)
    model = next(m for m in server.models() if m.id == LLAMA_CPU)
    assert model.downloading is True
    with server.client() as api_client:
        ModelApi(api_client).model_specific_model_download_cancel(LLAMA_CPU)


def test_an_error_in_the_download_events_block_cancels(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=2.0)
    with fast_client(server) as api_client, pytest.raises(ZeroDivisionError):  # noqa: SIM117
        with ModelApi(api_client).download_events(LLAMA_CPU) as events:  # raised inside it
            for event in events:
                if event.percentage >= 4:
                    print(1 / 0)
    assert calls(server)[-1] == "POST /download/cancel"


def test_download_events_close_from_another_thread_stops_the_loop(
    server: LocalPiecesOS,
) -> None:
    server.set_download_pace(interval=0.01, step=1.0)
    with fast_client(server) as api_client:
        events = ModelApi(api_client).download_events(LLAMA_CPU)
        first = next(events)
        threading.Timer(0.05, events.close).start()
        rest = list(events)
    assert first.status == Status.INITIALIZED
    assert 0 < len(rest) < 90 and events.model is None
    with server.client() as api_client:
        ModelApi(api_client).model_specific_model_download_cancel(LLAMA_CPU)


# --- bad input ------------------------------------------------------------------------------
BAD_CALLS = [
    ({"model": ""}, ValueError, "non-empty model id"),
    ({"model": "   "}, ValueError, "non-empty model id"),
    ({"model": "a\nb"}, ValueError, "not a model id"),
    ({"model": " padded "}, ValueError, "not a model id"),
    ({"model": None}, ValueError, "model is required"),
    ({"model": 42}, TypeError, "must be a str"),
    ({"on_progress": "print"}, TypeError, "on_progress must be a function"),
    ({"on_progress": 1}, TypeError, "on_progress must be a function"),
    ({"stall_timeout": -1}, ValueError, "stall_timeout must be a number of seconds > 0"),
    ({"stall_timeout": 0}, ValueError, "stall_timeout=60"),
    ({"stall_timeout": math.nan}, ValueError, "stall_timeout must be"),
    ({"stall_timeout": True}, TypeError, "stall_timeout must be a number of seconds"),
    ({"stall_timeout": "5"}, TypeError, "not str"),
    ({"timeout": -0.5}, ValueError, "timeout must be a number of seconds > 0"),
    ({"timeout": 0}, ValueError, "timeout=3600"),
    ({"timeout": math.nan}, ValueError, "timeout must be"),
    ({"timeout": False}, TypeError, "timeout must be a number of seconds"),
    ({"load": "yes"}, TypeError, "load must be True or False"),
]


def test_an_async_callback_is_refused_by_the_sync_download(server: LocalPiecesOS) -> None:
    async def on_progress(event: DownloadEvent) -> None:
        pass  # pragma: no cover - never called

    with server.client() as api_client, pytest.raises(TypeError, match=r"AsyncModelApi"):
        ModelApi(api_client).download(LLAMA_CPU, on_progress=on_progress)
    assert server.requests == []


# --- Ctrl-C ---------------------------------------------------------------------------------
CHILD = """
import sys
from pieces_os_client import ApiClient, Configuration, ModelApi
with ApiClient(Configuration(host=sys.argv[1])) as api_client:
    ModelApi(api_client).download(
        sys.argv[2], on_progress=lambda event: print(event.percentage, flush=True)
    )
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_cancels_the_download_then_raises_keyboard_interrupt(
    server: LocalPiecesOS,
) -> None:
    interrupted_with_ctrl_c(server.url, LLAMA_CPU, lambda: server.set_download_pace(0.05, 1.0))
    assert calls(server)[-1] == "POST /download/cancel"
    model = next(m for m in server.models() if m.id == LLAMA_CPU)
    assert (model.downloading, model.downloaded) == (False, False)


def interrupted_with_ctrl_c(url: str, model_id: str, slow_down: Any) -> None:
    """Run download() in a child, interrupt it once a message came; check it re-raised."""
    slow_down()
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url, model_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=sigint_at_default,
    ) as child:
        try:
            assert child.stdout is not None
            first = child.stdout.readline()  # the download runs and is followed
            if not first.strip():
                pytest.fail(f"the child printed no progress: {child.communicate()[1]}")
            child.send_signal(signal.SIGINT)
            _, stderr = child.communicate(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
    assert child.returncode == -signal.SIGINT, stderr
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr


# --- the state machine by hand ----------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def model(downloading: Optional[bool] = False, downloaded: Optional[bool] = False) -> Model:
    return Model.from_dict(
        {
            "id": "m1",
            "name": "M",
            "version": "1",
            "cloud": False,
            "type": "SPEED",
            "usage": "CODE_CONVERSATION",
            "created": {"value": "2024-05-01T12:00:00Z"},
            "downloading": downloading,
            "downloaded": downloaded,
        }
    )


def progress(status: Optional[str], percentage: Any = None) -> ModelDownloadProgress:
    fields: dict = {} if status is None else {"status": status}
    if percentage is not None:
        fields["percentage"] = percentage
    return ModelDownloadProgress.from_dict(fields)


class Driver:
    """Drives a :class:`Download` by hand: each ``expect`` checks the step it asks for."""

    def __init__(self, **options: Any) -> None:
        self.clock = Clock()
        self.machine = Download("m1", clock=self.clock, **options)
        self.steps: Generator[DownloadStep, Any, Model] = self.machine.run()
        self.step = next(self.steps)
        self.events: List[DownloadEvent] = []

    def expect(self, kind: str, reply: Any = None, error: Optional[BaseException] = None) -> Any:
        assert self.step.kind == kind, (self.step, kind)
        try:
            self.step = self.steps.throw(error) if error else self.steps.send(reply)
            while self.step.kind == EMIT:
                assert self.step.event is not None
                self.events.append(self.step.event)
                self.step = self.steps.send(None)
        except StopIteration as done:
            return done.value
        return None

    def message(self, status: Optional[str], percentage: Any = None, after: float = 0.1) -> None:
        self.clock.now += after
        self.expect(RECEIVE, progress(status, percentage))

    def started(self) -> None:
        self.expect(CONNECT)
        self.expect(GET, model())
        self.expect(START, model(downloading=True))


def test_machine_percentage_never_goes_backwards_and_odd_messages_are_reported() -> None:
    driver = Driver()
    driver.started()
    driver.message("INITIALIZED", 0)
    driver.message("IN-PROGRESS", 30)
    driver.message("IN-PROGRESS", 20)  # backwards: reported, not shown
    driver.message("PAUSED", 40)  # a status of a newer Pieces OS: reported
    driver.message("IN-PROGRESS", None)  # null percentage
    driver.message(None, 150)  # no status; out of range
    driver.message("IN-PROGRESS", math.inf)
    driver.message("RESET", 10)
    assert [(e.status.value, e.percentage) for e in driver.events] == [
        ("INITIALIZED", 0.0),
        ("IN-PROGRESS", 30.0),
        ("IN-PROGRESS", 30.0),
        ("PAUSED", 40.0),
        ("IN-PROGRESS", 40.0),
        ("UNKNOWN", 100.0),
        ("IN-PROGRESS", 100.0),
        ("RESET", 100.0),
    ]
    assert not driver.events[3].status.is_known
    driver.message("COMPLETED", 100)
    driver.expect(GET, model(downloaded=True))
    result = driver.expect(DISCONNECT)
    assert result is not None and result.downloaded
    assert driver.events[-1].done and driver.machine.model is result


def test_machine_eta_follows_the_observed_rate() -> None:
    driver = Driver()
    driver.started()
    for percentage in range(0, 50, 5):
        driver.message("IN-PROGRESS", percentage, after=1.0)  # 5 % a second
    last = driver.events[-1]
    assert last.eta is not None and math.isclose(last.eta, (100 - 45) / 5.0)
    assert driver.events[0].eta is None  # one reading: no rate yet
    assert math.isclose(last.elapsed, 10.0)


def test_rate_estimate_smooths_over_time_not_messages() -> None:
    rate = RateEstimate(smoothing=1.0)
    rate.observe(0.0, 0.0)
    rate.observe(1.0, 10.0)
    assert rate.rate == 10.0
    rate.observe(1.001, 50.0)  # a burst: waits to be measured with what follows
    assert rate.rate == 10.0
    rate.observe(2.0, 50.0)
    assert rate.rate is not None and 10.0 < rate.rate < 40.0
    assert RateEstimate().eta(50.0) is None


def test_machine_silence_reads_the_flags_then_stalls() -> None:
    driver = Driver(stall_timeout=3.0)
    driver.started()
    driver.message("IN-PROGRESS", 10)
    # The flags are read after each second of silence; a change keeps it alive.
    assert driver.step == DownloadStep(RECEIVE, 1.0)
    driver.clock.now += 1.0
    driver.expect(RECEIVE, TIMED_OUT)
    driver.expect(GET, model(downloading=True))
    driver.clock.now += 1.0
    driver.expect(RECEIVE, TIMED_OUT)
    driver.expect(GET, model(downloading=None))  # changed: alive again
    assert driver.step.kind == RECEIVE
    for _ in range(2):
        driver.clock.now += 1.0
        driver.expect(RECEIVE, TIMED_OUT)
        driver.expect(GET, model(downloading=None))
    assert driver.step == DownloadStep(RECEIVE, 1.0)
    driver.clock.now += 1.0
    driver.expect(RECEIVE, TIMED_OUT)
    driver.expect(GET, model(downloading=None))  # 3 s unchanged: stalled
    driver.expect(DISCONNECT)
    with pytest.raises(ModelDownloadStalled) as caught:
        driver.expect(CANCEL, model())
    assert caught.value.progress is driver.events[-1]


def test_machine_flags_complete_without_any_message() -> None:
    driver = Driver(stall_timeout=60.0)
    driver.started()
    driver.clock.now += 1.0
    driver.expect(RECEIVE, TIMED_OUT)
    driver.expect(GET, model(downloaded=True))
    result = driver.expect(DISCONNECT)
    assert result is not None
    assert [(e.status, e.progress, e.eta) for e in driver.events] == [(Status.COMPLETED, None, 0.0)]


def test_machine_reconnects_and_reads_the_model() -> None:
    driver = Driver(retries=Retry(total=2, backoff_factor=0.1, backoff_jitter=0))
    driver.started()
    driver.message("IN-PROGRESS", 10)
    driver.expect(RECEIVE, error=ApiConnectionError("cut"))
    driver.expect(DISCONNECT)
    assert driver.step == DownloadStep(SLEEP, 0.1)
    driver.expect(SLEEP)
    driver.expect(CONNECT, error=ApiConnectionError("refused"))
    assert driver.step == DownloadStep(SLEEP, 0.2)
    driver.expect(SLEEP)
    driver.expect(CONNECT)
    driver.expect(GET, model(downloaded=True))  # completed while disconnected
    assert driver.expect(DISCONNECT) is not None
    assert driver.events[-1].status == Status.COMPLETED


def test_machine_interrupted_cancels_what_it_started() -> None:
    driver = Driver()
    driver.started()
    driver.expect(RECEIVE, error=KeyboardInterrupt())
    driver.expect(DISCONNECT)
    with pytest.raises(KeyboardInterrupt):
        driver.expect(CANCEL, error=ApiConnectionError("down too"))  # cancel failing: still ^C


def test_machine_interrupted_before_the_answer_to_start_cancels() -> None:
    driver = Driver()
    driver.expect(CONNECT)
    driver.expect(GET, model())
    driver.expect(START, error=KeyboardInterrupt())
    driver.expect(DISCONNECT)
    with pytest.raises(KeyboardInterrupt):
        driver.expect(CANCEL, model())


def test_machine_closed_stops_without_cancelling() -> None:
    driver = Driver()
    driver.started()
    driver.steps.close()  # GeneratorExit: no step asked for
    assert driver.machine.event is None


def test_machine_overall_timeout_bounds_the_waits() -> None:
    driver = Driver(timeout=2.5)
    driver.started()
    driver.clock.now += 2.0
    driver.message("IN-PROGRESS", 10, after=0.0)
    assert driver.step == DownloadStep(RECEIVE, 0.5)
    driver.clock.now += 0.5
    driver.expect(RECEIVE, TIMED_OUT)
    driver.expect(DISCONNECT)
    with pytest.raises(ModelDownloadStalled, match=r"timeout=2\.5 s"):
        driver.expect(CANCEL, model())


def test_the_download_modules_and_the_exceptions_doctests() -> None:
    from pieces_os_client import _error_text
    from pieces_os_client._core import download_arguments, download_rate, download_steps

    # The machine's own module (downloads) has no examples: the types it uses do.
    modules = (download_steps, download_rate, download_arguments)
    for module in (*modules, pieces_os_client.exceptions, _error_text):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_download_errors_pickle() -> None:
    import pickle

    error = ModelDownloadFailed("boom", model_id="m1")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.model_id, copy.progress) == (
        ModelDownloadFailed,
        "boom",
        "m1",
        None,
    )
    assert issubclass(ModelDownloadStalled, TimeoutError)
