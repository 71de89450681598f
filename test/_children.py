"""What every child process a test starts shares: SIGINT at its default.

A process started with SIGINT ignored (a background job of a non-interactive shell, ``nohup``)
passes that on to its children, and an ignored signal stays ignored across ``exec``: a child
the test interrupts with SIGINT (or Ctrl-C on its terminal) would never see it. Every
``subprocess.Popen`` in the suite passes ``preexec_fn=sigint_at_default``; bash children need
it too, since bash cannot reset a signal ignored when it started.
"""

from __future__ import annotations

import signal
import sys
from typing import Callable, Optional


def _sigint_at_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: ``preexec_fn`` for ``subprocess.Popen``: runs in the child before ``exec`` (POSIX only;
#: None on Windows, which has no ``preexec_fn`` and no inherited SIG_IGN).
sigint_at_default: Optional[Callable[[], None]] = (
    None if sys.platform == "win32" else _sigint_at_default
)
