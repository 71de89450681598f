"""A sans-I/O machine as the runner sees it (:class:`Machine`) and how a run ends.

The runner itself is :func:`pieces_os_client._async.runner.run` (written once) and its
generated sync twin :func:`pieces_os_client._sync.runner.run`.
"""

from __future__ import annotations

from typing import Any, Generator, Generic, Optional, TypeVar

R = TypeVar("R")

__all__ = ["DONE", "EMITTED", "STOPPED", "Machine"]

#: How a run ended: the machine returned (the value is its result), it emitted an event (the
#: value), or ``stopped()`` turned true (no value).
DONE = "done"
EMITTED = "emitted"
STOPPED = "stopped"


class Machine(Generic[R]):
    """A machine's steps and where the run is: started or not.

    Example::

        >>> def steps():
        ...     answer = yield "ask"
        ...     return answer * 2
        >>> from pieces_os_client._sync.runner import run
        >>> machine = Machine(steps())
        >>> run(machine, lambda step: 21, lambda: False)
        ('done', 42)
    """

    def __init__(self, steps: Generator[Any, Any, R]) -> None:
        self.steps = steps
        self.started = False

    def next_step(self, reply: Any, error: Optional[BaseException]) -> Any:
        """The step after ``reply`` (or after ``error`` thrown in); raises ``StopIteration``
        carrying the result when the machine is done."""
        if error is not None:
            return self.steps.throw(error)
        if not self.started:
            self.started = True
            return next(self.steps)
        return self.steps.send(reply)
