"""One HTTP call as a sans-I/O machine: attempts, retries and the move to where Pieces OS
listens now, written once for both clients and driven by :mod:`~pieces_os_client._core.runner`.

The machine yields a :class:`CallStep` for each thing to do; the client performs it:

- ``SEND``: one attempt at ``url``; its answer is sent back, or what it raised thrown in;
- ``RELOCATE``: the default host's Pieces OS refused (``error``): the URL it listens at now
  (``discovery.relocated_url``), or None;
- ``SLEEP``: wait ``seconds`` before the next attempt, after releasing ``answer`` if there
  is one (a "not now" answer that is not the call's).

The machine returns the answer that is the call's, or raises the SDK's exception.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, Optional, Tuple

from pieces_os_client._core.retry import RetryDecision

__all__ = ["MAX_MOVES", "RELOCATE", "SEND", "SLEEP", "CallStep", "call"]

SEND = "send"
RELOCATE = "relocate"
SLEEP = "sleep"

#: How many times one call may follow Pieces OS to a new port (it may move while we look).
MAX_MOVES = 2


class CallStep:
    """One thing for the client to do (see the module's doc). One is made per attempt, so it
    is a plain class with slots."""

    __slots__ = ("answer", "error", "kind", "seconds", "url")

    def __init__(
        self,
        kind: str,
        url: str = "",
        seconds: float = 0.0,
        error: Optional[BaseException] = None,
        answer: Any = None,
    ) -> None:
        self.kind = kind
        self.url = url
        self.seconds = seconds
        self.error = error
        self.answer = answer

    @property
    def failure(self) -> BaseException:
        """The error a ``RELOCATE`` step is about."""
        assert self.error is not None
        return self.error


#: Sorts what an attempt at a URL raised: ``(kind, retry rule)`` for a transport failure (see
#: ``RetryDecision.after_failure``); raises the SDK's exception for what is not retried
#: (a body too large...); None for anything else, which goes up unchanged.
Sorter = Callable[[BaseException, str], Optional[Tuple[str, str]]]


def call(
    decision: RetryDecision,
    url: str,
    sort: Sorter,
    status: Callable[[Any], Tuple[int, Any]],
    may_move: Callable[[], bool],
) -> Generator[CallStep, Any, Any]:
    """The attempts of one call to ``url``. ``status(answer)`` gives an answer's status and
    headers; ``may_move()``: the host is the default one, searched for when it refuses."""
    moves = 0
    while True:
        try:
            answer = yield CallStep(SEND, url)
        except BaseException as error:
            failure = sort(error, url)
            if failure is None:
                raise
            if moves < MAX_MOVES and may_move():
                elsewhere = yield CallStep(RELOCATE, url, error=error)
                if elsewhere is not None:
                    # A refused connection sent nothing: no retry is counted.
                    moves += 1
                    url = elsewhere
                    decision.retarget(url)
                    continue
            yield CallStep(SLEEP, seconds=decision.after_failure(failure[0], error, failure[1]))
            continue
        wait = decision.after_answer(*status(answer))
        if wait is None:
            return answer
        yield CallStep(SLEEP, seconds=wait, answer=answer)
