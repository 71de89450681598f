"""The urllib3 transport: one ``PoolManager`` per ``ApiClient``, its retry loop and timeouts.

Each attempt is one ``urlopen`` with urllib3's own retries off; whether to send it again is
decided by :class:`~pieces_os_client._core.retry.RetryDecision`, the rules the aiohttp
transport follows too. Nothing from urllib3 escapes: connection failures become
``ApiConnectionError`` and timeouts ``ApiTimeoutError``, each naming the URL and what to try.

Per call, two limits ride along in a context variable, read by the connection classes of
:mod:`pieces_os_client._backends.urllib3_pool`: the deadline of a number timeout (enforced on
every socket read, and before each retry's wait), and ``max_response_size`` (enforced while
the body is read and inflated). Redirects are never
followed, whatever ``Retry`` is configured. After ``os.fork()`` a client opens new connections
in the child instead of sharing the parent's.
"""

from __future__ import annotations

import io
import logging
from typing import Any, Dict, Optional, Tuple, Union

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.url import parse_url

from pieces_os_client._backends.tls import server_hostname, tls_context
from pieces_os_client._backends.urllib3_pool import (
    CALL,
    DeadlineTimeout,
    HTTPConnectionPool,
    HTTPSConnectionPool,
    read_body,
)
from pieces_os_client._client_base import fork_generation, too_large
from pieces_os_client._core.body import (
    BodyTooLarge,
    check_limit,
)
from pieces_os_client._core.failures import (
    BROKEN,
    CONNECT_FAILED,
    CONNECT_TIMEOUT,
    DEADLINE,
    DECODE,
    OTHER,
    READ_TIMEOUT,
    TLS,
    describe_failure,
)
from pieces_os_client._core.host import parse_host
from pieces_os_client._core.retry import RetryDecision, RetryPolicy, make_retry
from pieces_os_client._core.timeouts import CallLimits, Timeouts
from pieces_os_client._core.timeouts import make_timeout as _timeouts
from pieces_os_client._sync.calls import send
from pieces_os_client.configuration import Configuration, TimeoutSpec
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiValueError,
)

logger = logging.getLogger("pieces_os_client")

__all__ = [
    "ApiException",
    "RESTClientObject",
    "RESTResponse",
    "RetryPolicy",
    "make_retry",
    "make_timeout",
]


#: One attempt, no redirects: RetryDecision owns retrying. A ready instance, because urllib3
#: logs a debug line each time it converts ``retries=False``.
_ONE_ATTEMPT = urllib3.Retry(total=False, redirect=False)


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
            "retries": _ONE_ATTEMPT,
            "timeout": self.timeout,
        }
        context = tls_context(configuration)
        if context is not None:
            # The whole decision is in the context; urllib3 only follows it.
            pool_args["ssl_context"] = context
            pool_args["cert_reqs"] = context.verify_mode
            if not context.check_hostname:
                pool_args["assert_hostname"] = False  # else urllib3 checks the name itself
            pool_args["server_hostname"] = server_hostname(configuration)
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
            "http": HTTPConnectionPool,
            "https": HTTPSConnectionPool,
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
        limits = CallLimits(_total(timeout), self.max_size)
        if limits.deadline is not None:
            timeout = DeadlineTimeout(timeout, limits)
        decision = RetryDecision(self.retries, method, url, limits)

        def attempt(target: str) -> urllib3.BaseHTTPResponse:
            return self._send_once(method, target, headers, body, timeout, preload_content)

        def sort(error: BaseException, url: str) -> Optional[Tuple[str, str]]:
            if isinstance(error, BodyTooLarge):
                raise too_large(error, method, url) from None
            if isinstance(error, HTTPError):
                return _failure_kind(error), _retry_rule(error)
            return None

        token = CALL.set(limits)
        try:
            raw: urllib3.BaseHTTPResponse = send(
                self._configuration, decision, url, attempt, _release, sort, _status
            )
        finally:
            CALL.reset(token)
        return RESTResponse(raw, self.max_size, method, decision.url)

    def _send_once(
        self,
        method: str,
        url: str,
        headers: Optional[Dict[str, str]],
        body: Optional[Union[bytes, str]],
        timeout: urllib3.Timeout,
        preload_content: bool,
    ) -> urllib3.BaseHTTPResponse:
        """One attempt; urllib3 neither retries nor follows a redirect (the loop decides)."""
        target = self._direct_target(url)
        if target is not None:
            return self._host_pool().urlopen(
                method.upper(),
                target,
                body=body,
                headers=headers,
                timeout=timeout,
                preload_content=preload_content,
                retries=_ONE_ATTEMPT,
                redirect=False,
                assert_same_host=False,
            )
        return self.pool_manager.request(
            method,
            url,
            body=body,
            headers=headers,
            timeout=timeout,
            preload_content=preload_content,
            retries=_ONE_ATTEMPT,
            redirect=False,
        )

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
        if origin is not None and not url.startswith(origin) and not self._configuration.proxy:
            # The host changed (an assignment, or the default host's Pieces OS moved).
            origin = self._follow_host()
        if origin is None or not url.startswith(origin):
            return None
        target = url[len(origin) :]
        # Dot segments are rewritten by PoolManager's URL parsing: leave those to it.
        if not target.startswith("/") or "/." in target:
            return None
        return target

    def _follow_host(self) -> Optional[str]:
        try:
            origin = _plain_origin(parse_host(self._configuration.host).base)
        except ApiValueError:
            return self._origin
        if origin != self._origin:
            self._origin, self._pool = origin, None
        return origin

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


def _status(answer: urllib3.BaseHTTPResponse) -> Tuple[int, Any]:
    return answer.status, answer.headers


def _release(answer: urllib3.BaseHTTPResponse) -> None:
    """Free an answer that is retried, keeping its connection for the next attempt."""
    answer.drain_conn()
    answer.release_conn()


def _failure_kind(error: Exception) -> str:
    """Which of :mod:`~pieces_os_client._core.failures`' kinds a urllib3 error is."""
    reason = error.reason if isinstance(error, MaxRetryError) and error.reason else error
    if isinstance(reason, (ConnectTimeoutError, ReadTimeoutError)) and not isinstance(
        reason, NewConnectionError
    ):
        return CONNECT_TIMEOUT if isinstance(reason, ConnectTimeoutError) else READ_TIMEOUT
    if isinstance(reason, SSLError):
        return TLS
    if isinstance(reason, ProtocolError):
        return BROKEN
    if isinstance(reason, DecodeError):
        return DECODE
    return CONNECT_FAILED


def _retry_rule(error: Exception) -> str:
    """The failure kind whose retry rule applies to a urllib3 error, sorted as urllib3's
    ``Retry`` sorts it (connection errors, read errors, the rest)."""
    reason = error.original_error if isinstance(error, ProxyError) else error
    if isinstance(reason, ConnectTimeoutError):
        return CONNECT_FAILED
    if isinstance(error, ReadTimeoutError):
        return READ_TIMEOUT
    return BROKEN if isinstance(error, ProtocolError) else OTHER


def make_timeout(spec: Any) -> urllib3.Timeout:
    """``5`` -> ``Timeout(total=5)``, a deadline for the whole call; ``(2, 30)`` -> connect 2 s,
    then 30 s for each wait for data. A urllib3 ``Timeout`` is used as it is."""
    if isinstance(spec, urllib3.Timeout):
        return spec
    timeouts: Timeouts = _timeouts(spec)
    if timeouts.total is not None:
        return urllib3.Timeout(total=timeouts.total)
    return urllib3.Timeout(connect=timeouts.connect, read=timeouts.read)


def _total(timeout: urllib3.Timeout) -> Optional[float]:
    """The deadline a timeout sets for the whole call: its ``total`` (a number timeout)."""
    total = timeout.total
    return float(total) if isinstance(total, (int, float)) else None


def translate_error(
    error: Exception, method: str, url: str, limits: Optional[CallLimits] = None
) -> ApiConnectionError:
    """Turn a urllib3 error into the SDK's exception, naming the URL and what to try."""
    kind = _failure_kind(error)
    seconds = limits.seconds if limits is not None else None
    if kind in (CONNECT_TIMEOUT, READ_TIMEOUT) and seconds is not None:
        kind = DEADLINE
    return describe_failure(kind, method, url, error, seconds)
