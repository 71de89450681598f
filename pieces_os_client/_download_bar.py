"""How ``pieces-os-models models download`` shows a download as it goes.

One display per run, picked by where stdout goes:

- a terminal, with the ``cli`` extra: rich's progress bar (name, bar, percentage, time left),
  redrawn in place;
- a terminal without rich: the same on one line, redrawn with ``\\r``;
- a pipe or a file: a plain line when the status changes and at each tenth of the way, so a
  log gets a dozen lines, not one per message;
- ``--json``, anywhere: one JSON object per event (``model_id``, ``status``, ``percentage``,
  ``eta``), for another program to read.

Each display is called with every :class:`~pieces_os_client.DownloadEvent` and closed once
(also after Ctrl-C or a failure), which ends its line.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from typing import TYPE_CHECKING, Any, Optional

from pieces_os_client._progress_text import eta_text, percent_text, text_bar
from pieces_os_client.models._display import printable

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import DownloadEvent
    from pieces_os_client._terminal import Terminal

__all__ = ["DownloadDisplay", "download_display", "event_json"]

#: Fewest seconds between two redraws of the one-line bar (rich keeps its own pace, 10/s).
REDRAW_INTERVAL = 0.1
#: A pipe gets a line each time the download passes another multiple of this many percent.
LINE_EVERY = 10


class DownloadDisplay:
    """Shows nothing; the base of every display (and what a test can pass)."""

    def __call__(self, event: DownloadEvent) -> None:
        """Show ``event``."""

    def close(self) -> None:
        """The download ended (however): finish the display's line."""


def event_json(event: DownloadEvent) -> str:
    """One event as the JSON line ``--json`` prints.

    Example::

        >>> from pieces_os_client import DownloadEvent, ModelDownloadProgressStatusEnum
        >>> event = DownloadEvent("m1", ModelDownloadProgressStatusEnum("IN-PROGRESS"),
        ...                       42.5, 12.25, 3.0, None)
        >>> event_json(event)
        '{"model_id": "m1", "status": "IN-PROGRESS", "percentage": 42.5, "eta": 12.25}'
    """
    eta = event.eta if event.eta is not None and math.isfinite(event.eta) else None
    return json.dumps(
        {
            "model_id": event.model_id,
            "status": str(event.status.value),
            "percentage": round(event.percentage, 2),
            "eta": None if eta is None else round(eta, 2),
        }
    )


def download_display(terminal: Terminal, label: str, *, json_lines: bool) -> DownloadDisplay:
    """The display for a download of the model named ``label``, on ``terminal``'s stdout."""
    if json_lines:
        return _JsonLines(terminal)
    if not terminal.out_is_terminal:
        return _Lines(terminal, label)
    console = terminal._out_console
    if console is not None:
        return _RichBar(console, label)
    return _OneLine(terminal, label)


class _JsonLines(DownloadDisplay):
    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal

    def __call__(self, event: DownloadEvent) -> None:
        self._terminal.line(event_json(event))
        self._terminal.stdout.flush()  # a reader acts on each line as it comes


class _Lines(DownloadDisplay):
    """A line per status change and per :data:`LINE_EVERY` percent."""

    def __init__(self, terminal: Terminal, label: str) -> None:
        self._terminal = terminal
        self._label = printable(label)
        self._status: Any = None
        self._step = -1

    def __call__(self, event: DownloadEvent) -> None:
        step = int(event.percentage // LINE_EVERY)
        if event.status == self._status and step == self._step:
            return
        self._status, self._step = event.status, step
        self._terminal.line(f"{self._label}: {_summary(event)}")
        self._terminal.stdout.flush()


def _summary(event: DownloadEvent) -> str:
    """``42%, 12 s left (IN-PROGRESS)``; the time left only while it runs."""
    parts = percent_text(event.percentage)
    if not event.done:
        parts += f", {eta_text(event.eta)}"
    return f"{parts} ({event.status.value})"


class _OneLine(DownloadDisplay):
    """``name [#####.....]  42% · 12 s left`` redrawn in place with a carriage return."""

    def __init__(self, terminal: Terminal, label: str) -> None:
        self._terminal = terminal
        self._label = printable(label)
        self._drawn_at = float("-inf")
        self._shown = False
        self._last: Optional[DownloadEvent] = None

    def __call__(self, event: DownloadEvent) -> None:
        self._last = event
        now = time.monotonic()
        if not event.done and now - self._drawn_at < REDRAW_INTERVAL:
            return
        self._drawn_at = now
        self._draw(event)

    def _draw(self, event: DownloadEvent) -> None:
        room = shutil.get_terminal_size().columns - 1  # the last column would wrap the line
        tail = f"  {percent_text(event.percentage):>4}"
        if not event.done:
            tail += f" · {eta_text(event.eta)}"
        bar_width = max(10, min(30, room - len(tail) - 16))
        label_room = max(8, room - len(tail) - bar_width - 3)
        label = self._label
        if len(label) > label_room:
            label = label[: label_room - 1] + "\N{HORIZONTAL ELLIPSIS}"
        line = f"{label} [{text_bar(event.percentage, bar_width)}]{tail}"[:room]
        self._terminal.stdout.write(f"\r\033[K{line}")
        self._terminal.stdout.flush()
        self._shown = True

    def close(self) -> None:
        if self._last is not None and self._drawn_at != float("-inf"):
            self._draw(self._last)  # where it stopped, not the last throttled frame
        if self._shown:
            self._terminal.stdout.write("\n")
            self._terminal.stdout.flush()


class _RichBar(DownloadDisplay):
    """rich's Progress: the model's name, a bar, the percentage, the time left."""

    def __init__(self, console: Any, label: str) -> None:
        from rich.progress import BarColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}", markup=False, style="bold"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[shown]:>4}"),
            TextColumn("{task.fields[eta]}", style="dim"),
            console=console,
            refresh_per_second=10,
            # The bar stays on screen where it stopped: a failure's line follows it.
            transient=False,
        )
        self._task = self._progress.add_task(
            _fit(printable(label), console.width), total=100.0, shown="0%", eta=eta_text(None)
        )
        self._started = False

    def __call__(self, event: DownloadEvent) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        self._progress.update(
            self._task,
            completed=event.percentage,
            shown=percent_text(event.percentage),
            eta="" if event.done else eta_text(event.eta),
        )

    def close(self) -> None:
        if self._started:
            self._progress.stop()


def _fit(label: str, width: int) -> str:
    """The model's name, shortened so that name, bar and figures fit on one line."""
    room = max(8, width - 30 - 4 - len("1 min 15 s left") - 4)
    return label if len(label) <= room else label[: room - 1] + "\N{HORIZONTAL ELLIPSIS}"
