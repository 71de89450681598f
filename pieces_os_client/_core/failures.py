"""Transport failures as the SDK's exceptions, whatever library met them.

Each shell (urllib3, aiohttp, websockets) sorts what it caught into one of the :data:`KINDS`;
:func:`describe_failure` turns a kind into ``ApiConnectionError`` / ``ApiTimeoutError`` with
the URL (credentials masked) and what to try.
"""

from __future__ import annotations

from typing import List, Optional

from pieces_os_client._core.host import redact_url
from pieces_os_client.exceptions import ApiConnectionError, ApiTimeoutError, connection_hint

#: The connection could not be made (refused, unreachable, name not found).
CONNECT_FAILED = "connect"
#: Connecting took longer than the connect timeout.
CONNECT_TIMEOUT = "connect_timeout"
#: The answer did not come within the read timeout.
READ_TIMEOUT = "read_timeout"
#: A number timeout (a deadline for the whole call) ran out.
DEADLINE = "deadline"
#: The TLS handshake failed.
TLS = "tls"
#: The connection broke after the request went out, or the answer was not HTTP.
BROKEN = "broken"
#: A compressed body that does not decompress.
DECODE = "decode"
#: Anything else the library raised.
OTHER = "other"

KINDS = (CONNECT_FAILED, CONNECT_TIMEOUT, READ_TIMEOUT, DEADLINE, TLS, BROKEN, DECODE, OTHER)
#: Failures that happened before Pieces OS could have seen the request.
NOT_SENT = (CONNECT_FAILED, CONNECT_TIMEOUT)


def plain_cause(kind: str, error: BaseException) -> str:
    """A failure of ``kind`` in words a log line can say after "retrying GET /models after":
    ``a refused connection``, ``a connect timeout``..., never a library's class name.

    Example::

        >>> plain_cause("connect", ConnectionRefusedError(111, "Connection refused"))
        'a failed connection (connection refused)'
    """
    what = {
        CONNECT_FAILED: "a failed connection",
        CONNECT_TIMEOUT: "a connect timeout",
        READ_TIMEOUT: "a read timeout",
        DEADLINE: "a timeout",
        TLS: "a TLS failure",
        BROKEN: "a broken connection",
        DECODE: "an undecodable answer",
    }.get(kind, "a connection error")
    reason = _os_reason(error)
    return f"{what} ({reason})" if reason else what


def _os_reason(error: BaseException) -> str:
    """The operating system's words for the root cause (``connection refused``), if any."""
    seen: List[BaseException] = []
    current: Optional[BaseException] = error
    while current is not None and all(current is not other for other in seen):
        seen.append(current)
        if isinstance(current, OSError) and current.strerror:
            return str(current.strerror).lower()
        nested = getattr(current, "reason", None)
        if isinstance(nested, BaseException):
            current = nested
        else:
            current = current.__cause__ or current.__context__
    text = str(error)
    # urllib3 words its errors "<HTTPConnection object at 0x...>: Failed to ... [Errno 111] ..."
    if "] " in text and "[Errno" in text:
        return text.rsplit("] ", 1)[1].strip().lower()
    return ""


def late_retry(cause: str, wait: float) -> str:
    """Why a call gave up before its deadline: the next retry would start after it."""
    return f"the last attempt got {cause}; waiting {wait:.1f} s to retry would pass the timeout"


def describe_failure(
    kind: str, method: str, url: str, reason: object, seconds: Optional[float] = None
) -> ApiConnectionError:
    """The SDK's exception for a transport failure of ``kind``, naming the URL and what to try.

    ``seconds`` is the number timeout that ran out, for ``DEADLINE``. Credentials in ``url``
    are masked.

    Example::

        >>> from pieces_os_client._core.failures import describe_failure
        >>> error = describe_failure("connect", "GET", "http://127.0.0.1:9/models", "refused")
        >>> type(error).__name__, "could not connect" in str(error)
        ('ApiConnectionError', True)
    """
    url = redact_url(url)
    if kind == DEADLINE:
        why = f"; {reason}" if isinstance(reason, str) else ""
        return ApiTimeoutError(
            f"{method} {url}: timed out, no complete answer within the {seconds:g} s timeout "
            f"(a number bounds the whole call: connecting, sending, reading and waiting to "
            f"retry){why}; raise it (Configuration(timeout=...) or _request_timeout=...) or "
            f"check that Pieces OS is healthy",
            method=method,
            url=url,
        )
    if kind in (CONNECT_TIMEOUT, READ_TIMEOUT):
        phase = "connect to" if kind == CONNECT_TIMEOUT else "get an answer from"
        return ApiTimeoutError(
            f"{method} {url}: timed out trying to {phase} Pieces OS; raise the timeout "
            f"(Configuration(timeout=...) or _request_timeout=...) or check that it is healthy",
            method=method,
            url=url,
        )
    if kind == TLS:
        detail = f"TLS failed ({reason}); check verify_ssl / ssl_ca_cert"
    elif kind == DECODE:
        detail = f"the answer's Content-Encoding could not be decoded ({reason})"
    elif kind == BROKEN:
        detail = (
            f"the connection broke before the answer was complete ({reason}); "
            f"{connection_hint(url)}"
        )
    else:
        why = _os_reason(reason) if isinstance(reason, BaseException) else ""
        detail = f"could not connect ({why or reason}); {connection_hint(url)}"
    return ApiConnectionError(f"{method} {url}: {detail}", method=method, url=url)
