"""The retry schedule at the sans-I/O level: the seconds ``RetryDecision`` asks the runtime to
wait (backoff, ``Retry-After``, the call's deadline), exactly, with no real waiting.

The runtime only sleeps what the decision returns; ``test_runtime_calls.py`` proves, once
for each client and marked ``slow``, that the real sleep is wired.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import pytest

from pieces_os_client import ApiConnectionError, ApiTimeoutError
from pieces_os_client._core.failures import CONNECT_FAILED, CONNECT_TIMEOUT, READ_TIMEOUT
from pieces_os_client._core.retry import CallLimits, RetryDecision, RetryPolicy

URL = "http://127.0.0.1:9/models"


def no_jitter(retries: int) -> RetryPolicy:
    """The SDK's policy, its jitter off so every wait is exact."""
    policy = RetryPolicy.from_count(retries)
    policy.backoff_jitter = 0.0
    return policy


def decision(
    policy: RetryPolicy, method: str = "GET", seconds: Optional[float] = None
) -> RetryDecision:
    return RetryDecision(policy, method, URL, CallLimits(seconds, None))


def waits_for(statuses: List[int], policy: RetryPolicy, headers: Dict[str, str]) -> List[object]:
    each = decision(policy)
    return [each.after_answer(status, headers) for status in statuses]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_the_default_backoff_doubles_from_half_a_second(status: int) -> None:
    assert waits_for([status] * 3, no_jitter(2), {}) == [0.5, 1.0, None]


def test_the_backoff_is_capped_at_eight_seconds() -> None:
    waits = waits_for([503] * 7, no_jitter(6), {})
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, None]
    assert RetryPolicy.BACKOFF_MAX == 8.0


@pytest.mark.parametrize("retry", [1, 2, 3, 4])
def test_the_jitter_adds_at_most_a_quarter_second(retry: int) -> None:
    base = 0.5 * 2 ** (retry - 1)
    assert RetryPolicy.backoff_delay(retry, jitter=0.0) == base
    for _ in range(200):
        assert base <= RetryPolicy.backoff_delay(retry) <= base + RetryPolicy.BACKOFF_JITTER


def test_the_default_policy_jitters_the_first_wait() -> None:
    waits = {decision(RetryPolicy.from_count(1)).after_answer(502, {}) for _ in range(50)}
    assert all(0.5 <= wait <= 0.75 for wait in waits)  # type: ignore[operator]
    assert len(waits) > 1  # random, so clients retrying together spread out


@pytest.mark.parametrize(
    ("header", "wait"),
    [("1", 1.0), ("0", 0.0), ("2.5", None), ("29", 29.0), ("3600", 30.0)],
)
def test_retry_after_seconds_are_the_wait_up_to_thirty(header: str, wait: Optional[float]) -> None:
    got = decision(no_jitter(2)).after_answer(503, {"Retry-After": header})
    # A fractional Retry-After is not HTTP's delta-seconds: the backoff is used instead.
    assert got == (0.5 if wait is None else wait)


def test_an_unreadable_retry_after_falls_back_to_the_backoff() -> None:
    each = decision(no_jitter(2))
    assert each.after_answer(503, {"Retry-After": "soon, promise"}) == 0.5
    assert each.after_answer(503, {"Retry-After": "soon, promise"}) == 1.0


def test_retry_after_is_honoured_for_a_post_too() -> None:
    assert decision(no_jitter(1), "POST").after_answer(429, {"Retry-After": "1"}) == 1.0


@pytest.mark.parametrize("status", [200, 204, 400, 404, 500])
def test_other_statuses_are_the_answer(status: int) -> None:
    assert decision(no_jitter(3)).after_answer(status, {"Retry-After": "1"}) is None


def test_retries_0_makes_the_first_answer_the_answer() -> None:
    assert decision(no_jitter(0)).after_answer(503, {"Retry-After": "1"}) is None


def test_a_refused_connection_is_retried_after_the_backoff() -> None:
    each = decision(no_jitter(2), "POST")
    assert each.after_failure(CONNECT_FAILED, ConnectionRefusedError()) == 0.5
    assert each.after_failure(CONNECT_FAILED, ConnectionRefusedError()) == 1.0
    with pytest.raises(ApiConnectionError, match="could not connect"):
        each.after_failure(CONNECT_FAILED, ConnectionRefusedError())


def test_a_read_timeout_is_never_retried() -> None:
    with pytest.raises(ApiTimeoutError):
        decision(no_jitter(2)).after_failure(READ_TIMEOUT, TimeoutError("read"))


def test_a_wait_past_the_deadline_ends_the_call_at_once() -> None:
    each = decision(no_jitter(2), seconds=2.0)
    with pytest.raises(ApiTimeoutError, match="status 503") as caught:
        each.after_answer(503, {"Retry-After": "10"})
    assert "2 s timeout" in str(caught.value)


def test_a_wait_within_the_deadline_is_kept() -> None:
    each = decision(no_jitter(2), seconds=60.0)
    assert each.after_answer(503, {"Retry-After": "10"}) == 10.0


def test_the_deadline_is_measured_on_the_monotonic_clock() -> None:
    limits = CallLimits(60.0, None)
    assert 59.0 < limits.left() <= 60.0
    limits.deadline -= 59.5  # as if 59.5 s had passed
    assert limits.left() <= 0.5
    each = RetryDecision(no_jitter(2), "GET", URL, limits)
    with pytest.raises(ApiTimeoutError):
        each.after_answer(502, {})  # the 0.5 s backoff would end past the deadline
    assert CallLimits(None, None).left() == float("inf")


def test_a_connect_timeout_with_a_deadline_is_reported_as_the_deadline() -> None:
    each = decision(no_jitter(0), seconds=2.0)
    with pytest.raises(ApiTimeoutError, match="2 s timeout"):
        each.after_failure(CONNECT_TIMEOUT, TimeoutError("connect"))
