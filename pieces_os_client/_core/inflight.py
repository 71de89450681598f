"""One download per model per process: the ``POST .../download`` of ``download()`` calls
that run at once (threads, tasks, sync and async clients alike) is sent once.

Every ``download()`` of a model joins the model's :class:`Ticket` (keyed by host and model
id, process-wide) for as long as it runs. Before each read of the model it marks how many
starts of the process had been answered (:meth:`Ticket.mark`): those the read sees. When the
read said "not downloading", :meth:`Ticket.claim` decides:

- no other start since that mark: this call starts the download (it sends the ``POST``),
  then :meth:`Ticket.publish` es the answer (or the error) for the others;
- another start began since, or was waiting for its answer at the mark (another call of
  this process got there first): wait for its answer,
  then follow that download (the same ``Model``) or raise the same error (a copy);
- the start that began was given up (Ctrl-C, a cancelled task) before an answer: start anew.

The waiting itself is the front end's (a ``threading.Event`` for the sync client, a future
of the event loop for the async one): this module only decides, under one lock, and calls
what a waiter registered when the answer comes, from whichever thread publishes it.
"""

from __future__ import annotations

import copy
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = ["START", "WAIT", "Ticket", "join", "shared_error"]

#: :meth:`Ticket.claim`'s answers besides an outcome: send the ``POST`` / wait for another's.
START = "start"
WAIT = "wait"


class _Outcome:
    """What a start came to: the ``Model`` Pieces OS answered, or the error it raised."""

    __slots__ = ("error", "model")

    def __init__(self, model: Any = None, error: Optional[Exception] = None) -> None:
        self.model = model
        self.error = error


class _Entry:
    """Where one model's downloads of this process stand."""

    def __init__(self) -> None:
        self.members = 0
        #: Starts begun so far; the latest is pending, or ended with ``outcome``.
        self.starts = 0
        self.pending = False
        self.outcome: Optional[_Outcome] = None
        self.waiters: List[Callable[[], None]] = []


_LOCK = threading.Lock()
_ENTRIES: Dict[Tuple[str, str], _Entry] = {}


def _forget_after_fork() -> None:
    # A child process has none of its parent's threads: their downloads are not its own.
    global _LOCK
    _LOCK = threading.Lock()
    _ENTRIES.clear()


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_forget_after_fork)


def join(host: str, model_id: str) -> Ticket:
    """This call's place among the downloads of ``model_id`` at ``host``; :meth:`Ticket.leave`
    when it ends."""
    key = (host, model_id)
    with _LOCK:
        entry = _ENTRIES.get(key)
        if entry is None:
            entry = _ENTRIES[key] = _Entry()
        entry.members += 1
    return Ticket(key, entry)


class Ticket:
    """One ``download()`` call's view of its model's entry (see the module docstring)."""

    def __init__(self, key: Tuple[str, str], entry: _Entry) -> None:
        self._key = key
        self._entry = entry
        self._mark = 0
        self._left = False
        self._starting = False

    def mark(self) -> None:
        """Call before reading the model: starts answered before now are ones that read
        sees; a start still waiting for its answer may not be (its answer is followed)."""
        with _LOCK:
            entry = self._entry
            self._mark = entry.starts - 1 if entry.pending else entry.starts

    def claim(self, wake: Callable[[], None]) -> Any:
        """:data:`START` (send the ``POST``, then :meth:`publish`), :data:`WAIT` (``wake``
        is called once another call's answer is in: claim again), or the ``Model`` another
        call's ``POST`` answered (raises its error instead, a copy)."""
        with _LOCK:
            entry = self._entry
            if entry.pending:
                entry.waiters.append(wake)
                return WAIT
            outcome = entry.outcome
            if entry.starts > self._mark and outcome is not None:
                if outcome.error is not None:
                    raise shared_error(outcome.error)
                return outcome.model.model_copy(deep=True)
            entry.starts += 1
            entry.pending = True
            entry.outcome = None
            self._starting = True
            return START

    def publish(self, model: Any = None, error: Optional[BaseException] = None) -> None:
        """The answer to this call's ``POST``: the ``Model``, or the error it raised. Any
        other ``BaseException`` (Ctrl-C, a cancelled task) gives the start up: a waiting
        call then starts anew."""
        with _LOCK:
            if not self._starting:
                return
            self._starting = False
            entry = self._entry
            entry.pending = False
            if isinstance(error, Exception):
                entry.outcome = _Outcome(error=error)
            elif error is None:
                entry.outcome = _Outcome(model=model)
            else:
                entry.outcome = None
                entry.starts -= 1  # given up: as if it never began
            waiters, entry.waiters = entry.waiters, []
        for wake in waiters:
            wake()

    def leave(self) -> None:
        """This call ended (safe more than once)."""
        if self._starting:  # left without an answer: the others must not wait forever
            self.publish(error=KeyboardInterrupt())
        with _LOCK:
            if self._left:
                return
            self._left = True
            entry = self._entry
            entry.members -= 1
            if entry.members <= 0 and _ENTRIES.get(self._key) is entry:
                del _ENTRIES[self._key]


def shared_error(error: Exception) -> Exception:
    """``error`` for another caller to raise: a copy, so each caller's traceback is its own."""
    try:
        twin = copy.copy(error)
    except Exception:  # an exception that cannot be copied: the same one
        return error
    twin.__cause__ = error.__cause__
    return twin
