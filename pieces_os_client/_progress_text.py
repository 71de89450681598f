"""How a download's progress reads as text: the percentage, the time left, a bar of characters.

Shared by the command line's bars and the notebook bar (:mod:`pieces_os_client._live`), so a
download reads the same everywhere. Standard library only.

Example::

    >>> from pieces_os_client._progress_text import eta_text, percent_text, text_bar
    >>> percent_text(42.25), eta_text(75.0), text_bar(50.0, 10)
    ('42%', '1 min 15 s left', '#####.....')
"""

from __future__ import annotations

import math
from typing import Optional

__all__ = ["duration_text", "elapsed_text", "eta_text", "percent_text", "text_bar"]


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
