"""The one runner of the sans-I/O machines: the call machine
(:mod:`pieces_os_client._core.calls`), :class:`~pieces_os_client._core.downloads.Download` and
:class:`~pieces_os_client._core.watch.Watch`.

A machine is a generator of steps; the runner hands each step to ``perform`` (which does the
I/O: a call, opening a stream, a receive, a sleep) and sends back what it got, or throws in
what it raised. It stops at an event the machine emits, when the machine is done, or when
``stopped()`` says so.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional, Tuple, Type

from pieces_os_client._core.runner import DONE, EMITTED, STOPPED, Machine

__all__ = ["run"]


async def run(
    machine: Machine[Any],
    perform: Callable[[Any], Awaitable[Any]],
    stopped: Callable[[], bool],
    catch: Type[BaseException] = BaseException,
    error: Optional[BaseException] = None,
) -> Tuple[str, Any]:
    """Perform ``machine``'s steps until it emits, is done or is stopped; an error ``perform``
    raises (of ``catch``) is thrown into the machine, which decides what it means.
    """
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
