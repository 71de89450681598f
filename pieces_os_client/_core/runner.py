"""The one runner of the sans-I/O machines (:class:`~pieces_os_client._core.downloads.Download`,
:class:`~pieces_os_client._core.watch.Watch`), for both clients.

A machine is a generator of steps; the runner hands each step to the client's ``perform``
(which does the I/O: a call, opening a stream, a receive, a sleep) and sends back what it got,
or throws in what it raised. It stops at an event the machine emits, when the machine is done,
or when ``stopped()`` says so. :func:`run` and :func:`run_async` are the same loop, one
calling ``perform`` and one awaiting it: nothing else differs, so nothing else can drift.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Generator, Generic, Optional, Tuple, Type, TypeVar

R = TypeVar("R")

__all__ = ["DONE", "EMITTED", "STOPPED", "Machine", "run", "run_async"]

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


def run(
    machine: Machine[Any],
    perform: Callable[[Any], Any],
    stopped: Callable[[], bool],
    catch: Type[BaseException] = BaseException,
    error: Optional[BaseException] = None,
) -> Tuple[str, Any]:
    """Perform ``machine``'s steps until it emits, is done or is stopped; an error ``perform``
    raises (of ``catch``) is thrown into the machine, which decides what it means."""
    reply: Any = None
    while not stopped():
        try:
            step = machine.next_step(reply, error)
        except StopIteration as done:
            return DONE, done.value
        reply, error = None, None
        if getattr(step, "event", None) is not None:
            return EMITTED, step.event
        try:
            reply = perform(step)
        except catch as failure:
            error = failure
    return STOPPED, None


async def run_async(
    machine: Machine[Any],
    perform: Callable[[Any], Awaitable[Any]],
    stopped: Callable[[], bool],
    catch: Type[BaseException] = BaseException,
    error: Optional[BaseException] = None,
) -> Tuple[str, Any]:
    """:func:`run`, awaiting ``perform``."""
    reply: Any = None
    while not stopped():
        try:
            step = machine.next_step(reply, error)
        except StopIteration as done:
            return DONE, done.value
        reply, error = None, None
        if getattr(step, "event", None) is not None:
            return EMITTED, step.event
        try:
            reply = await perform(step)
        except catch as failure:
            error = failure
    return STOPPED, None
