"""How a download's progress reads as text: the percentage, the bytes, the speed, the time left,
a bar of characters.

Shared by the command line's bars and the notebook bar (:mod:`pieces_os_client._display.notebook_bar`), so a
download reads the same everywhere. Standard library only.

Example::

    >>> from pieces_os_client._display.progress_text import eta_text, percent_text, text_bar
    >>> percent_text(42.25), eta_text(75.0), text_bar(50.0, 10)
    ('42%', '1 min 15 s left', '#####.....')
    >>> size_text(1_930_000_000), speed_text(45_200_000)
    ('1.9 GB', '45 MB/s')
"""

from __future__ import annotations

import math
from typing import Any, Optional, Protocol


class _Figures(Protocol):
    """What :func:`details_text` reads of a ``DownloadEvent`` (named structurally: the event's
    module imports this one)."""

    @property
    def status(self) -> Any: ...
    @property
    def eta(self) -> Optional[float]: ...
    @property
    def done_bytes(self) -> Optional[int]: ...
    @property
    def total_bytes(self) -> Optional[int]: ...
    @property
    def speed(self) -> Optional[float]: ...
    @property
    def done(self) -> bool: ...


__all__ = [
    "DETAILS_WIDTH",
    "details_text",
    "duration_text",
    "elapsed_text",
    "eta_text",
    "percent_text",
    "short_eta_text",
    "size_text",
    "speed_text",
    "text_bar",
]

#: Decimal units, as Pieces OS writes a model's size ("4.1 GB").
_UNITS = (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3))
#: The width :func:`details_text` of a running download usually takes (a model of a few GB),
#: for laying out a line; a wider one is cut at the end of the line.
DETAILS_WIDTH = len("9.9 GB / 9.9 GB · 99 MB/s · 9 min left")


def percent_text(percentage: float) -> str:
    """Whole percent, rounded down, so "100%" appears only once the download is complete."""
    return f"{max(0, min(100, math.floor(percentage)))}%"


def duration_text(seconds: float) -> str:
    """``8 s``, ``1 min 15 s``, ``2 h 5 min``: short enough for one line of a bar."""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def elapsed_text(seconds: float) -> str:
    """How long something took, to the nearest second (a time left rounds up instead)."""
    return duration_text(round(seconds))


def eta_text(eta: Optional[float]) -> str:
    """The time left as words; ``"ETA unknown"`` until the client could estimate it."""
    if eta is None or not math.isfinite(eta):
        return "ETA unknown"
    return f"{duration_text(eta)} left"


def text_bar(percentage: float, width: int, *, fill: str = "#", empty: str = ".") -> str:
    """A bar of ``width`` characters, ``fill`` up to the percentage."""
    done = int(width * max(0.0, min(100.0, percentage)) / 100.0)
    return fill * done + empty * (width - done)


def size_text(size: float) -> str:
    """``1.9 GB``, ``45 MB``, ``512 B``: one decimal below 10 of a unit, none above."""
    size = max(0.0, float(size))
    for unit, scale in _UNITS:
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:.0f} {unit}"
    return f"{size:.0f} B"


def speed_text(bytes_per_second: float) -> str:
    """``45 MB/s``."""
    return f"{size_text(bytes_per_second)}/s"


def details_text(event: _Figures) -> str:
    """What is known of a download besides its percentage, ``·``-separated:
    ``1.9 GB / 4.4 GB · 45 MB/s · 2 min left`` while it runs when its size is known (a
    minute or more left is rounded up to whole minutes),
    ``12 s left`` (or ``ETA unknown``) when it is not; once it ended, the bytes alone
    (``4.4 GB`` when complete).

    Example::

        >>> from pieces_os_client import DownloadEvent, ModelDownloadProgressStatusEnum
        >>> running = ModelDownloadProgressStatusEnum("IN-PROGRESS")
        >>> details_text(DownloadEvent("m1", running, 43.2, 55.0, 9.0, None,
        ...     done_bytes=1_900_800_000, total_bytes=4_400_000_000, speed=45_000_000.0))
        '1.9 GB / 4.4 GB · 45 MB/s · 55 s left'
        >>> details_text(DownloadEvent("m1", running, 43.2, None, 9.0, None))
        'ETA unknown'
    """
    parts = []
    if event.total_bytes is not None:
        if event.done and event.status.value == "COMPLETED":
            parts.append(size_text(event.total_bytes))
        else:
            parts.append(f"{size_text(event.done_bytes or 0)} / {size_text(event.total_bytes)}")
    if not event.done:
        if event.speed is not None:
            parts.append(speed_text(event.speed))
        parts.append(short_eta_text(event.eta))
    return " · ".join(parts)


def short_eta_text(eta: Optional[float]) -> str:
    """:func:`eta_text` in whole minutes (rounded up) from a minute on: short and steady.

    Example::

        >>> short_eta_text(75.0), short_eta_text(42.0), short_eta_text(None)
        ('2 min left', '42 s left', 'ETA unknown')
    """
    if eta is not None and math.isfinite(eta) and eta >= 60:
        eta = math.ceil(eta / 60) * 60
    return eta_text(eta)
