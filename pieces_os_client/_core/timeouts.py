"""Timeouts and call limits, as values: what ``Configuration.timeout`` and ``_request_timeout``
mean, with no transport behind them (each backend turns a :class:`Timeouts` into its own).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Optional

from pieces_os_client.exceptions import ApiValueError

__all__ = ["CallLimits", "Timeouts", "make_timeout", "timeout_seconds"]


@dataclass(frozen=True)
class Timeouts:
    """A call's timeouts in seconds: ``total`` (a deadline for the whole call), or ``connect``
    and ``read`` (each wait for data). None: unbounded.

    Example::

        >>> make_timeout(5).connect_timeout, make_timeout((2, 30)).connect_timeout
        (5.0, 2.0)
    """

    connect: Optional[float] = None
    read: Optional[float] = None
    total: Optional[float] = None

    @property
    def connect_timeout(self) -> Optional[float]:
        """Seconds to connect: ``connect``, no more than ``total`` (as urllib3 reads it)."""
        if self.total is None:
            return self.connect
        return self.total if self.connect is None else min(self.connect, self.total)

    @property
    def read_timeout(self) -> Optional[float]:
        """Seconds for each wait for data (``read``; ``total`` without one)."""
        return self.read if self.read is not None or self.total is None else self.total


def make_timeout(spec: Any) -> Timeouts:
    """``5`` -> ``Timeouts(total=5)``, a deadline for the whole call; ``(2, 30)`` -> connect 2 s,
    then 30 s for each wait for data. A urllib3 ``Timeout`` is read the same way (its
    numbers kept, its defaults unbounded)."""
    if isinstance(spec, Timeouts):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool) and spec > 0:
        return Timeouts(total=float(spec))
    if (
        isinstance(spec, (tuple, list))
        and len(spec) == 2
        and all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0 for s in spec)
    ):
        return Timeouts(connect=float(spec[0]), read=float(spec[1]))
    if _is_urllib3_timeout(spec):
        return Timeouts(_number(spec._connect), _number(spec._read), _number(spec.total))
    raise ApiValueError(
        f"timeout must be a positive number of seconds or a (connect, read) pair, not {spec!r}"
    )


def _is_urllib3_timeout(spec: Any) -> bool:
    """A ``urllib3.Timeout`` (recognised by its class, urllib3 is not imported here)."""
    return any(
        cls.__name__ == "Timeout" and cls.__module__.startswith("urllib3")
        for cls in type(spec).__mro__
    )


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def timeout_seconds(timeout: Timeouts) -> Optional[float]:
    """The deadline a timeout sets for the whole call: its ``total`` (a number timeout)."""
    return timeout.total


class CallLimits:
    """What bounds one call: its deadline (``time.monotonic()``) and its body size."""

    __slots__ = ("deadline", "max_size", "seconds")

    def __init__(self, seconds: Optional[float], max_size: Optional[int]) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.max_size = max_size

    def left(self) -> float:
        """Seconds until the deadline (may be negative); infinite without one."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()
