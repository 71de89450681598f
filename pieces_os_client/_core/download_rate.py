"""How fast a download goes: the smoothed rate its ETA and speed come from."""

from __future__ import annotations

import math
from typing import Optional, Tuple

__all__ = ["RATE_MIN_SPAN", "RATE_SMOOTHING", "RateEstimate"]

#: Seconds over which the download rate is smoothed (the time constant of the average).
RATE_SMOOTHING = 3.0
#: Messages closer together than this (seconds) are measured together: a burst would
#: otherwise read as an enormous rate.
RATE_MIN_SPAN = 0.02


class RateEstimate:
    """Percent per second, an exponential moving average over time.

    Each reading is weighed by how long it spans (``1 - exp(-span / smoothing)``), so the
    estimate follows a changing rate within a few ``smoothing`` seconds whatever the message
    cadence. Readings closer than ``min_span`` to the last one wait to be measured together.

    Example::

        >>> rate = RateEstimate()
        >>> for now, percentage in [(0.0, 10.0), (1.0, 20.0), (2.0, 30.0)]:
        ...     rate.observe(now, percentage)
        >>> rate.rate, rate.eta(30.0)
        (10.0, 7.0)
    """

    def __init__(self, smoothing: float = RATE_SMOOTHING, min_span: float = RATE_MIN_SPAN) -> None:
        self.smoothing = smoothing
        self.min_span = min_span
        #: Percent per second, None before two readings far enough apart.
        self.rate: Optional[float] = None
        self._mark: Optional[Tuple[float, float]] = None

    def observe(self, now: float, percentage: float) -> None:
        """Take the percentage seen at ``now`` (seconds, any monotonic clock)."""
        if self._mark is None:
            self._mark = (now, percentage)
            return
        then, before = self._mark
        span = now - then
        if span < self.min_span:
            return
        rate = max(0.0, percentage - before) / span
        if self.rate is None:
            self.rate = rate
        else:
            self.rate += (1.0 - math.exp(-span / self.smoothing)) * (rate - self.rate)
        self._mark = (now, percentage)

    def eta(self, percentage: float) -> Optional[float]:
        """Seconds until 100 % at the current rate; None while it is unknown or zero."""
        if not self.rate:
            return None
        return max(0.0, 100.0 - percentage) / self.rate
