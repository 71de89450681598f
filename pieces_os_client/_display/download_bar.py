"""How ``pieces-os-models models download`` shows downloads as they go.

One display per run, picked by where stdout goes, for one model or several at once:

- a terminal, with the ``cli`` extra: rich's progress bars (name, bar, percentage, then bytes
  done of the size, speed and time left where the size is known), redrawn in place; with
  several models, a bar per model and a total;
- a terminal without rich: the same lines, redrawn with ``\\r`` (and cursor-up for several);
- a pipe or a file: a plain line per model when its status changes and at each tenth of the
  way, so a log gets a dozen lines per model, not one per message;
- ``--json``, anywhere: one JSON object per event (:func:`event_json`), for another program
  to read; the last object of each model is its ending (``"final": true``): ``COMPLETED``,
  ``FAILED``, ``CANCELED`` (also after Ctrl-C) or ``STALLED``.

Each display is called with every :class:`~pieces_os_client.DownloadEvent`, told how a
download ended when the event stream could not say it (:meth:`DownloadDisplay.ended`: Ctrl-C,
a stall, a lost connection), and closed once, which ends its lines.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from pieces_os_client._display.progress_text import (
    DETAILS_WIDTH,
    details_text,
    duration_text,
    percent_text,
    short_eta_text,
    size_text,
    speed_text,
    text_bar,
)
from pieces_os_client._display.text import printable

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import DownloadEvent
    from pieces_os_client._display.terminal import Terminal

__all__ = ["DownloadDisplay", "download_display", "ending_json", "event_json"]

#: Fewest seconds between two redraws of the plain bars (rich keeps its own pace, 10/s).
REDRAW_INTERVAL = 0.1
#: A pipe gets a line each time a download passes another multiple of this many percent.
LINE_EVERY = 10
#: The endings a display is told of that no event carries.
CANCELED, FAILED, STALLED = "CANCELED", "FAILED", "STALLED"


def _json_number(value: Optional[float], digits: int) -> Optional[float]:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def event_json(event: DownloadEvent) -> str:
    """One event as the JSON line ``--json`` prints.

    ``done_bytes``, ``total_bytes`` and ``speed`` (bytes per second) are null where the
    model's size is unknown, ``speed`` and ``eta`` (seconds) also until the rate is known;
    ``final`` is true for the download's last object.

    Example::

        >>> from pieces_os_client import DownloadEvent, ModelDownloadProgressStatusEnum
        >>> event = DownloadEvent("m1", ModelDownloadProgressStatusEnum("IN-PROGRESS"),
        ...                       42.5, 12.25, 3.0, None, done_bytes=850, total_bytes=2000,
        ...                       speed=41.5, model_name="M")
        >>> event_json(event)  # doctest: +NORMALIZE_WHITESPACE
        '{"model_id": "m1", "name": "M", "status": "IN-PROGRESS", "percentage": 42.5,
          "done_bytes": 850, "total_bytes": 2000, "speed": 42, "eta": 12.25, "final": false,
          "error": null}'
    """
    speed = _json_number(event.speed, 0)
    return json.dumps(
        {
            "model_id": event.model_id,
            "name": event.model_name,
            "status": str(event.status.value),
            "percentage": round(event.percentage, 2),
            "done_bytes": event.done_bytes,
            "total_bytes": event.total_bytes,
            "speed": None if speed is None else int(speed),
            "eta": _json_number(event.eta, 2),
            "final": event.done,
            "error": None,
        }
    )


def ending_json(
    model_id: str,
    name: Optional[str],
    status: str,
    last: Optional[DownloadEvent],
    error: Optional[str] = None,
    total_bytes: Optional[int] = None,
) -> str:
    """The final object of a download whose end no event carried (Ctrl-C, a stall, an error),
    or of a model that was downloaded before the command ran (``last`` None, ``COMPLETED``,
    and its size as ``total_bytes`` when known).

    Example::

        >>> ending_json("m1", "M", "CANCELED", None, "interrupted (Ctrl-C)")  # doctest: +NORMALIZE_WHITESPACE
        '{"model_id": "m1", "name": "M", "status": "CANCELED", "percentage": 0.0,
          "done_bytes": null, "total_bytes": null, "speed": null, "eta": null, "final": true,
          "error": "interrupted (Ctrl-C)"}'
    """
    complete = status == "COMPLETED"
    percentage = 100.0 if complete else (last.percentage if last is not None else 0.0)
    total = last.total_bytes if last is not None else total_bytes
    done = total if complete else (last.done_bytes if last is not None else None)
    return json.dumps(
        {
            "model_id": model_id,
            "name": name if name is not None else (last.model_name if last else None),
            "status": status,
            "percentage": round(percentage, 2),
            "done_bytes": done,
            "total_bytes": total,
            "speed": None,
            "eta": 0.0 if complete else None,
            "final": True,
            "error": error,
        }
    )


class DownloadDisplay:
    """Shows nothing; the base of every display (and what a test can pass)."""

    def __call__(self, event: DownloadEvent) -> None:
        """Show ``event``."""

    def ended(self, model_id: str, status: str, error: str) -> None:
        """The download of ``model_id`` ended in a way no event said (``status``:
        :data:`CANCELED` after Ctrl-C, :data:`STALLED`, :data:`FAILED` on an error)."""

    def close(self) -> None:
        """Every download ended (however): finish the display's lines."""


def download_display(
    terminal: Terminal, labels: Dict[str, str], *, json_lines: bool
) -> DownloadDisplay:
    """The display for the downloads of ``labels`` (model id to the name shown, in order) on
    ``terminal``'s stdout."""
    if json_lines:
        return _JsonLines(terminal, labels)
    if not terminal.out_is_terminal:
        return _Lines(terminal, labels)
    console = terminal._out_console
    if console is not None:
        return _RichBars(console, labels)
    return _PlainBars(terminal, labels)


class _JsonLines(DownloadDisplay):
    def __init__(self, terminal: Terminal, labels: Dict[str, str]) -> None:
        self._terminal = terminal
        self._names = dict(labels)
        self._last: Dict[str, DownloadEvent] = {}

    def __call__(self, event: DownloadEvent) -> None:
        self._last[event.model_id] = event
        self._write(event_json(event))

    def ended(self, model_id: str, status: str, error: str) -> None:
        last = self._last.get(model_id)
        if last is not None and last.done:
            return  # its last object already said how it ended
        self._write(ending_json(model_id, self._names.get(model_id), status, last, error))

    def _write(self, line: str) -> None:
        self._terminal.line(line)
        self._terminal.stdout.flush()  # a reader acts on each line as it comes


class _Lines(DownloadDisplay):
    """A line per status change and per :data:`LINE_EVERY` percent, for each model."""

    def __init__(self, terminal: Terminal, labels: Dict[str, str]) -> None:
        self._terminal = terminal
        self._labels = {model_id: printable(label) for model_id, label in labels.items()}
        self._shown: Dict[str, Any] = {}

    def __call__(self, event: DownloadEvent) -> None:
        step = (event.status, int(event.percentage // LINE_EVERY))
        if self._shown.get(event.model_id) == step:
            return
        self._shown[event.model_id] = step
        label = self._labels.get(event.model_id, event.model_id)
        self._terminal.line(f"{label}: {_summary(event)}")
        self._terminal.stdout.flush()


def _summary(event: DownloadEvent) -> str:
    """``42% · 1.9 GB / 4.4 GB · 45 MB/s · 12 s left (IN-PROGRESS)``."""
    details = details_text(event)
    shown = percent_text(event.percentage) + (f" · {details}" if details else "")
    return f"{shown} ({event.status.value})"


class _Rows:
    """The rows of a display of several downloads: the latest event of each, and a total."""

    def __init__(self, labels: Dict[str, str]) -> None:
        self.labels = {model_id: printable(label) for model_id, label in labels.items()}
        self.last: Dict[str, DownloadEvent] = {}
        self.endings: Dict[str, str] = {}

    @property
    def many(self) -> bool:
        return len(self.labels) > 1

    def row(self, model_id: str) -> tuple[float, str]:
        """(percentage, details) of one model."""
        event = self.last.get(model_id)
        ending = self.endings.get(model_id)
        if event is None:
            return 0.0, ending.lower() if ending else "waiting"
        details = details_text(event)
        if ending:
            details = f"{details} · {ending.lower()}" if details else ending.lower()
        return event.percentage, details

    def total(self) -> tuple[float, str]:
        """(percentage, details) of all: by bytes where every size is known, the time left
        of the slowest."""
        events = [self.last.get(model_id) for model_id in self.labels]
        known = [e for e in events if e is not None]
        if len(known) == len(events) and all(e.total_bytes is not None for e in known):
            total = sum(e.total_bytes or 0 for e in known)
            done = sum(e.done_bytes or 0 for e in known)
            percentage = 100.0 * done / total if total else 0.0
            complete = all(e.done and e.status.value == "COMPLETED" for e in known)
            parts = [size_text(total) if complete else f"{size_text(done)} / {size_text(total)}"]
        else:
            percentage = sum(e.percentage for e in known) / len(events)
            parts = []
        running = [e for e in known if not e.done and e.model_id not in self.endings]
        speeds = [e.speed for e in running]
        if running and all(speed is not None for speed in speeds):
            parts.append(speed_text(sum(speed or 0.0 for speed in speeds)))
        waiting = len(known) < len(events)
        etas = [e.eta for e in running]
        if running or waiting:
            worst = None if waiting or any(eta is None for eta in etas) else max(etas)  # type: ignore[type-var]
            parts.append(short_eta_text(worst))
        return percentage, " · ".join(parts)

    def total_label(self) -> str:
        return f"Total ({len(self.labels)} models)"


class _PlainBars(DownloadDisplay):
    """``name [#####.....]  42% 1.9 GB / 4.4 GB · 45 MB/s · 12 s left`` per model (and a
    total line for several), redrawn in place."""

    def __init__(self, terminal: Terminal, labels: Dict[str, str]) -> None:
        self._terminal = terminal
        self._rows = _Rows(labels)
        self._drawn_at = float("-inf")
        self._lines_drawn = 0
        self._dirty = False

    def __call__(self, event: DownloadEvent) -> None:
        self._rows.last[event.model_id] = event
        self._dirty = True
        now = time.monotonic()
        if not event.done and now - self._drawn_at < REDRAW_INTERVAL:
            return
        self._drawn_at = now
        self._draw()

    def ended(self, model_id: str, status: str, error: str) -> None:
        self._rows.endings[model_id] = status
        self._dirty = True

    def _draw(self) -> None:
        room = shutil.get_terminal_size().columns - 1  # the last column would wrap the line
        rows = self._rows
        lines: List[tuple[str, float, str]] = [
            (rows.labels[model_id], *rows.row(model_id)) for model_id in rows.labels
        ]
        if rows.many:
            lines.append((rows.total_label(), *rows.total()))
        tails = [
            f" {percent_text(percentage):>4}" + (f" {details}" if details else "")
            for _, percentage, details in lines
        ]
        # One layout for every line, so that the bars line up and keep their width from
        # frame to frame: the names first, the bar what is left (8 to 30) after room for
        # the usual figures; a line still too long is cut at its end.
        tail_width = max([len(" 100% ") + DETAILS_WIDTH, *(len(tail) for tail in tails)])
        label_width = max(len(label) for label, _, _ in lines)
        bar_width = max(8, min(30, room - tail_width - label_width - 3))
        label_width = max(8, min(label_width, room - tail_width - bar_width - 3))
        text = []
        for (label, percentage, _), tail in zip(lines, tails):
            shown = label if len(label) <= label_width else label[: label_width - 1] + "…"
            bar = text_bar(percentage, bar_width)
            text.append(f"{shown:<{label_width}} [{bar}]{tail}"[:room])
        out = self._terminal.stdout
        if self._lines_drawn > 1:
            out.write(f"\r\033[{self._lines_drawn - 1}A")
        out.write("\n".join(f"\r\033[K{line}" for line in text))
        out.flush()
        self._lines_drawn = len(text)
        self._dirty = False

    def close(self) -> None:
        if self._rows.last or self._rows.endings:
            if self._dirty or self._lines_drawn:
                self._draw()  # where it stopped, not the last throttled frame
            self._terminal.stdout.write("\n")
            self._terminal.stdout.flush()


class _RichBars(DownloadDisplay):
    """rich's Progress: per model its name, a bar, the percentage and the details; a total
    for several."""

    def __init__(self, console: Any, labels: Dict[str, str]) -> None:
        from rich.progress import BarColumn, Progress, TextColumn
        from rich.table import Column

        self._rows = _Rows(labels)
        width = console.width
        names = list(self._rows.labels.values())
        if self._rows.many:
            names.append(self._rows.total_label())
        # The figures first, then the names, then the bar gets what is left (8 to 30).
        fixed = 4 + DETAILS_WIDTH + 4  # the percentage, the details, the gaps between columns
        longest = max(len(name) for name in names)
        bar_width = max(8, min(30, width - fixed - longest))
        longest = max(8, min(longest, width - fixed - bar_width))
        self._progress = Progress(
            TextColumn(
                "{task.description}",
                markup=False,
                style="bold",
                table_column=Column(no_wrap=True, overflow="ellipsis"),
            ),
            BarColumn(bar_width=bar_width),
            TextColumn("{task.fields[shown]:>4}"),
            TextColumn(
                "{task.fields[details]}",
                markup=False,
                style="dim",
                table_column=Column(no_wrap=True, overflow="ellipsis"),
            ),
            console=console,
            refresh_per_second=10,
            # The bars stay on screen where they stopped: a failure's line follows them.
            transient=False,
        )
        self._tasks = {
            model_id: self._progress.add_task(
                _fit(label, longest), total=100.0, shown="0%", details="waiting"
            )
            for model_id, label in self._rows.labels.items()
        }
        self._total = (
            self._progress.add_task(
                _fit(self._rows.total_label(), longest), total=100.0, shown="0%", details=""
            )
            if self._rows.many
            else None
        )
        self._started = False

    def __call__(self, event: DownloadEvent) -> None:
        if not self._started:
            self._progress.start()
            self._started = True
        self._rows.last[event.model_id] = event
        self._update(event.model_id)

    def ended(self, model_id: str, status: str, error: str) -> None:
        self._rows.endings[model_id] = status
        if self._started:
            self._update(model_id)

    def _update(self, model_id: str) -> None:
        task = self._tasks.get(model_id)
        if task is not None:
            percentage, details = self._rows.row(model_id)
            self._progress.update(
                task, completed=percentage, shown=percent_text(percentage), details=details
            )
        if self._total is not None:
            percentage, details = self._rows.total()
            self._progress.update(
                self._total, completed=percentage, shown=percent_text(percentage), details=details
            )

    def close(self) -> None:
        if self._started:
            self._progress.stop()


def _fit(label: str, width: int) -> str:
    """The name padded or shortened to ``width`` characters, so that the bars line up."""
    if len(label) > width:
        return label[: width - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return label.ljust(width)


def took_text(events: Sequence[Optional[DownloadEvent]]) -> str:
    """`` in 12 s`` for the longest of ``events`` (empty when none was seen)."""
    seen = [event.elapsed for event in events if event is not None]
    return f" in {duration_text(round(max(seen)))}" if seen else ""
