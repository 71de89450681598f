"""Sending one call: the call machine (:mod:`pieces_os_client._core.calls`: attempts, the
retry and deadline decision, the move to where Pieces OS listens) driven over a client's
transport.

Each client brings what only it knows: ``attempt(url)`` sends once (and, when the call
preloads, reads the body), ``release(answer)`` frees an answer that will be retried,
``sort(error, url)`` names the failure kind of its library's exception, ``status(answer)``
reads an answer's status and headers.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Tuple

from pieces_os_client._async.runner import run
from pieces_os_client._backends.asyncio import sleep
from pieces_os_client._core.calls import RELOCATE, SEND, CallStep, Sorter, call
from pieces_os_client._core.retry import RetryDecision
from pieces_os_client._core.runner import Machine
from pieces_os_client.configuration import Configuration

__all__ = ["send"]


async def send(
    configuration: Configuration,
    decision: RetryDecision,
    url: str,
    attempt: Callable[[str], Awaitable[Any]],
    release: Callable[[Any], None],
    sort: Sorter,
    status: Callable[[Any], Tuple[int, Any]],
) -> Any:
    """The answer to the call to ``url``, after the retries and moves ``decision`` allows."""

    async def perform(step: CallStep) -> Any:
        if step.kind == SEND:
            return await attempt(step.url)
        if step.kind == RELOCATE:
            from pieces_os_client.discovery import relocated_url_async

            return await relocated_url_async(configuration, step.url, step.failure)
        if step.answer is not None:
            release(step.answer)
        await sleep(step.seconds)
        return None

    searches = configuration._searches_for_pieces_os
    machine = Machine(call(decision, url, sort, status, searches))
    _, answer = await run(machine, perform, _never)
    return answer


def _never() -> bool:
    return False
