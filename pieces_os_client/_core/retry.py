"""The one retry and deadline decision, performed by both HTTP shells.

A call is a loop the shell runs (``rest.RESTClientObject.request`` over urllib3,
``aio.AsyncApiClient._send_with_retries`` over aiohttp): send one attempt, then ask a
:class:`RetryDecision` what to do with what came back. It answers with the seconds to wait
before sending again, or says the answer is the call's, or raises the SDK's exception. The
shells only send, sleep and sort their library's errors into the kinds of
:mod:`~pieces_os_client._core.failures`; urllib3 itself never retries (each attempt is sent
with ``retries=False``).

The rules come from ``Configuration.retries``: a count (the SDK's :class:`RetryPolicy`) or any
urllib3 ``Retry``, whose counters (total, connect, read, status, other), allowed methods,
status list, backoff and ``Retry-After`` handling are followed as urllib3 follows them. On top,
for every policy: redirects are never followed, a wait that would end past the call's deadline
is not started, and each retry is logged once on the ``pieces_os_client`` logger.
"""

from __future__ import annotations

import contextvars
import logging
import random
import time
from typing import Any, Mapping, Optional, cast

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry
from urllib3.util.url import parse_url

from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT,
    CONNECT_TIMEOUT,
    DEADLINE,
    DECODE,
    READ_TIMEOUT,
    TLS,
    describe_failure,
    late_retry,
    plain_cause,
)
from pieces_os_client.exceptions import ApiValueError

logger = logging.getLogger("pieces_os_client")

__all__ = [
    "CallLimits",
    "RetryDecision",
    "RetryPolicy",
    "make_retry",
    "make_timeout",
    "timeout_seconds",
]


class CallLimits:
    """What bounds one call: its deadline (``time.monotonic()``) and its body size."""

    __slots__ = ("deadline", "max_size", "seconds")

    def __init__(self, seconds: Optional[float], max_size: Optional[int]) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.max_size = max_size

    def left(self) -> float:
        """Seconds until the deadline (may be negative); infinite without one."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()


class RetryPolicy(Retry):
    """urllib3's ``Retry`` with the SDK's rules (what ``Configuration(retries=n)`` uses).

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
            redirect=0,
            other=0,
            allowed_methods=None,
            status_forcelist=cls.RETRY_STATUSES,
            backoff_factor=cls.BACKOFF_FACTOR,
            backoff_jitter=cls.BACKOFF_JITTER,
            backoff_max=cls.BACKOFF_MAX,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=True,
        )

    def increment(  # type: ignore[override]
        self,
        method: Optional[str] = None,
        url: Optional[str] = None,
        response: Any = None,
        error: Optional[Exception] = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if error is not None and not self.is_repeatable(
            method,
            connection_error=self._is_connection_error(error),
            read_timeout=isinstance(error, ReadTimeoutError),
        ):
            raise error.with_traceback(_stacktrace)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        errors = sum(1 for entry in self.history if entry.redirect_location is None)
        if errors == 0:
            return 0.0
        return self.backoff_delay(
            errors, self.backoff_factor, self.backoff_jitter, self.backoff_max
        )

    def get_retry_after(self, response: Any) -> Optional[float]:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            # A Retry-After we cannot read is no reason to fail: fall back to the backoff.
            return None
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
            url = parse_url(url).request_uri
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


def make_retry(retries: Any) -> Retry:
    """Turn ``Configuration.retries`` (an int, None, or a ``Retry``) into a ``Retry``.

    A ``Retry`` keeps its rules, except that redirects are never followed: a 3xx is handed
    back (and raised as an ``ApiException``), so credentials never go to another host.
    """
    if isinstance(retries, Retry):
        return retries.new(redirect=0, raise_on_redirect=False)
    if retries is None:
        return RetryPolicy.from_count(0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ApiValueError(
            f"retries must be a non-negative int or a urllib3 Retry, not {retries!r}"
        )
    return RetryPolicy.from_count(retries)


def make_timeout(spec: Any) -> urllib3.Timeout:
    """``5`` -> ``Timeout(total=5)``, a deadline for the whole call; ``(2, 30)`` -> connect 2 s,
    then 30 s for each wait for data."""
    if isinstance(spec, urllib3.Timeout):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool) and spec > 0:
        return urllib3.Timeout(total=float(spec))
    if (
        isinstance(spec, (tuple, list))
        and len(spec) == 2
        and all(isinstance(s, (int, float)) and not isinstance(s, bool) and s > 0 for s in spec)
    ):
        return urllib3.Timeout(connect=float(spec[0]), read=float(spec[1]))
    raise ApiValueError(
        f"timeout must be a positive number of seconds or a (connect, read) pair, not {spec!r}"
    )


def timeout_seconds(timeout: urllib3.Timeout) -> Optional[float]:
    """The deadline a timeout sets for the whole call: its ``total`` (a number timeout)."""
    total = timeout.total
    return float(total) if isinstance(total, (int, float)) else None


#: Set while a decision runs urllib3's ``Retry.increment``: its "Incremented Retry" debug line
#: repeats the one line this module logs per retry, so the logging filter drops it.
_INCREMENTING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pieces_os_client_incrementing", default=False
)


class _Urllib3RetryLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _INCREMENTING.get()


logging.getLogger("urllib3.util.retry").addFilter(_Urllib3RetryLines())


class _Status:
    """What ``Retry.increment`` and ``Retry.get_retry_after`` read of an answer."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status = status
        self.headers = headers

    def get_redirect_location(self) -> bool:
        return False  # redirects are never followed


def _stand_in(kind: str, error: BaseException) -> Exception:
    """The urllib3 error a failure of ``kind`` is, for ``Retry``'s counters."""
    if isinstance(error, HTTPError):
        return error
    text = str(error) or type(error).__name__
    if kind in (CONNECT, CONNECT_TIMEOUT):
        return ConnectTimeoutError(text)
    if kind in (READ_TIMEOUT, DEADLINE):
        return ReadTimeoutError(None, "", text)  # type: ignore[arg-type]
    if kind == BROKEN:
        return ProtocolError(text)
    if kind == TLS:
        return SSLError(text)
    if kind == DECODE:
        return DecodeError(text)
    return HTTPError(text)


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

    def __init__(self, policy: Retry, method: str, url: str, limits: CallLimits) -> None:
        self._policy = policy
        self._method = method
        self._url = url
        self.limits = limits

    def retarget(self, url: str) -> None:
        """The call goes on at ``url`` (the default host's Pieces OS was found elsewhere);
        nothing was sent before, so no retry is counted."""
        self._url = url

    def after_failure(self, kind: str, error: BaseException) -> float:
        """Seconds to wait before the next attempt after a failure of ``kind``
        (see :mod:`~pieces_os_client._core.failures`); raises the SDK's exception when
        the call gives up."""
        limits = self.limits
        timed_out = kind in (CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE)
        final_kind = DEADLINE if timed_out and limits.deadline is not None else kind
        if kind == DECODE:  # a body that does not decompress would not the next time either
            raise describe_failure(
                final_kind, self._method, self._url, error, limits.seconds
            ) from error
        try:
            self._increment(error=_stand_in(kind, error))
        except (MaxRetryError, HTTPError):  # exhausted, or not to be repeated
            raise describe_failure(
                final_kind, self._method, self._url, error, limits.seconds
            ) from error
        wait = self._policy.get_backoff_time()
        self._before_wait(plain_cause(kind, error), wait)
        return wait

    def after_answer(self, status: int, headers: Mapping[str, str]) -> Optional[float]:
        """None when this answer is the call's; else the seconds to wait before sending the
        request again (a "not now" status with retries left)."""
        policy = self._policy
        has_retry_after = "Retry-After" in headers
        if not policy.is_retry(self._method, status, has_retry_after):
            return None
        answer = _Status(status, headers)
        try:
            self._increment(response=answer)
        except MaxRetryError:
            return None  # no retries left: the status is raised as its ApiException
        policy = self._policy
        wait = (
            policy.get_retry_after(cast(urllib3.BaseHTTPResponse, answer))
            if policy.respect_retry_after_header
            else None
        )
        if wait is None:
            wait = policy.get_backoff_time()
        self._before_wait(f"status {status}", wait)
        return wait

    def _increment(self, **outcome: Any) -> None:
        token = _INCREMENTING.set(True)
        try:
            self._policy = self._policy.increment(self._method, self._url, **outcome)
        finally:
            _INCREMENTING.reset(token)

    def _before_wait(self, cause: str, wait: float) -> None:
        limits = self.limits
        if wait >= limits.left():
            raise describe_failure(
                DEADLINE, self._method, self._url, late_retry(cause, wait), limits.seconds
            )
        RetryPolicy.log_retry(self._method, self._url, cause, self._policy.total)
