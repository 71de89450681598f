"""What the sync runtime waits with: threads.

The async twin is :mod:`pieces_os_client._backends.asyncio`; the runtime in
:mod:`pieces_os_client._sync` is generated to call these names.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

__all__ = ["Lock", "Signal", "call_back", "sleep"]

#: The pause between attempts of a call.
sleep = time.sleep

#: Guards a few assignments shared with a thread calling ``close()``; never held across I/O.
Lock = threading.Lock

#: How long an untimed wait sleeps between looks: an untimed ``Event.wait`` on Windows cannot
#: be interrupted by Ctrl-C.
_SLICE = 0.25


class Signal(threading.Event):
    """A flag any thread may raise; a caller waits for it: a ``threading.Event`` whose
    untimed wait can be interrupted by Ctrl-C everywhere.

    Example::

        >>> signal = Signal()
        >>> signal.wait(0)
        False
        >>> signal.set()
        >>> signal.wait()
        True
    """

    def wait(self, timeout: Optional[float] = None) -> bool:
        """True once raised; False when ``timeout`` seconds passed first (None: no limit)."""
        if timeout is not None:
            return super().wait(timeout)
        while not super().wait(_SLICE):
            pass
        return True


def call_back(callback: Callable[[Any], Any], event: Any) -> None:
    """Call a user's ``on_progress``."""
    callback(event)
