"""The backends' waiting primitives: what the one runtime relies on from each side.

``Signal`` is raised from another thread in the cases that matter (a sync client's download in
a thread answers an async one's wait; ``close()`` from another thread stops a sync watcher).
Every wait here ends because the flag is raised, never because a clock ran: the only timeout
used is 0.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, List

from pieces_os_client._backends import asyncio as async_backend
from pieces_os_client._backends import sync as sync_backend


def _raise_from_a_thread(signal: Any) -> threading.Thread:
    thread = threading.Thread(target=signal.set)
    thread.start()
    return thread


def test_sync_signal_is_raised_from_another_thread() -> None:
    signal = sync_backend.Signal()
    assert signal.wait(0) is False and not signal.is_set()
    thread = _raise_from_a_thread(signal)
    assert signal.wait() is True  # untimed: woken by the set, in slices
    thread.join()
    assert signal.is_set() and signal.wait(0) is True
    signal.clear()
    assert signal.wait(0) is False


def test_async_signal_is_raised_from_another_thread_and_from_a_task() -> None:
    async def main() -> List[bool]:
        seen = []
        signal = async_backend.Signal()
        seen.append(await signal.wait(0))
        thread = _raise_from_a_thread(signal)
        seen.append(await signal.wait())
        thread.join()
        signal.clear()
        asyncio.get_running_loop().call_soon(signal.set)
        seen.append(await signal.wait())
        seen.append(await signal.wait(0))  # still raised
        return seen

    assert asyncio.run(main()) == [False, True, True, True]


def test_async_signal_wakes_waiters_on_two_loops_and_forgets_timed_out_ones() -> None:
    signal = async_backend.Signal()
    ready = threading.Barrier(3)
    results: List[bool] = []

    def waiter() -> None:
        async def wait() -> bool:
            ready.wait()
            return await signal.wait()

        results.append(asyncio.run(wait()))

    threads = [threading.Thread(target=waiter) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait()

    async def timed_out() -> bool:
        return await signal.wait(0)

    assert asyncio.run(timed_out()) is False
    signal.set()
    for thread in threads:
        thread.join()
    assert results == [True, True]
    assert signal._waiters == []  # nothing kept for a loop that is gone


def test_a_signal_raised_after_its_waiter_gave_up_and_its_loop_closed_touches_no_loop() -> None:
    signal = async_backend.Signal()

    async def give_up() -> bool:
        return await signal.wait(0)

    assert asyncio.run(give_up()) is False
    signal.set()  # the waiter left on timing out: nothing is scheduled on the closed loop
    assert signal.is_set()


def test_call_back_awaits_what_an_async_callback_returns() -> None:
    seen: List[str] = []

    async def shown(event: str) -> None:
        seen.append(f"async {event}")

    asyncio.run(async_backend.call_back(shown, "a"))
    asyncio.run(async_backend.call_back(seen.append, "b"))
    sync_backend.call_back(seen.append, "c")
    assert seen == ["async a", "b", "c"]


def test_both_sides_offer_the_same_names() -> None:
    assert sorted(sync_backend.__all__) == sorted(async_backend.__all__)
    for name in sync_backend.__all__:
        assert hasattr(sync_backend, name) and hasattr(async_backend, name)
