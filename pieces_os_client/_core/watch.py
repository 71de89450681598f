"""The watcher's whole behaviour, transport-free: what changed, when a burst is over, when to
reconnect.

``ModelsApi.models_watch()`` (sync, :mod:`pieces_os_client.stream`) and its async twin
(:mod:`pieces_os_client.aio.stream`) drive :class:`Watch`, a generator of the I/O
:class:`Step` s it needs (connect, receive, snapshot, disconnect, sleep), with
:class:`WatchState` (what changed), :class:`Burst` (when a burst is over) and
:class:`Reconnects` (how long to wait before reconnecting). The front ends only perform the
steps. :class:`Reconnects` also paces the reconnects of a followed download.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Generator, Optional, Set, Tuple

from pieces_os_client._core.retry import Retries, RetryPolicy, make_retry
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
)

if TYPE_CHECKING:
    from pieces_os_client.models.models import Models
    from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers

__all__ = ["ModelsChange", "Reconnects", "Step", "Watch", "WatchState"]

#: A burst is over when no message came for this long (seconds) ...
COALESCE_QUIET = 0.05
#: ... or when it has lasted this long, whichever comes first.
COALESCE_MAX = 0.5


@dataclass(frozen=True)
class ModelsChange:
    """What one step of a watcher saw: the ids that changed and the models as they are now.

    ``added``, ``updated`` and ``removed`` list model ids (in the order of ``models``, or of
    the previous snapshot for ``removed``). The first change of a watch has ``initial`` set
    and every model in ``added``.

    Example::

        >>> from pieces_os_client import Models
        >>> from pieces_os_client.stream import ModelsChange
        >>> change = ModelsChange(added=("m1",), updated=(), removed=(),
        ...                       models=Models(iterable=[]), initial=False)
        >>> change.ids
        ('m1',)
    """

    added: Tuple[str, ...]
    updated: Tuple[str, ...]
    removed: Tuple[str, ...]
    models: Models
    initial: bool = False

    @property
    def ids(self) -> Tuple[str, ...]:
        """Every id this change is about: added, then updated, then removed."""
        return self.added + self.updated + self.removed

    def __str__(self) -> str:
        parts = [
            f"{label} {', '.join(ids)}"
            for label, ids in (
                ("added", self.added),
                ("updated", self.updated),
                ("removed", self.removed),
            )
            if ids
        ]
        head = "initial: " if self.initial else ""
        return f"{head}{'; '.join(parts) or 'no models'} ({len(self.models)} models)"


@dataclass
class WatchState:
    """What the watcher knows between messages: the last snapshot and the ids touched since.

    The front end calls :meth:`connected` after each (re)connect, :meth:`feed` with each
    message, and :meth:`settle` with a fresh snapshot once a burst is over. The first message
    after a connect is the full set of ids: it is not taken as "these changed" but makes the
    next snapshot be compared field by field with the last one, so nothing that happened
    while disconnected is missed.
    """

    models: Optional[Models] = None
    _resync: bool = True
    _touched: Set[str] = field(default_factory=set)
    _pending: bool = False

    def connected(self) -> None:
        """A new connection: its first message will be the full set of ids."""
        self._resync = True

    def feed(self, message: StreamedIdentifiers) -> None:
        """Take one message; a snapshot is now due."""
        self._pending = True
        if self._resync:
            self._resync = False
            return
        for item in message.iterable:
            if item.model is not None:
                self._touched.add(item.model.id)

    @property
    def pending(self) -> bool:
        """True when messages came since the last :meth:`settle`."""
        return self._pending

    def settle(self, snapshot: Models) -> Optional[ModelsChange]:
        """The change from the last snapshot to ``snapshot``, or None when nothing differs."""
        previous, touched = self.models, self._touched
        self.models, self._touched, self._pending = snapshot, set(), False
        ids = [model.id for model in snapshot.iterable]
        if previous is None:
            return ModelsChange(tuple(ids), (), (), snapshot, initial=True)
        before = {model.id: model for model in previous.iterable}
        now = set(ids)
        added = tuple(i for i in ids if i not in before)
        updated = tuple(
            model.id
            for model in snapshot.iterable
            if model.id in before and (model.id in touched or before[model.id] != model)
        )
        removed = tuple(i for i in before if i not in now)
        if not (added or updated or removed):
            return None
        return ModelsChange(added, updated, removed, snapshot)


@dataclass
class Burst:
    """When to stop waiting for more messages of a burst, from clock readings alone."""

    quiet: float = COALESCE_QUIET
    longest: float = COALESCE_MAX
    _started: Optional[float] = None
    _last: float = 0.0

    def message(self, now: float) -> None:
        """A message arrived at ``now``."""
        if self._started is None:
            self._started = now
        self._last = now

    def wait(self, now: float) -> Optional[float]:
        """Seconds to wait for another message: None before the first (wait as long as it
        takes), 0 when the burst is over."""
        if self._started is None:
            return None
        ends = min(self._last + self.quiet, self._started + self.longest)
        return max(0.0, ends - now)

    def reset(self) -> None:
        self._started = None


class Reconnects:
    """How long to wait before the next connection attempt, by ``Configuration.retries``.

    The backoff is the HTTP client's (factor, jitter, cap). After ``total`` attempts in a row
    that fail, :meth:`next_delay` returns None: give up. A connection that delivers its first
    message resets the count.
    """

    def __init__(self, retries: Any) -> None:
        policy: Retries = make_retry(retries)
        total = policy.total
        self.limit = total if isinstance(total, int) and not isinstance(total, bool) else 0
        self._policy = policy
        self.failures = 0

    def next_delay(self) -> Optional[float]:
        self.failures += 1
        if self.failures > self.limit:
            return None
        policy = self._policy
        return RetryPolicy.backoff_delay(
            self.failures, policy.backoff_factor, policy.backoff_jitter, policy.backoff_max
        )

    def succeeded(self) -> None:
        self.failures = 0


def worth_reconnecting(error: BaseException) -> bool:
    """Failures a watcher rides out by reconnecting: the connection, and "not now" statuses."""
    if isinstance(error, ApiConnectionError):
        return True
    return (
        isinstance(error, ApiException)
        and not isinstance(error, ApiResponseValidationError)
        and error.status in RetryPolicy.RETRY_STATUSES
    )


#: What a front end answers a ``RECEIVE`` step with when no message came within its timeout.
TIMED_OUT: Any = object()


@dataclass(frozen=True)
class Step:
    """One piece of I/O the watcher asks its front end for.

    ``CONNECT``: open the stream. ``RECEIVE``: the next message within ``timeout`` seconds
    (None: wait), or ``TIMED_OUT``; an ended stream raises ``ApiConnectionError``.
    ``SNAPSHOT``: ``models_snapshot()``. ``DISCONNECT``: close the stream (never raises).
    ``SLEEP``: wait ``timeout`` seconds, or less if the watcher is closed meanwhile.
    """

    kind: str
    timeout: Optional[float] = None


CONNECT, RECEIVE, SNAPSHOT, DISCONNECT, SLEEP = (
    "connect",
    "receive",
    "snapshot",
    "disconnect",
    "sleep",
)


class Watch:
    """The watcher's whole behaviour, as a generator of :class:`Step` s (sans-I/O).

    :meth:`next_change` yields the I/O it needs and returns the next :class:`ModelsChange`.
    A front end performs each step, sends the result back (or throws in the exception the step
    raised), and stops driving it once closed. Sync and async watchers differ only in how they
    perform the steps.
    """

    def __init__(self, retries: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.state = WatchState()
        self.reconnects = Reconnects(retries)
        self._clock = clock
        self._connected = False
        self._broken: Optional[Exception] = None

    def next_change(self) -> Generator[Step, Any, ModelsChange]:
        while True:
            try:
                if self._broken is not None:
                    broken, self._broken = self._broken, None
                    raise broken
                if not self._connected:
                    yield Step(CONNECT)
                    self._connected = True
                    self.state.connected()
                yield from self._read_burst()
                change = self.state.settle((yield Step(SNAPSHOT)))
            except Exception as error:
                if self._connected:
                    self._connected = False
                    yield Step(DISCONNECT)
                delay = self.reconnects.next_delay() if worth_reconnecting(error) else None
                if delay is None:
                    raise
                yield Step(SLEEP, delay)
                continue
            if change is not None:
                return change

    def _read_burst(self) -> Generator[Step, Any, None]:
        """Read until a burst is over. A stream that ends with messages pending is reported
        after this burst's change."""
        burst = Burst()
        while True:
            wait = burst.wait(self._clock())
            if wait == 0.0:
                return
            try:
                message = yield Step(RECEIVE, wait)
            except ApiConnectionError as error:
                if not self.state.pending:
                    raise
                self._broken = error
                return
            if message is TIMED_OUT:
                continue
            self.state.feed(message)
            self.reconnects.succeeded()
            burst.message(self._clock())
