"""The notebook bar's logic without a kernel: when it is offered, what it shows, how often.

The real kernel is in test_live_notebook.py; here IPython is replaced by a stand-in module
holding a recording ``display``, so every case runs in microseconds.
"""

from __future__ import annotations

import sys
import types
from typing import Any, Dict, List, Optional, Tuple

import pytest

from pieces_os_client import DownloadEvent, ModelDownloadProgressStatusEnum
from pieces_os_client._display.notebook_bar import (
    UPDATE_INTERVAL,
    finish_notebook_progress,
    notebook_progress,
    render,
)
from pieces_os_client._display.progress_text import (
    duration_text,
    elapsed_text,
    eta_text,
    percent_text,
    text_bar,
)
from pieces_os_client.exceptions import ModelDownloadCanceled, ModelDownloadFailed

Status = ModelDownloadProgressStatusEnum


def _event(status: str, percentage: float, eta: Optional[float] = 5.0) -> DownloadEvent:
    return DownloadEvent("m1", Status(status), percentage, eta, 1.5, None)


class _Handle:
    def __init__(self, shown: List[Tuple[str, Dict[str, str]]], broken: bool) -> None:
        self._shown = shown
        self._broken = broken

    def update(self, bundle: Dict[str, str], raw: bool = False) -> None:
        assert raw is True
        if self._broken:
            raise RuntimeError("the front end went away")
        self._shown.append(("update", bundle))


class _FakeIPython:
    """What _live reads of IPython: ``get_ipython()`` and ``IPython.display.display``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, shell: Any) -> None:
        self.shown: List[Tuple[str, Dict[str, str]]] = []
        self.broken = False
        ipython = types.ModuleType("IPython")
        display_module = types.ModuleType("IPython.display")

        def get_ipython() -> Any:
            if isinstance(shell, Exception):
                raise shell
            return shell

        def display(bundle: Dict[str, str], raw: bool = False, display_id: bool = False) -> Any:
            assert raw is True and display_id is True
            self.shown.append(("display", bundle))
            return _Handle(self.shown, self.broken)

        ipython.get_ipython = get_ipython  # type: ignore[attr-defined]
        ipython.display = display_module  # type: ignore[attr-defined]
        display_module.display = display  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        monkeypatch.setitem(sys.modules, "IPython.display", display_module)


class _Kernel:
    kernel = object()


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> _FakeIPython:
    return _FakeIPython(monkeypatch, _Kernel())


def test_no_bar_outside_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert notebook_progress("m1") is None  # IPython never imported: a script
    _FakeIPython(monkeypatch, None)
    assert notebook_progress("m1") is None  # IPython imported, no shell running
    _FakeIPython(monkeypatch, types.SimpleNamespace())
    assert notebook_progress("m1") is None  # terminal IPython: a shell without a kernel
    _FakeIPython(monkeypatch, RuntimeError("half set up"))
    assert notebook_progress("m1") is None  # a broken IPython is no reason to fail


def test_the_bar_appears_once_then_updates_in_place(
    kernel: _FakeIPython, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr("pieces_os_client._display.notebook_bar.time.monotonic", lambda: clock[0])
    bar = notebook_progress("m1")
    assert bar is not None
    bar(_event("INITIALIZED", 0.0, None))
    bar(_event("IN-PROGRESS", 1.0))  # a new status: shown at once
    for step in range(2, 50):  # in the same instant: held back by the throttle
        bar(_event("IN-PROGRESS", float(step)))
    clock[0] += UPDATE_INTERVAL * 2
    bar(_event("IN-PROGRESS", 50.0))  # a tenth of a second later: shown
    bar(_event("COMPLETED", 100.0, 0.0))  # the end: always shown
    finish_notebook_progress(bar, None)

    kinds = [kind for kind, _ in kernel.shown]
    assert kinds == ["display"] + ["update"] * 4
    texts = [bundle["text/plain"] for _, bundle in kernel.shown]
    assert "0%" in texts[0] and "ETA unknown" in texts[0]
    assert "1%" in texts[1] and "5 s left" in texts[1]
    assert "50%" in texts[2]
    assert texts[-1].startswith("Downloaded: m1") and "100%" in texts[-1]
    assert "in 2 s" in texts[-1]  # elapsed 1.5 s, to the nearest second


@pytest.mark.parametrize(
    ("error", "heading", "why"),
    [
        (ModelDownloadFailed("disk full", model_id="m1"), "Download failed", "disk full"),
        (
            ModelDownloadCanceled("canceled by Pieces OS", model_id="m1"),
            "Download canceled",
            "by Pieces OS",
        ),
        (KeyboardInterrupt(), "Download canceled", "interrupted"),
        (ConnectionError("gone"), "Download failed", "gone"),
    ],
)
def test_the_final_state_says_how_it_ended(
    kernel: _FakeIPython, error: BaseException, heading: str, why: str
) -> None:
    bar = notebook_progress("m1")
    assert bar is not None
    bar(_event("IN-PROGRESS", 42.0))
    finish_notebook_progress(bar, error)
    finish_notebook_progress(bar, None)  # once ended, it stays as it ended
    bar(_event("IN-PROGRESS", 43.0))
    assert len(kernel.shown) == 2
    final = kernel.shown[-1][1]
    assert final["text/plain"].startswith(f"{heading}: m1") and "42%" in final["text/plain"]
    assert heading in final["text/html"] and why in final["text/html"]


def test_an_error_before_any_event_still_shows_the_failure(kernel: _FakeIPython) -> None:
    bar = notebook_progress("m1")
    finish_notebook_progress(bar, ConnectionError("refused"))
    assert [kind for kind, _ in kernel.shown] == ["display"]
    assert "refused" in kernel.shown[0][1]["text/plain"]


def test_a_broken_display_never_breaks_the_download(kernel: _FakeIPython) -> None:
    kernel.broken = True
    bar = notebook_progress("m1")
    assert bar is not None
    bar(_event("INITIALIZED", 0.0))
    bar(_event("IN-PROGRESS", 10.0))  # update() raises: swallowed, the bar stops
    bar(_event("COMPLETED", 100.0))
    finish_notebook_progress(bar, None)
    assert [kind for kind, _ in kernel.shown] == ["display"]


def test_finishing_a_callback_of_your_own_does_nothing() -> None:
    seen: List[DownloadEvent] = []
    finish_notebook_progress(seen.append, None)
    finish_notebook_progress(None, RuntimeError("x"))
    assert seen == []


def test_every_text_in_the_bar_is_escaped() -> None:
    bundle = render("failed", "<img src=x onerror=alert(1)>", None, "<b>boom</b> & more")
    assert "<img" not in bundle["text/html"] and "<b>boom" not in bundle["text/html"]
    assert "&lt;img" in bundle["text/html"] and "&amp; more" in bundle["text/html"]


def test_the_bar_width_follows_the_percentage() -> None:
    bundle = render("running", "m1", _event("IN-PROGRESS", 42.5))
    assert "width: 42.5%" in bundle["text/html"] and 'aria-valuenow="42.5"' in bundle["text/html"]
    assert "42%" in bundle["text/plain"] and "5 s left" in bundle["text/plain"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 s"),
        (0.2, "1 s"),
        (59.0, "59 s"),
        (60.0, "1 min"),
        (75.0, "1 min 15 s"),
        (3600.0, "1 h"),
        (7500.0, "2 h 5 min"),
    ],
)
def test_durations_read_short(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_progress_texts() -> None:
    assert eta_text(None) == eta_text(float("inf")) == "ETA unknown"
    assert eta_text(12.0) == "12 s left" and eta_text(0.2) == "1 s left"  # rounded up
    assert elapsed_text(2.2) == "2 s" and elapsed_text(2.6) == "3 s"  # to the nearest
    assert percent_text(99.99) == "99%" and percent_text(100.0) == "100%"
    assert percent_text(-3) == "0%" and percent_text(250) == "100%"
    assert (
        text_bar(0, 4) == "...." and text_bar(100, 4) == "####" and text_bar(55, 10) == "#####....."
    )
