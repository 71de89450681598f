"""The urllib3 transport: one ``PoolManager`` per ``ApiClient``, a retry policy, and timeouts.

Nothing from urllib3 escapes: connection failures become ``ApiConnectionError`` and timeouts
``ApiTimeoutError``, each naming the URL and what to try.

Per call, two limits ride along in a context variable, read by the connection classes below:
the deadline of a number timeout (enforced on every socket read, and before each retry's wait),
and ``max_response_size`` (enforced while the body is read and inflated). Redirects are never
followed, whatever ``Retry`` is configured. After ``os.fork()`` a client opens new connections
in the child instead of sharing the parent's.
"""

from __future__ import annotations

import copy
import http.client
import io
import logging
import os
import random
import socket
import ssl
import threading
import time
from contextvars import ContextVar
from typing import Any, Dict, Optional, Type, Union

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as _Urllib3TimeoutError
from urllib3.util.retry import Retry
from urllib3.util.url import parse_url

from pieces_os_client._core.body import (
    CHUNK_SIZE,
    BodyTooLarge,
    BoundedBody,
    UndecodableBody,
    check_limit,
)
from pieces_os_client._core.host import parse_host, redact_url
from pieces_os_client.configuration import Configuration, TimeoutSpec
from pieces_os_client.exceptions import (
    CONNECTION_HINT,
    ApiConnectionError,
    ApiException,
    ApiResponseTooLargeError,
    ApiTimeoutError,
    ApiValueError,
)

logger = logging.getLogger("pieces_os_client")

__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "RetryPolicy", "make_timeout"]


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


#: The limits of the call running in this thread / task (set by the transports).
_CALL: ContextVar[Optional[CallLimits]] = ContextVar("pieces_os_client_call", default=None)


class _Forks:
    """Counts ``os.fork()`` calls in this process's ancestry; pools note the count they saw."""

    count = 0


def _after_fork_in_child() -> None:
    _Forks.count += 1


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def fork_generation() -> int:
    """Changes in a child after ``os.fork()``: connections opened before belong to the parent."""
    return _Forks.count


class DeadlinePassed(_Urllib3TimeoutError):
    """The call's deadline would pass before the next retry could start."""


def late_retry(cause: str, wait: float) -> str:
    return f"the last attempt got {cause}; waiting {wait:.1f} s to retry would pass the timeout"


class _DeadlineWaits(Retry):
    """Refuses a retry whose wait would end past the call's deadline (number timeouts)."""

    def sleep(self, response: Any = None) -> None:
        limits = _CALL.get()
        if limits is not None and limits.deadline is not None:
            wait = self._next_wait(response)
            if wait >= limits.left():
                cause = "an error" if response is None else f"status {response.status}"
                raise DeadlinePassed(late_retry(cause, wait))
        super().sleep(response)

    def _next_wait(self, response: Any) -> float:
        after: Optional[float] = None
        if response is not None and self.respect_retry_after_header:
            try:
                after = self.get_retry_after(response)
            except HTTPError:
                after = None
        return after if after is not None else self.get_backoff_time()  # 0 means now


_DEADLINE_AWARE: Dict[Type[Retry], Type[Retry]] = {}


def _deadline_aware(policy: Retry) -> Retry:
    """``policy`` with waits that respect the call's deadline (any ``Retry`` subclass)."""
    if isinstance(policy, _DeadlineWaits):
        return policy
    cls = type(policy)
    aware = _DEADLINE_AWARE.get(cls)
    if aware is None:
        aware = _DEADLINE_AWARE[cls] = type(cls.__name__, (_DeadlineWaits, cls), {})
    clone = copy.copy(policy)
    clone.__class__ = aware
    return clone


class RetryPolicy(_DeadlineWaits):
    """urllib3's ``Retry`` with the SDK's rules.

    - connection failures before the request was sent: retried for every method;
    - 429, 502, 503, 504: retried for every method (the server did not act on the request),
      with exponential backoff plus jitter, honouring ``Retry-After`` up to
      :attr:`RETRY_AFTER_MAX` seconds;
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
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        cause = f"status {response.status}" if response is not None else type(error).__name__
        self.log_retry(method, url, cause, new.total)
        _our_retry.url = url  # lets _Urllib3RetryFilter drop urllib3's "Retry: <url>" line
        return new

    def sleep_for_retry(self, response: Any) -> bool:
        # urllib3 treats ``Retry-After: 0`` as absent and sleeps the backoff; 0 means now.
        retry_after = self.get_retry_after(response)
        if retry_after is None:
            return False
        if retry_after > 0:
            time.sleep(retry_after)
        return True

    def get_backoff_time(self) -> float:
        errors = sum(1 for entry in self.history if entry.redirect_location is None)
        if errors == 0:
            return 0.0
        return self.backoff_delay(
            errors, self.backoff_factor, self.backoff_jitter, self.backoff_max
        )

    # The rules as plain functions, so the aiohttp transport (pieces_os_client.aio) follows them too.
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
        """Log one retry on the ``pieces_os_client`` logger (never any header value)."""
        logger.info("retrying %s %s after %s (%s retries left)", method, url, cause, retries_left)

    def get_retry_after(self, response: Any) -> Optional[float]:
        try:
            seconds = super().get_retry_after(response)
        except InvalidHeader:
            # A Retry-After we cannot read is no reason to fail: fall back to the backoff.
            return None
        return None if seconds is None else min(seconds, self.RETRY_AFTER_MAX)


_our_retry = threading.local()


class _Urllib3RetryFilter(logging.Filter):
    """Drops urllib3's own lines about retries the SDK makes: ``RetryPolicy.log_retry`` already
    wrote one line for each. Lines about other code's retries pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if any(isinstance(arg, RetryPolicy) for arg in args):
            return False  # "Retrying (RetryPolicy(...)) after ...", "Incremented Retry ..."
        if record.msg == "Retry: %s" and args and getattr(_our_retry, "url", None) == args[0]:
            _our_retry.url = None
            return False
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(_Urllib3RetryFilter())


def make_retry(retries: Any) -> Retry:
    """Turn ``Configuration.retries`` (an int, None, or a ``Retry``) into a ``Retry``.

    A ``Retry`` keeps its rules, except that redirects are never followed: a 3xx is handed
    back (and raised as an ``ApiException``), so credentials never go to another host.
    """
    if isinstance(retries, Retry):
        policy = retries.new(redirect=0, raise_on_redirect=False)
    elif retries is None:
        policy = RetryPolicy.from_count(0)
    elif isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ApiValueError(
            f"retries must be a non-negative int or a urllib3 Retry, not {retries!r}"
        )
    else:
        policy = RetryPolicy.from_count(retries)
    return _deadline_aware(policy)


def make_timeout(spec: Union[TimeoutSpec, urllib3.Timeout, None]) -> urllib3.Timeout:
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


class _DeadlineTimeout(urllib3.Timeout):
    """A ``Timeout`` whose connect and read waits never reach past the call's deadline.

    urllib3 clones it for every attempt, so a retry gets only the time that is left.
    """

    def __init__(self, base: urllib3.Timeout, limits: CallLimits) -> None:
        connect, read = base.connect_timeout, base._read
        super().__init__(
            connect=connect if isinstance(connect, (int, float)) else None,
            read=read if isinstance(read, (int, float)) else None,
        )
        self._base = base
        self._limits = limits

    def clone(self) -> _DeadlineTimeout:
        return _DeadlineTimeout(self._base, self._limits)

    @property
    def connect_timeout(self) -> float:
        return self._within(self._connect)

    @property
    def read_timeout(self) -> float:
        return self._within(self._read)

    def _within(self, phase: Any) -> float:
        # Never 0: urllib3 reads 0 as "non-blocking"; a tiny wait times out just as well.
        left = max(self._limits.left(), 0.001)
        return min(phase, left) if isinstance(phase, (int, float)) else left


class _DeadlineSocketReader(io.RawIOBase):
    """Reads a socket, each wait shortened so that no read ends past the call's deadline.

    A server trickling a byte at a time resets an ordinary socket timeout on every byte;
    this one keeps counting down.
    """

    def __init__(self, sock: socket.socket, limits: CallLimits) -> None:
        super().__init__()
        self._sock = sock
        self._limits = limits
        self._phase = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._limits.left()
        if left <= 0:
            raise socket.timeout("the call's timeout ran out")
        self._sock.settimeout(left if self._phase is None else min(left, self._phase))
        return self._sock.recv_into(buffer)


class _DeadlineHTTPResponse(http.client.HTTPResponse):
    """``http.client``'s response, reading through :class:`_DeadlineSocketReader` when the
    call has a deadline (status line and headers included)."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        limits = _CALL.get()
        if limits is not None and limits.deadline is not None:
            self.fp.close()
            self.fp = io.BufferedReader(_DeadlineSocketReader(sock, limits))


class _BoundedConnection(HTTPConnection):
    """Reads a preloaded body itself, within the call's size limit, inflating as it goes.

    urllib3 would read (and inflate) the whole body at once; the read stays inside urllib3's
    retry loop all the same, so a GET cut off mid-body is still retried.
    """

    response_class = _DeadlineHTTPResponse

    def getresponse(self) -> urllib3.HTTPResponse:  # type: ignore[override]
        options = getattr(self, "_response_options", None)
        limits = _CALL.get()
        if limits is None or options is None or not options.preload_content:
            return super().getresponse()
        self._response_options = options._replace(preload_content=False)
        response = super().getresponse()
        try:
            response._body = read_body(response, limits.max_size)
        except BodyTooLarge as error:
            error.status, error.reason, error.headers = (
                response.status,
                response.reason,
                response.headers,
            )
            raise
        return response


class _HTTPConnection(_BoundedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_BoundedConnection, HTTPSConnection):
    pass


class _HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def read_body(response: urllib3.BaseHTTPResponse, max_size: Optional[int]) -> bytes:
    """Read ``response``'s raw body to its end, decoded and within ``max_size``."""
    try:
        body = BoundedBody(max_size, response.headers)
        while True:
            chunk = response.read(CHUNK_SIZE, decode_content=False)
            if not chunk:
                return body.finish()
            body.feed(chunk)
    except UndecodableBody as error:
        raise DecodeError(str(error)) from error
    except BodyTooLarge:
        response.close()  # the rest is never read: the connection cannot be reused
        raise


class RESTResponse(io.IOBase):
    """A response whose body is read once, on :meth:`read`.

    ``status``, ``reason``, ``data`` (bytes after ``read()``) and ``getheader(s)`` as in the
    published SDK; ``response`` is urllib3's response.
    """

    def __init__(
        self,
        resp: urllib3.BaseHTTPResponse,
        max_size: Optional[int] = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.response = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        preloaded = getattr(resp, "_body", None)
        self.data: Optional[bytes] = preloaded if isinstance(preloaded, bytes) else None
        self._max_size = max_size
        self._method = method
        self._url = url

    def read(self) -> bytes:
        """Read (once) and return the whole body, within ``max_response_size``."""
        if self.data is None:
            try:
                self.data = read_body(self.response, self._max_size)
            except BodyTooLarge as error:
                raise too_large(error, self._method, self._url, self.response) from None
            except HTTPError as error:
                raise translate_error(error, self._method, self._url) from error
        return self.data

    def getheaders(self) -> Any:
        """The response headers (case-insensitive mapping)."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)


class RESTClientObject:
    """The pooled urllib3 client behind an ``ApiClient``. Safe to share between threads."""

    def __init__(self, configuration: Configuration) -> None:
        self.retries = make_retry(configuration.retries)
        self.timeout = make_timeout(configuration.timeout)
        self.max_size = check_limit(configuration.max_response_size)
        self._configuration = configuration
        self._new_pools()

    def _new_pools(self) -> None:
        configuration = self._configuration
        pool_args: Dict[str, Any] = {
            "num_pools": 4,
            "maxsize": configuration.connection_pool_maxsize,
            "block": False,
            "retries": self.retries,
            "timeout": self.timeout,
        }
        if parse_host(configuration.host).scheme == "https":
            pool_args["cert_reqs"] = (
                ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE
            )
            pool_args["ca_certs"] = configuration.ssl_ca_cert
            pool_args["ca_cert_data"] = configuration.ca_cert_data
            pool_args["cert_file"] = configuration.cert_file
            pool_args["key_file"] = configuration.key_file
            if configuration.assert_hostname is not None:
                pool_args["assert_hostname"] = configuration.assert_hostname
            if configuration.tls_server_name:
                pool_args["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            pool_args["socket_options"] = configuration.socket_options
        self.pool_manager: urllib3.PoolManager
        if configuration.proxy:
            self.pool_manager = urllib3.ProxyManager(
                proxy_url=configuration.proxy,
                proxy_headers=configuration.proxy_headers,
                **pool_args,
            )
        else:
            self.pool_manager = urllib3.PoolManager(**pool_args)
        self.pool_manager.pool_classes_by_scheme = {
            "http": _HTTPConnectionPool,
            "https": _HTTPSConnectionPool,
        }
        # Calls to the configured host go straight to its connection pool: PoolManager.request
        # parses the URL and rebuilds the pool key on every call, about a fifth of a small
        # call's CPU. Only without a proxy, where it changes nothing (redirects are never
        # followed either way).
        self._origin = (
            None if configuration.proxy else _plain_origin(parse_host(configuration.host).base)
        )
        self._pool: Optional[urllib3.HTTPConnectionPool] = None
        self._fork_generation = fork_generation()

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Dict[str, str]] = None,
        body: Optional[Union[bytes, str]] = None,
        post_params: Any = None,
        _request_timeout: Union[TimeoutSpec, urllib3.Timeout, None] = None,
        preload_content: bool = False,
    ) -> RESTResponse:
        """Send one request. The body is read later by ``read()``, unless ``preload_content``:
        then it is read inside urllib3's retry loop, so a GET cut off mid-body is retried."""
        if post_params:
            raise ApiValueError("form parameters are not used by the Models API; send a body")
        timeout = self.timeout if _request_timeout is None else make_timeout(_request_timeout)
        if self._fork_generation != fork_generation():
            self._after_fork()
        limits = CallLimits(timeout_seconds(timeout), self.max_size)
        if limits.deadline is not None:
            timeout = _DeadlineTimeout(timeout, limits)
        target = self._direct_target(url)
        token = _CALL.set(limits)
        try:
            if target is not None:
                raw = self._host_pool().urlopen(
                    method.upper(),
                    target,
                    body=body,
                    headers=headers,
                    timeout=timeout,
                    preload_content=preload_content,
                    redirect=False,
                    assert_same_host=False,
                )
            else:
                raw = self.pool_manager.request(
                    method,
                    url,
                    body=body,
                    headers=headers,
                    timeout=timeout,
                    preload_content=preload_content,
                    redirect=False,
                )
        except BodyTooLarge as error:
            raise too_large(error, method, url) from None
        except HTTPError as error:
            raise translate_error(error, method, url, limits) from error
        finally:
            _CALL.reset(token)
        return RESTResponse(raw, self.max_size, method, url)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool = None
        self.pool_manager.clear()

    def _after_fork(self) -> None:
        """In a child process: leave the parent's connections alone and start new ones."""
        inherited = self.pool_manager
        self._new_pools()
        _close_inherited(inherited)

    def _direct_target(self, url: str) -> Optional[str]:
        """The request target (path and query) of ``url`` when it can skip PoolManager."""
        origin = self._origin
        if origin is None or not url.startswith(origin):
            return None
        target = url[len(origin) :]
        # Dot segments are rewritten by PoolManager's URL parsing: leave those to it.
        if not target.startswith("/") or "/." in target:
            return None
        return target

    def _host_pool(self) -> urllib3.HTTPConnectionPool:
        pool = self._pool
        if pool is None or pool.pool is None:  # first call, or closed by close() / eviction
            assert self._origin is not None
            pool = self._pool = self.pool_manager.connection_from_url(self._origin)
        return pool


def _close_inherited(manager: urllib3.PoolManager) -> None:
    """Close this process's copies of a parent's pooled sockets.

    Only the file descriptors are closed (no shutdown, no TLS goodbye), so the parent's
    connections carry on. No lock is taken: one held by a thread of the parent at the fork
    would never be released here.
    """
    for pool in list(getattr(manager.pools, "_container", {}).values()):
        idle = getattr(getattr(pool, "pool", None), "queue", ())
        for connection in list(idle):
            if connection is not None and connection.sock is not None:
                connection.sock.close()
                connection.sock = None


def too_large(
    error: BodyTooLarge, method: str, url: str, response: Any = None
) -> ApiResponseTooLargeError:
    """The SDK's exception for a body past ``max_response_size``."""
    if response is not None:
        error.status, error.reason, error.headers = (
            response.status,
            response.reason,
            response.headers,
        )
    return ApiResponseTooLargeError(
        error.status,
        error.reason,
        body=error.head,
        headers=error.headers,
        limit=error.limit,
        method=method,
        url=redact_url(url),
    )


def _plain_origin(host: str) -> Optional[str]:
    """``scheme://host:port`` of ``host`` when it is a prefix urllib3 reads as it stands."""
    scheme, sep, rest = host.partition("://")
    authority = rest.split("/", 1)[0]
    if not sep or scheme.lower() not in ("http", "https") or not authority:
        return None
    if any(c in authority for c in "@?#"):
        return None
    origin = f"{scheme}://{authority}"
    try:
        parse_url(origin)
    except HTTPError:
        return None
    return origin


def translate_error(
    error: Exception, method: str, url: str, limits: Optional[CallLimits] = None
) -> ApiConnectionError:
    """Turn a urllib3 error into the SDK's exception, naming the URL and what to try."""
    reason = error.reason if isinstance(error, MaxRetryError) and error.reason else error
    seconds = limits.seconds if limits is not None else None
    timed_out = isinstance(reason, (ConnectTimeoutError, ReadTimeoutError)) and not isinstance(
        reason, NewConnectionError
    )
    if isinstance(reason, DeadlinePassed) or (timed_out and seconds is not None):
        kind = "deadline"
    elif timed_out:
        kind = "connect_timeout" if isinstance(reason, ConnectTimeoutError) else "read_timeout"
    elif isinstance(reason, SSLError):
        kind = "tls"
    elif isinstance(reason, ProtocolError):
        kind = "broken"
    elif isinstance(reason, DecodeError):
        kind = "decode"
    else:
        kind = "connect"
    return describe_failure(kind, method, url, reason, seconds)


def describe_failure(
    kind: str, method: str, url: str, reason: object, seconds: Optional[float] = None
) -> ApiConnectionError:
    """The SDK's exception for a transport failure of ``kind``, naming the URL and what to try.

    ``kind`` is ``"deadline"`` (a number timeout of ``seconds`` ran out), ``"connect_timeout"``,
    ``"read_timeout"``, ``"tls"``, ``"broken"`` (the answer was cut off), ``"decode"`` (a
    compressed body that does not decompress) or ``"connect"``; shared by the urllib3 and
    aiohttp transports. Credentials in ``url`` are masked.
    """
    url = redact_url(url)
    if kind == "deadline":
        why = f"; {reason}" if isinstance(reason, (str, DeadlinePassed)) else ""
        return ApiTimeoutError(
            f"{method} {url}: timed out, no complete answer within the {seconds:g} s timeout "
            f"(a number bounds the whole call: connecting, sending, reading and waiting to "
            f"retry){why}; raise it (Configuration(timeout=...) or _request_timeout=...) or "
            f"check that Pieces OS is healthy",
            method=method,
            url=url,
        )
    if kind in ("connect_timeout", "read_timeout"):
        phase = "connect to" if kind == "connect_timeout" else "get an answer from"
        return ApiTimeoutError(
            f"{method} {url}: timed out trying to {phase} Pieces OS; raise the timeout "
            f"(Configuration(timeout=...) or _request_timeout=...) or check that it is healthy",
            method=method,
            url=url,
        )
    if kind == "tls":
        detail = f"TLS failed ({reason}); check verify_ssl / ssl_ca_cert"
    elif kind == "decode":
        detail = f"the answer's Content-Encoding could not be decoded ({reason})"
    elif kind == "broken":
        detail = (
            f"the connection broke before the answer was complete ({reason}); {CONNECTION_HINT}"
        )
    else:
        detail = f"could not connect ({reason}); {CONNECTION_HINT}"
    return ApiConnectionError(f"{method} {url}: {detail}", method=method, url=url)
