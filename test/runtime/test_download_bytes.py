"""Progress in bytes and speed: what each ``DownloadEvent`` carries where the model's size is
known (``Model.bytes``) and where it is not, and how every display shows it.

The machine runs on a fake clock (no sleeps); the end-to-end cases download from LocalPiecesOS
(sizes from its catalogue) and from the aiohttp peer of test_downloads_peer.py (a model with
and without ``bytes``).
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any, Dict, Generator, List, Optional

import pytest
from test_downloads_peer import MODEL as PEER_MODEL
from test_downloads_peer import Peer, client

from pieces_os_client import (
    DownloadEvent,
    ModelApi,
    ModelDownloadProgressStatusEnum,
)
from pieces_os_client._core.downloads import (
    CONNECT,
    DISCONNECT,
    EMIT,
    GET,
    RECEIVE,
    START,
    Download,
    DownloadStep,
    RateEstimate,
)
from pieces_os_client._display.download_bar import (
    CANCELED,
    STALLED,
    _JsonLines,
    _Lines,
    _PlainBars,
    _Rows,
    ending_json,
    event_json,
)
from pieces_os_client._display.notebook_bar import render
from pieces_os_client._display.progress_text import (
    details_text,
    short_eta_text,
    size_text,
    speed_text,
)
from pieces_os_client.models import Model, ModelDownloadProgress
from pieces_os_client.testing import LocalPiecesOS, builtin_id

Status = ModelDownloadProgressStatusEnum
GB = 1_000_000_000
LLAMA_CPU = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")  # 5.67 GB, not downloaded


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def model(size: Optional[int] = 4_400_000_000, **flags: Any) -> Model:
    fields: Dict[str, Any] = {
        "id": "m1",
        "name": "Mistral 7B Instruct",
        "version": "1",
        "cloud": False,
        "type": "SPEED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
        "downloading": False,
        "downloaded": False,
        **flags,
    }
    if size is not None:
        fields["bytes"] = {"value": size, "readable": size_text(size)}
    return Model.from_dict(fields)


def progress(status: str, percentage: Optional[float] = None) -> ModelDownloadProgress:
    fields: Dict[str, Any] = {"status": status}
    if percentage is not None:
        fields["percentage"] = percentage
    return ModelDownloadProgress.from_dict(fields)


class Driver:
    """Drives a :class:`Download` by hand on a fake clock, collecting its events."""

    def __init__(self, size: Optional[int] = 4_400_000_000) -> None:
        self.clock = Clock()
        self.machine = Download("m1", clock=self.clock)
        self.steps: Generator[DownloadStep, Any, Model] = self.machine.run()
        self.events: List[DownloadEvent] = []
        self.step = next(self.steps)
        self.reply(CONNECT)
        self.reply(GET, model(size))
        self.reply(START, model(size, downloading=True))

    def reply(self, kind: str, value: Any = None) -> Any:
        assert self.step.kind == kind, (self.step, kind)
        try:
            self.step = self.steps.send(value)
            while self.step.kind == EMIT:
                assert self.step.event is not None
                self.events.append(self.step.event)
                self.step = self.steps.send(None)
        except StopIteration as done:
            return done.value
        return None

    def message(self, at: float, status: str, percentage: Optional[float] = None) -> DownloadEvent:
        self.clock.now = 100.0 + at
        self.reply(RECEIVE, progress(status, percentage))
        return self.events[-1]


# --- the events, on a fake clock ---------------------------------------------------------------
def test_each_event_carries_bytes_done_of_the_size_and_a_smoothed_speed() -> None:
    driver = Driver()
    first = driver.message(0.0, "INITIALIZED", 0)
    assert (first.done_bytes, first.total_bytes, first.speed, first.eta) == (
        0,
        4_400_000_000,
        None,  # no rate yet: no speed, like no ETA
        None,
    )
    assert first.model_name == "Mistral 7B Instruct"
    driver.message(1.0, "IN-PROGRESS", 10)
    third = driver.message(2.0, "IN-PROGRESS", 20)
    # 10 % a second of 4.4 GB: 440 MB/s; 80 % left at that rate: 8 s.
    assert third.done_bytes == 880_000_000
    assert third.speed == pytest.approx(440_000_000)
    assert third.eta == pytest.approx(8.0)
    # The rate halves: the speed follows it smoothly (the ETA's time-weighted average).
    slower = driver.message(3.0, "IN-PROGRESS", 25)
    reference = RateEstimate()
    for now, percentage in [(0.0, 0.0), (1.0, 10.0), (2.0, 20.0), (3.0, 25.0)]:
        reference.observe(now, percentage)
    assert reference.rate is not None
    assert slower.speed == pytest.approx(4_400_000_000 * reference.rate / 100)
    assert 220_000_000 < slower.speed < 440_000_000
    assert slower.eta == pytest.approx(75.0 / reference.rate)
    assert str(slower) == (
        f"m1: IN-PROGRESS 25.0%, 1.1 GB / 4.4 GB, {speed_text(slower.speed)}, "
        f"{slower.eta:.0f} s left"
    )


def test_a_burst_of_messages_does_not_read_as_an_enormous_speed() -> None:
    driver = Driver()
    driver.message(0.0, "INITIALIZED", 0)
    driver.message(1.0, "IN-PROGRESS", 10)
    burst = driver.message(1.001, "IN-PROGRESS", 30)  # 1 ms later: measured with the next
    assert burst.speed == pytest.approx(440_000_000)
    assert burst.done_bytes == 1_320_000_000  # the bytes follow the percentage at once


def test_the_ending_events_carry_the_bytes_and_no_speed() -> None:
    driver = Driver()
    driver.message(0.0, "INITIALIZED", 0)
    driver.message(1.0, "IN-PROGRESS", 50)
    driver.clock.now = 102.0
    driver.reply(RECEIVE, progress("COMPLETED", 100))
    driver.reply(GET, model(downloaded=True))
    driver.reply(DISCONNECT)
    done = driver.events[-1]
    assert done.status == Status.COMPLETED
    assert (done.done_bytes, done.total_bytes, done.speed) == (4_400_000_000, 4_400_000_000, None)
    assert details_text(done) == "4.4 GB"


def test_a_failure_keeps_the_bytes_it_reached() -> None:
    driver = Driver()
    driver.message(0.0, "INITIALIZED", 0)
    driver.message(1.0, "IN-PROGRESS", 30)
    driver.clock.now = 102.0
    with pytest.raises(Exception, match=r"failed at 30\.0%"):
        driver.reply(RECEIVE, progress("FAILED", 30))
        driver.reply(DISCONNECT)
    failed = driver.events[-1]
    assert (failed.status, failed.done_bytes, failed.speed) == (Status.FAILED, 1_320_000_000, None)
    assert details_text(failed) == "1.3 GB / 4.4 GB"


@pytest.mark.parametrize("size", [None, 0])
def test_without_a_size_the_events_say_what_they_can(size: Optional[int]) -> None:
    driver = Driver(size)
    driver.message(0.0, "INITIALIZED", 0)
    driver.message(1.0, "IN-PROGRESS", 10)
    event = driver.message(2.0, "IN-PROGRESS", 20)
    assert (event.done_bytes, event.total_bytes, event.speed) == (None, None, None)
    assert event.eta == pytest.approx(8.0)  # the time left still comes from the percentage
    assert details_text(event) == "8 s left"
    assert str(event) == "m1: IN-PROGRESS 20.0%, 8 s left"
    assert json.loads(event_json(event))["total_bytes"] is None


# --- the texts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 KB"),
        (45_200_000, "45 MB"),
        (9_940_000, "9.9 MB"),
        (9_960_000, "10 MB"),
        (1_930_000_000, "1.9 GB"),
        (14_000_000_000, "14 GB"),
        (2_500_000_000_000, "2.5 TB"),
    ],
)
def test_sizes_read_short_in_decimal_units_as_pieces_os_writes_them(size: int, text: str) -> None:
    assert size_text(size) == text
    assert speed_text(size) == f"{text}/s"


def test_the_details_read_as_the_issue_asks() -> None:
    event = DownloadEvent(
        "m1",
        Status("IN-PROGRESS"),
        43.2,
        75.0,
        9.0,
        None,
        done_bytes=1_900_800_000,
        total_bytes=4_400_000_000,
        speed=45_000_000.0,
        model_name="Mistral 7B Instruct",
    )
    assert details_text(event) == "1.9 GB / 4.4 GB · 45 MB/s · 2 min left"
    assert short_eta_text(60.0) == "1 min left" and short_eta_text(59.0) == "59 s left"
    assert short_eta_text(3601.0) == "1 h 1 min left" and short_eta_text(math.inf) == "ETA unknown"


def _event(
    model_id: str,
    status: str,
    percentage: float,
    total: Optional[int] = 4 * GB,
    speed: Optional[float] = 40_000_000.0,
    eta: Optional[float] = 30.0,
) -> DownloadEvent:
    done = None if total is None else round(total * percentage / 100)
    ended = status in ("COMPLETED", "FAILED", "CANCELED")
    return DownloadEvent(
        model_id,
        Status(status),
        percentage,
        0.0 if status == "COMPLETED" else (None if ended else eta),
        3.0,
        None,
        done_bytes=done,
        total_bytes=total,
        speed=None if ended else speed,
        model_name=model_id.upper(),
    )


def test_json_lines_carry_every_figure_and_end_with_one_final_object() -> None:
    terminal = _FakeTerminal()
    display = _JsonLines(terminal, {"a": "A", "b": "B"})  # type: ignore[arg-type]
    display(_event("a", "IN-PROGRESS", 25.0))
    display(_event("b", "IN-PROGRESS", 50.0))
    display(_event("a", "COMPLETED", 100.0))
    display.ended("a", CANCELED, "interrupted")  # it already ended: no second final object
    display.ended("b", CANCELED, "interrupted (Ctrl-C)")
    lines = [json.loads(line) for line in terminal.text().splitlines()]
    assert [(line["model_id"], line["status"], line["final"]) for line in lines] == [
        ("a", "IN-PROGRESS", False),
        ("b", "IN-PROGRESS", False),
        ("a", "COMPLETED", True),
        ("b", "CANCELED", True),
    ]
    assert lines[0]["done_bytes"] == GB and lines[0]["total_bytes"] == 4 * GB
    assert lines[0]["speed"] == 40_000_000 and lines[0]["name"] == "A"
    assert lines[3]["percentage"] == 50.0 and lines[3]["done_bytes"] == 2 * GB
    assert lines[3]["error"] == "interrupted (Ctrl-C)" and lines[3]["eta"] is None


def test_a_stall_ends_the_json_lines_with_a_stalled_object() -> None:
    assert json.loads(ending_json("m1", "M", STALLED, _event("m1", "IN-PROGRESS", 10.0))) == {
        "model_id": "m1",
        "name": "M",
        "status": "STALLED",
        "percentage": 10.0,
        "done_bytes": 400_000_000,
        "total_bytes": 4 * GB,
        "speed": None,
        "eta": None,
        "final": True,
        "error": None,
    }


class _FakeTerminal:
    """What the displays use of ``Terminal``: ``stdout`` and ``line``."""

    out_is_terminal = False

    def __init__(self) -> None:
        self.stdout = io.StringIO()

    def line(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def text(self) -> str:
        return self.stdout.getvalue()


def test_piped_lines_per_model_with_bytes_speed_and_time_left() -> None:
    terminal = _FakeTerminal()
    display = _Lines(terminal, {"a": "Model A", "b": "Model B"})  # type: ignore[arg-type]
    display(_event("a", "IN-PROGRESS", 12.0))
    display(_event("a", "IN-PROGRESS", 15.0))  # the same tenth: no line
    display(_event("b", "IN-PROGRESS", 12.0, total=None, speed=None, eta=None))
    display(_event("a", "COMPLETED", 100.0))
    assert terminal.text().splitlines() == [
        "Model A: 12% · 480 MB / 4.0 GB · 40 MB/s · 30 s left (IN-PROGRESS)",
        "Model B: 12% · ETA unknown (IN-PROGRESS)",
        "Model A: 100% · 4.0 GB (COMPLETED)",
    ]


def test_the_total_adds_the_bytes_and_the_speeds_and_waits_for_the_slowest() -> None:
    rows = _Rows({"a": "A", "b": "B"})
    assert rows.total() == (0.0, "ETA unknown")  # nothing seen yet
    rows.last["a"] = _event("a", "IN-PROGRESS", 50.0, total=2 * GB, eta=20.0)
    assert rows.total()[1] == "40 MB/s · ETA unknown"  # b has not started: size unknown
    rows.last["b"] = _event("b", "IN-PROGRESS", 25.0, total=6 * GB, eta=90.0)
    percentage, details = rows.total()
    assert percentage == pytest.approx(100 * 2.5 / 8)
    assert details == "2.5 GB / 8.0 GB · 80 MB/s · 2 min left"
    rows.last["a"] = _event("a", "COMPLETED", 100.0, total=2 * GB)
    assert rows.total()[1] == "3.5 GB / 8.0 GB · 40 MB/s · 2 min left"
    rows.last["b"] = _event("b", "COMPLETED", 100.0, total=6 * GB)
    assert rows.total() == (100.0, "8.0 GB")


def test_plain_bars_redraw_every_model_and_the_total_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    terminal = _FakeTerminal()
    display = _PlainBars(terminal, {"a": "Model A", "b": "Model B"})  # type: ignore[arg-type]
    display(_event("a", "IN-PROGRESS", 50.0))
    display(_event("b", "COMPLETED", 100.0))  # an ending is drawn at once
    display.close()
    frames = terminal.text().split("\x1b[2A")  # back up over the two lines drawn before
    assert len(frames) == 3  # the first event, the ending, and where it stopped at close()
    last = [line.split("\x1b[K")[-1] for line in frames[-1].strip().split("\n")]
    assert last[0].startswith("Model A          [") and last[0].endswith(
        " 50% 2.0 GB / 4.0 GB · 40 MB/s · 30 s left"
    )
    assert last[1].endswith(" 100% 4.0 GB")
    assert last[2].startswith("Total (2 models) [") and "6.0 GB / 8.0 GB" in last[2]
    assert all(len(line) < 80 for line in last)
    assert len({line.index("[") for line in last}) == 1  # the bars line up


# --- the notebook bar --------------------------------------------------------------------------
def test_the_notebook_bar_names_the_model_and_shows_bytes_and_speed() -> None:
    running = render("running", "m1", _event("m1", "IN-PROGRESS", 25.0))
    assert running["text/plain"].startswith("Downloading: M1  [")
    assert running["text/plain"].endswith("25% · 1.0 GB / 4.0 GB · 40 MB/s · 30 s left")
    assert '<span title="m1">M1</span>' in running["text/html"]
    assert "1.0 GB / 4.0 GB · 40 MB/s · 30 s left" in running["text/html"]
    done = render("done", "m1", _event("m1", "COMPLETED", 100.0))
    assert done["text/plain"].endswith("100% · 4.0 GB in 3 s")
    unknown = render("running", "m1", _event("m1", "IN-PROGRESS", 25.0, total=None, speed=None))
    assert unknown["text/plain"].endswith("25% · 30 s left")
    before = render("failed", "m1", None, "refused")  # no event yet: the id is all there is
    assert before["text/plain"].startswith("Download failed: m1  [")


# --- end to end --------------------------------------------------------------------------------
def test_a_local_pieces_os_download_reports_the_catalogues_size(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.025, step=10.0)
    events: List[DownloadEvent] = []
    with server.client() as api_client:
        ModelApi(api_client).download(LLAMA_CPU, on_progress=events.append)
    assert {e.total_bytes for e in events} == {5_670_000_000}
    assert {e.model_name for e in events} == {"Llama 3 8B Instruct (CPU)"}
    done = [e.done_bytes or 0 for e in events]
    assert done == sorted(done) and done[-1] == 5_670_000_000
    speeds = [e.speed for e in events[1:-1] if e.speed is not None]
    assert speeds and all(speed > 0 for speed in speeds)
    assert re.fullmatch(
        r"[\d.]+ [KMG]?B / 5\.7 GB · [\d.]+ [KMG]?B/s · \d+ s left", details_text(events[-2])
    )


def test_a_peer_model_without_a_size_reports_no_bytes(peer: Peer) -> None:
    events: List[DownloadEvent] = []
    with client(peer) as api_client:
        ModelApi(api_client).download(PEER_MODEL, on_progress=events.append)
    assert all(e.total_bytes is None and e.done_bytes is None for e in events)
    assert all(e.speed is None for e in events)
    assert {e.model_name for e in events} == {"Phi-3 Mini"}


def test_a_peer_model_with_a_size_reports_bytes(peer: Peer) -> None:
    peer.model["bytes"] = {"value": 2_390_000_000, "readable": "2.4 GB"}
    events: List[DownloadEvent] = []
    with client(peer) as api_client:
        ModelApi(api_client).download(PEER_MODEL, on_progress=events.append)
    assert {e.total_bytes for e in events} == {2_390_000_000}
    assert events[-1].done_bytes == 2_390_000_000
    assert any(e.speed is not None for e in events)


@pytest.fixture
def peer() -> Any:
    with Peer() as server:
        yield server
