"""The urllib3 transport: one ``PoolManager`` per ``ApiClient``, a retry policy, and timeouts.

Nothing from urllib3 escapes: connection failures become ``ApiConnectionError`` and timeouts
``ApiTimeoutError``, each naming the URL and what to try.
"""

from __future__ import annotations

import io
import logging
import random
import ssl
import threading
import time
from typing import Any, Dict, Optional, Union

import urllib3
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
from urllib3.util.retry import Retry
from urllib3.util.url import parse_url

from pieces_os_client.configuration import Configuration, TimeoutSpec
from pieces_os_client.exceptions import (
    CONNECTION_HINT,
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
)

logger = logging.getLogger("pieces_os_client")

__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "RetryPolicy", "make_timeout"]


class RetryPolicy(Retry):
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
    """Turn ``Configuration.retries`` (an int, None, or a ``Retry``) into a ``Retry``."""
    if isinstance(retries, Retry):
        return retries
    if retries is None:
        return RetryPolicy.from_count(0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ApiValueError(
            f"retries must be a non-negative int or a urllib3 Retry, not {retries!r}"
        )
    return RetryPolicy.from_count(retries)


def make_timeout(spec: Union[TimeoutSpec, urllib3.Timeout, None]) -> urllib3.Timeout:
    """``5`` -> 5 s for the whole attempt; ``(2, 30)`` -> connect 2 s, read 30 s."""
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


class RESTResponse(io.IOBase):
    """A response whose body is read once, on :meth:`read`.

    ``status``, ``reason``, ``data`` (bytes after ``read()``) and ``getheader(s)`` as in the
    published SDK; ``response`` is urllib3's response.
    """

    def __init__(self, resp: urllib3.BaseHTTPResponse) -> None:
        self.response = resp
        self.status: int = resp.status
        self.reason: Optional[str] = resp.reason
        self.data: Optional[bytes] = None

    def read(self) -> bytes:
        """Read (once) and return the whole body."""
        if self.data is None:
            self.data = self.response.data
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
        pool_args: Dict[str, Any] = {
            "num_pools": 4,
            "maxsize": configuration.connection_pool_maxsize,
            "block": False,
            "retries": self.retries,
            "timeout": self.timeout,
        }
        if configuration.host.startswith("https"):
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
        # Calls to the configured host go straight to its connection pool: PoolManager.request
        # parses the URL and rebuilds the pool key on every call, about a fifth of a small
        # call's CPU. Only where that changes nothing: no proxy, and retries that hand a 3xx
        # back instead of following it (as PoolManager does with such retries).
        hands_back_3xx = self.retries.redirect == 0 and not self.retries.raise_on_redirect
        self._origin = (
            _plain_origin(configuration.host)
            if hands_back_3xx and not configuration.proxy
            else None
        )
        self._pool: Optional[urllib3.HTTPConnectionPool] = None

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
        then urllib3 reads it inside its retry loop, so a GET cut off mid-body is retried."""
        if post_params:
            raise ApiValueError("form parameters are not used by the Models API; send a body")
        timeout = self.timeout if _request_timeout is None else make_timeout(_request_timeout)
        target = self._direct_target(url)
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
                )
        except HTTPError as error:
            raise translate_error(error, method, url) from error
        return RESTResponse(raw)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool = None
        self.pool_manager.clear()

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


def translate_error(error: Exception, method: str, url: str) -> ApiConnectionError:
    """Turn a urllib3 error into the SDK's exception, naming the URL and what to try."""
    reason = error.reason if isinstance(error, MaxRetryError) and error.reason else error
    if isinstance(reason, (ConnectTimeoutError, ReadTimeoutError)) and not isinstance(
        reason, NewConnectionError
    ):
        kind = "connect_timeout" if isinstance(reason, ConnectTimeoutError) else "read_timeout"
    elif isinstance(reason, SSLError):
        kind = "tls"
    elif isinstance(reason, ProtocolError):
        kind = "broken"
    elif isinstance(reason, DecodeError):
        kind = "decode"
    else:
        kind = "connect"
    return describe_failure(kind, method, url, reason)


def describe_failure(kind: str, method: str, url: str, reason: object) -> ApiConnectionError:
    """The SDK's exception for a transport failure of ``kind``, naming the URL and what to try.

    ``kind`` is ``"connect_timeout"``, ``"read_timeout"``, ``"tls"``, ``"broken"`` (the answer
    was cut off), ``"decode"`` (a compressed body that does not decompress) or ``"connect"``; shared by the urllib3 and aiohttp transports.
    """
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
