"""What the async runtime waits with: asyncio, woken from any thread.

The sync twin is :mod:`pieces_os_client._backends.sync`; the runtime in
:mod:`pieces_os_client._async` calls these names.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["Lock", "Signal", "call_back", "sleep"]

#: The pause between attempts of a call.
sleep = asyncio.sleep

#: Guards a few assignments, as on the sync side; never held across an ``await``.
Lock = threading.Lock

_Waiter = Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class Signal:
    """A flag any thread or task may raise; a task waits for it.

    Unlike ``asyncio.Event`` it is bound to no loop and may be raised from another thread
    (a sync client's download in a thread answers an async one's wait).

    Example::

        >>> async def main() -> bool:
        ...     signal = Signal()
        ...     asyncio.get_running_loop().call_later(0.01, signal.set)
        ...     return await signal.wait()
        >>> asyncio.run(main())
        True
    """

    def __init__(self) -> None:
        self._raised = False
        self._lock = threading.Lock()
        self._waiters: List[_Waiter] = []

    def set(self) -> None:
        """Raise the flag and wake every waiter; safe from any thread."""
        with self._lock:
            self._raised = True
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, waiter)

    def clear(self) -> None:
        self._raised = False

    def is_set(self) -> bool:
        return self._raised

    async def wait(self, timeout: Optional[float] = None) -> bool:
        """True once raised; False when ``timeout`` seconds passed first (None: no limit)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (loop, waiter)
        with self._lock:
            if self._raised:
                return True
            self._waiters.append(entry)
        try:
            await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(entry)
        return True


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def call_back(callback: Callable[[Any], Any], event: Any) -> None:
    """Call a user's ``on_progress``, awaiting what an ``async def`` one returns."""
    shown = callback(event)
    if inspect.isawaitable(shown):
        await shown
