"""The one retry and deadline decision, performed by both HTTP backends.

A call is a loop the runtime runs: send one attempt, then ask a :class:`RetryDecision` what to
do with what came back. It answers with the seconds to wait before sending again, or says the
answer is the call's, or raises the SDK's exception. The backends only send, sleep and sort
their library's errors into the kinds of :mod:`~pieces_os_client._core.failures`; urllib3
itself never retries (each attempt is sent with its retries off).

The rules come from ``Configuration.retries``: a count (the SDK's :class:`RetryPolicy`), a
``RetryPolicy``, or a urllib3 ``Retry``, read into a :class:`Retries` whose counters (total,
connect, read, status, other), allowed methods, status list, backoff and ``Retry-After``
handling follow urllib3's rules. On top, for every policy: redirects are never followed, a
wait that would end past the call's deadline is not started, and each retry is logged once on
the ``pieces_os_client`` logger.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from typing import AbstractSet, Any, Collection, Mapping, Optional, Union
from urllib.parse import urlsplit

from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    DEADLINE,
    DECODE,
    READ_TIMEOUT,
    describe_failure,
    late_retry,
    plain_cause,
)
from pieces_os_client._core.timeouts import CallLimits
from pieces_os_client.exceptions import ApiValueError

logger = logging.getLogger("pieces_os_client")

__all__ = ["CallLimits", "Retries", "RetryDecision", "RetryPolicy", "make_retry"]

#: A counter: retries left (int), unlimited (None), or none at all (False).
Count = Union[int, bool, None]

#: How a failure counts against a policy (urllib3's three error counters).
_AS_CONNECT = (CONNECT_FAILED, CONNECT_TIMEOUT)
_AS_READ = (READ_TIMEOUT, DEADLINE, BROKEN)
_TIMED_OUT = (READ_TIMEOUT, DEADLINE)


class Retries:
    """A retry policy with urllib3 ``Retry``'s rules, in our own code: what a urllib3 ``Retry``
    given as ``Configuration.retries`` is read into (the SDK's :class:`RetryPolicy` changes
    three rules).

    Example::

        >>> Retries(total=2).total
        2
    """

    #: urllib3's default methods that a read error may repeat.
    DEFAULT_ALLOWED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"})
    #: Statuses retried for their ``Retry-After`` header alone.
    RETRY_AFTER_STATUS_CODES = frozenset({413, 429, 503})

    def __init__(
        self,
        total: Count = 10,
        connect: Count = None,
        read: Count = None,
        status: Count = None,
        other: Count = None,
        allowed_methods: Optional[Collection[str]] = DEFAULT_ALLOWED_METHODS,
        status_forcelist: Optional[Collection[int]] = None,
        backoff_factor: float = 0.0,
        backoff_jitter: float = 0.0,
        backoff_max: float = 120.0,
        respect_retry_after_header: bool = True,
    ) -> None:
        self.total, self.connect, self.read = total, connect, read
        self.status, self.other = status, other
        self.allowed_methods = allowed_methods
        self.status_forcelist: AbstractSet[int] = frozenset(status_forcelist or ())
        self.backoff_factor = backoff_factor
        self.backoff_jitter = backoff_jitter
        self.backoff_max = backoff_max
        self.respect_retry_after_header = respect_retry_after_header

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, connect={self.connect}, "
            f"read={self.read}, status={self.status}, other={self.other})"
        )

    def method_retryable(self, method: Optional[str]) -> bool:
        return not self.allowed_methods or (method or "").upper() in self.allowed_methods

    def may_repeat(self, method: Optional[str], kind: str) -> bool:
        """Whether a failure of ``kind`` may be sent again at all (counters aside)."""
        if kind in _AS_READ:
            return self.read is not False and method is not None and self.method_retryable(method)
        return True

    def is_retry(self, method: str, status: int, has_retry_after: bool) -> bool:
        """Whether an answer with ``status`` asks to be sent again."""
        if not self.method_retryable(method):
            return False
        if status in self.status_forcelist:
            return True
        return bool(
            self.total
            and self.respect_retry_after_header
            and has_retry_after
            and status in self.RETRY_AFTER_STATUS_CODES
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after ``attempts`` failed attempts in a row."""
        if attempts <= 1:
            return 0.0
        value = self.backoff_factor * (2 ** (attempts - 1))
        if self.backoff_jitter != 0.0:
            value += random.random() * self.backoff_jitter
        return float(max(0, min(self.backoff_max, value)))

    def retry_after(self, headers: Mapping[str, str]) -> Optional[float]:
        """The wait a ``Retry-After`` header asks for (None: none, or one not understood)."""
        value = headers.get("Retry-After")
        if value is None:
            return None
        if re.match(r"^\s*[0-9]+\s*$", value):
            seconds = float(int(value))
        else:
            date = email.utils.parsedate_tz(value)
            if date is None:
                return None  # unreadable: no reason to fail, the backoff applies
            seconds = email.utils.mktime_tz(date) - time.time()
        return max(seconds, 0.0)

    def get_retry_after(self, response: Any) -> Optional[float]:
        """:meth:`retry_after` of ``response.headers`` (urllib3 ``Retry``'s name)."""
        return self.retry_after(response.headers)


class RetryPolicy(Retries):
    """The SDK's retry rules (what ``Configuration(retries=n)`` uses).

    - connection failures before the request was sent: retried for every method;
    - 429, 502, 503, 504: retried for every method (the server did not act on the request),
      with exponential backoff plus jitter, honouring ``Retry-After`` up to
      :attr:`RETRY_AFTER_MAX` seconds (``Retry-After: 0`` retries at once);
    - a read timeout: never retried (the caller's timeout bounds the call);
    - a connection dropped mid-response: retried only for idempotent methods (GET).

    Example::

        >>> from pieces_os_client.rest import RetryPolicy
        >>> RetryPolicy.from_count(2).total
        2
    """

    #: Statuses that mean "not now": the request was not acted on and can be sent again.
    RETRY_STATUSES = frozenset({429, 502, 503, 504})
    #: The longest ``Retry-After`` the SDK will sleep for, in seconds.
    RETRY_AFTER_MAX = 30.0
    #: Methods safe to repeat after the server may have seen the request.
    IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
    #: Backoff: ``factor * 2 ** (n - 1)`` seconds before retry n, plus up to ``jitter``.
    BACKOFF_FACTOR = 0.5
    BACKOFF_JITTER = 0.25
    BACKOFF_MAX = 8.0

    @classmethod
    def from_count(cls, retries: int) -> RetryPolicy:
        """The SDK's policy allowing ``retries`` retries after the first attempt."""
        return cls(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            allowed_methods=None,
            status_forcelist=cls.RETRY_STATUSES,
            backoff_factor=cls.BACKOFF_FACTOR,
            backoff_jitter=cls.BACKOFF_JITTER,
            backoff_max=cls.BACKOFF_MAX,
        )

    def may_repeat(self, method: Optional[str], kind: str) -> bool:
        if not self.is_repeatable(
            method, connection_error=kind in _AS_CONNECT, read_timeout=kind in _TIMED_OUT
        ):
            return False
        return super().may_repeat(method, kind)

    def backoff(self, attempts: int) -> float:
        if attempts == 0:
            return 0.0
        return self.backoff_delay(
            attempts, self.backoff_factor, self.backoff_jitter, self.backoff_max
        )

    def retry_after(self, headers: Mapping[str, str]) -> Optional[float]:
        seconds = super().retry_after(headers)
        return None if seconds is None else min(seconds, self.RETRY_AFTER_MAX)

    @classmethod
    def is_repeatable(
        cls, method: Optional[str], *, connection_error: bool, read_timeout: bool
    ) -> bool:
        """Whether a failed attempt may be sent again: always when the connection was never
        made; never after a read timeout; after a broken answer only for idempotent methods."""
        if connection_error:
            return True
        return not read_timeout and (method or "").upper() in cls.IDEMPOTENT_METHODS

    @staticmethod
    def backoff_delay(
        retry_number: int,
        factor: float = BACKOFF_FACTOR,
        jitter: float = BACKOFF_JITTER,
        maximum: float = BACKOFF_MAX,
    ) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        # Unlike plain urllib3, the first retry waits too: a 502/504 rarely clears instantly.
        backoff = factor * (2 ** (retry_number - 1))
        backoff += random.random() * jitter
        return float(min(maximum, backoff))

    @staticmethod
    def log_retry(method: Optional[str], url: Optional[str], cause: str, retries_left: Any) -> None:
        """Log one retry on the ``pieces_os_client`` logger (never any header value), naming
        the path: the host is the client's, and the same on every line."""
        if url and "://" in url:
            parts = urlsplit(url)
            url = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        logger.info("retrying %s %s after %s (%s)", method, url, cause, retries_text(retries_left))


def retries_text(left: Any) -> str:
    """``1 retry left``, ``2 retries left``, ``0 retries left``.

    Example::

        >>> retries_text(1), retries_text(0)
        ('1 retry left', '0 retries left')
    """
    if isinstance(left, int) and not isinstance(left, bool):
        return f"{left} retry left" if left == 1 else f"{left} retries left"
    return "retries left unknown"


def make_retry(retries: Any) -> Retries:
    """``Configuration.retries`` (an int, None, a :class:`Retries` or a urllib3 ``Retry``) as
    our policy. A urllib3 ``Retry`` is read (never imported here) into a :class:`Retries` with
    its counters and rules; redirects are never followed whatever it says: a 3xx is handed back
    (and raised as an ``ApiException``), so credentials never go to another host."""
    if isinstance(retries, Retries):
        return retries
    if retries is None:
        return RetryPolicy.from_count(0)
    if _is_urllib3_retry(retries):
        return Retries(
            total=retries.total,
            connect=retries.connect,
            read=retries.read,
            status=retries.status,
            other=getattr(retries, "other", None),
            allowed_methods=retries.allowed_methods,
            status_forcelist=retries.status_forcelist,
            backoff_factor=retries.backoff_factor,
            backoff_jitter=getattr(retries, "backoff_jitter", 0.0),
            backoff_max=getattr(retries, "backoff_max", 120.0),
            respect_retry_after_header=retries.respect_retry_after_header,
        )
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ApiValueError(
            f"retries must be a non-negative int or a urllib3 Retry, not {retries!r}"
        )
    return RetryPolicy.from_count(retries)


def _is_urllib3_retry(value: Any) -> bool:
    return any(
        cls.__name__ == "Retry" and cls.__module__.startswith("urllib3")
        for cls in type(value).__mro__
    )


def _spent(count: Count) -> Count:
    """One retry less (urllib3's arithmetic: None stays unlimited)."""
    return count if count is None else count - 1


class RetryDecision:
    """The retries of one call: after each attempt, whether and when to send it again.

    Example::

        >>> from pieces_os_client._core.retry import CallLimits, RetryDecision, RetryPolicy
        >>> policy = RetryPolicy.from_count(1)
        >>> decision = RetryDecision(policy, "GET", "http://127.0.0.1:9/models", CallLimits(None, None))
        >>> decision.after_answer(200, {}) is None   # the answer is the call's
        True
        >>> 0.5 <= decision.after_answer(503, {}) <= 0.75   # one retry, after the backoff
        True
        >>> decision.after_answer(503, {}) is None   # none left: the 503 is the answer
        True
    """

    def __init__(self, policy: Retries, method: str, url: str, limits: CallLimits) -> None:
        self._policy = policy
        self._method = method
        self._url = url
        self.limits = limits
        self._left = {
            "total": policy.total,
            "connect": policy.connect,
            "read": policy.read,
            "status": policy.status,
            "other": policy.other,
        }
        self._attempts = 0

    @property
    def url(self) -> str:
        """Where the call goes now (see :meth:`retarget`)."""
        return self._url

    def retarget(self, url: str) -> None:
        """The call goes on at ``url`` (the default host's Pieces OS was found elsewhere);
        nothing was sent before, so no retry is counted."""
        self._url = url

    def after_failure(self, kind: str, error: BaseException, counts_as: str = "") -> float:
        """Seconds to wait before the next attempt after a failure of ``kind``
        (see :mod:`~pieces_os_client._core.failures`); raises the SDK's exception when
        the call gives up. ``counts_as``: the kind whose retry rule applies, when the
        backend knows better than ``kind`` (which words the exception)."""
        limits = self.limits
        timed_out = kind in (CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE)
        final_kind = DEADLINE if timed_out and limits.deadline is not None else kind
        rule = counts_as or kind
        if kind == DECODE or not self._spend(rule):
            # A body that does not decompress would not the next time either.
            raise describe_failure(
                final_kind, self._method, self._url, error, limits.seconds
            ) from error
        wait = self._policy.backoff(self._attempts)
        self._before_wait(plain_cause(kind, error), wait)
        return wait

    def after_answer(self, status: int, headers: Mapping[str, str]) -> Optional[float]:
        """None when this answer is the call's; else the seconds to wait before sending the
        request again (a "not now" status with retries left)."""
        policy = self._policy
        if not policy.is_retry(self._method, status, "Retry-After" in headers):
            return None
        if not self._spend("status"):
            return None  # no retries left: the status is raised as its ApiException
        wait = policy.retry_after(headers) if policy.respect_retry_after_header else None
        if wait is None:
            wait = policy.backoff(self._attempts)
        self._before_wait(f"status {status}", wait)
        return wait

    def _spend(self, rule: str) -> bool:
        """Count one retry by ``rule`` (a failure kind, or ``"status"``): False when the
        policy gives up (as urllib3's ``Retry.increment`` raising)."""
        left, policy = self._left, self._policy
        if rule != "status":
            if left["total"] is False or not policy.may_repeat(self._method, rule):
                return False
            counter = "connect" if rule in _AS_CONNECT else "read" if rule in _AS_READ else "other"
            if left[counter] is False:
                return False
        else:
            counter = "status"
        left["total"] = _spent(left["total"])
        left[counter] = _spent(left[counter])
        self._attempts += 1
        counts = [count for count in left.values() if count]
        return not counts or min(counts) >= 0

    def _before_wait(self, cause: str, wait: float) -> None:
        limits = self.limits
        if wait >= limits.left():
            raise describe_failure(
                DEADLINE, self._method, self._url, late_retry(cause, wait), limits.seconds
            )
        RetryPolicy.log_retry(self._method, self._url, cause, self._left["total"])
