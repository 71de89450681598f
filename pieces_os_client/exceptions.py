"""Every error the SDK raises, all under :class:`OpenApiException`.

::

    OpenApiException
    ├── ApiTypeError            (also TypeError and ValueError) an argument of the wrong type;
    │                                                 nothing was sent
    ├── ApiValueError           (also ValueError)     an argument with a bad value; nothing was sent
    │   └── ModelLookupError    (also LookupError)    no model, or several, by the name given
    │       ├── ModelNotFoundError                    none: ``suggestions`` holds the closest
    │       └── AmbiguousModelError                   several: ``candidates`` holds them
    ├── ApiKeyError             (also KeyError)
    ├── ApiAttributeError       (also AttributeError)
    ├── ApiConnectionError      (also ConnectionError) Pieces OS could not be reached, or hung up
    │   └── ApiTimeoutError     (also TimeoutError)   no answer within the timeout
    ├── ApiException                                  Pieces OS answered with an error status
    │   ├── BadRequestException            400
    │   ├── UnauthorizedException          401
    │   ├── ForbiddenException             403
    │   ├── NotFoundException              404
    │   ├── ConflictException              409
    │   ├── UnprocessableEntityException   422
    │   ├── ServiceException               5xx
    │   ├── ApiResponseValidationError     2xx whose body is not JSON or not the documented shape
    │   │                                  (also ValueError, as the published SDK's
    │   │                                  JSONDecodeError / ValidationError were)
    │   └── ApiResponseTooLargeError       a body past Configuration.max_response_size
    └── ModelDownloadError                            ModelApi.download() did not complete
        ├── ModelDownloadFailed                       Pieces OS reported FAILED
        ├── ModelDownloadCanceled                     Pieces OS reported CANCELED
        ├── ModelDownloadDenied                       the model is ``denied`` (refused before
        │                                             anything was sent)
        └── ModelDownloadStalled (also TimeoutError)  no progress within stall_timeout, or
                                                      not complete within timeout

Every ``ApiException`` keeps ``status``, ``reason``, ``headers``, the raw ``body`` (text) and
``data``: the parsed value of a JSON body, the text of any other body (Pieces OS sends its
errors as ``text/plain``), None when there is no body; and ``method`` / ``url``, the request
answered (empty when unknown). ``str()`` leads with one line, ``410 Gone: no model with id
'x' (GET /model/x)`` (status, reason, the server's own text, the request), then the headers
and at most :data:`SHOWN_BODY_CHARS` characters of the body.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Mapping, NoReturn, Optional, Union
from urllib.parse import urlsplit

from pieces_os_client._argument_errors import (
    ApiAttributeError,
    ApiKeyError,
    ApiTypeError,
    ApiValueError,
    OpenApiException,
)
from pieces_os_client._argument_errors import _ItemError as _ItemError
from pieces_os_client._error_text import CONNECTION_HINT as CONNECTION_HINT
from pieces_os_client._error_text import SERVER_TEXT_CHARS as SERVER_TEXT_CHARS
from pieces_os_client._error_text import SHOWN_BODY_CHARS as SHOWN_BODY_CHARS
from pieces_os_client._error_text import body_data, shown_body
from pieces_os_client._error_text import connection_hint as connection_hint
from pieces_os_client._error_text import render_path as render_path
from pieces_os_client._error_text import server_text as server_text
from pieces_os_client._model_errors import (
    AmbiguousModelError,
    ModelDownloadCanceled,
    ModelDownloadDenied,
    ModelDownloadError,
    ModelDownloadFailed,
    ModelDownloadStalled,
    ModelLookupError,
    ModelNotFoundError,
)

# Pickled lookup and download errors name these rebuilders here, as they always did.
from pieces_os_client._model_errors import _rebuild_download_error as _rebuild_download_error
from pieces_os_client._model_errors import _rebuild_lookup_error as _rebuild_lookup_error


class ApiConnectionError(OpenApiException, ConnectionError):
    """Pieces OS could not be reached, or dropped the connection before answering in full.

    ``method`` and ``url`` say which request failed; ``__cause__`` is urllib3's (or aiohttp's)
    original error.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        self.method = method
        self.url = url
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ApiTimeoutError(ApiConnectionError, TimeoutError):
    """No answer within the timeout (``Configuration.timeout`` or ``_request_timeout``)."""


class ApiException(OpenApiException):
    """Pieces OS answered with an error status (or a 2xx the SDK could not read).

    ``data`` is the body as Pieces OS meant it: parsed for a JSON ``Content-Type``, the text
    itself for ``text/plain`` (how Pieces OS sends its errors) and other types, and for a body
    without a ``Content-Type`` the parsed JSON if it is JSON, else the text.

    Example::

        >>> from pieces_os_client.exceptions import ApiException
        >>> e = ApiException(status=500, reason="Internal Server Error", body='{"error": "boom"}')
        >>> e.status, e.data
        (500, {'error': 'boom'})
        >>> ApiException(status=500, body="model not found",
        ...              headers={"Content-Type": "text/plain"}).data
        'model not found'
    """

    #: The request this answers (``"GET"``, the URL); empty when it is not known.
    method: str = ""
    url: str = ""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[Union[str, bytes]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if http_resp is not None:
            status = http_resp.status if status is None else status
            reason = http_resp.reason if reason is None else reason
            if body is None:
                body = getattr(http_resp, "data", None)
            if headers is None:
                headers = http_resp.getheaders()
        if isinstance(body, (bytes, bytearray)):
            body = bytes(body).decode("utf-8", errors="replace")
        if data is None and body:
            data = body_data(body, headers)
        self.status = status
        self.reason = reason
        self.body = body
        self.data = data
        self.headers = headers
        super().__init__(self._summary())

    def _summary(self) -> str:
        return self._head()

    def _status_text(self) -> str:
        """``410 Gone``: the status and its reason (the standard phrase when none came)."""
        reason = self.reason
        status = self.status
        if not reason and isinstance(status, int) and status in HTTPStatus._value2member_map_:
            reason = HTTPStatus(status).phrase
        return " ".join(str(part) for part in (status or "", reason or "") if part)

    def _request_text(self) -> str:
        """`` (GET /model/x)``: the request answered, by its path, when known."""
        if not self.method or not self.url:
            return ""
        path = urlsplit(self.url).path or "/"
        return f" ({self.method} {path})"

    def _head(self) -> str:
        """The first line of ``str()``: status, reason, the server's text, the request."""
        text = server_text(self.data, self.body)
        head = self._status_text() or "error"
        return f"{head}: {text}{self._request_text()}" if text else head + self._request_text()

    def __str__(self) -> str:
        text = self._head() + "\n"
        if self.headers:
            text += f"HTTP response headers: {dict(self.headers)}\n"
        if self.body:
            text += f"HTTP response body: {shown_body(self.body)}\n"
        return text

    @classmethod
    def from_response(
        cls,
        *,
        http_resp: Any,
        body: Optional[Union[str, bytes]],
        data: Any,
    ) -> NoReturn:
        """Raise the subclass that matches ``http_resp.status`` (404 -> NotFoundException...).

        It raises rather than returns, as in the published SDK, so code that calls it
        without ``raise`` still stops there.
        """
        status = http_resp.status
        exc_class = _STATUS_EXCEPTIONS.get(status)
        if exc_class is None:
            exc_class = ServiceException if 500 <= status <= 599 else ApiException
        raise exc_class(http_resp=http_resp, body=body, data=data)


class BadRequestException(ApiException):
    """400: the request was malformed."""


class UnauthorizedException(ApiException):
    """401: missing or wrong credentials (``api_key['application']`` / ``access_token``)."""


class ForbiddenException(ApiException):
    """403: the credentials are not allowed to do this."""


class NotFoundException(ApiException):
    """404 or 410: no such model or endpoint (is ``host`` pointing at Pieces OS?).

    Pieces OS answers an unknown model id with 410 Gone; ``status`` keeps which it was.
    """


class ConflictException(ApiException):
    """409: the request conflicts with the current state."""


class UnprocessableEntityException(ApiException):
    """422: the body was understood but refused."""


class ServiceException(ApiException):
    """5xx: Pieces OS failed; ``body`` usually says why (a built-in model cannot be deleted...)."""


class ApiResponseValidationError(ApiException, ValueError):
    """A 2xx answer whose body is not JSON or not the documented shape.

    ``status``, ``headers`` and the raw ``body`` are kept; ``__cause__`` is the parsing error.
    It is also a ``ValueError``, so code written for the published SDK (which raised
    ``json.JSONDecodeError`` or pydantic's ``ValidationError`` here) still catches it.
    """

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[Union[str, bytes]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        expected: str = "",
        problem: str = "",
    ) -> None:
        self.expected = expected
        self.problem = problem
        super().__init__(status, reason, http_resp, body=body, data=data, headers=headers)

    def _head(self) -> str:
        return (
            f"{self._status_text()}: the answer is not a valid {self.expected}: "
            f"{self.problem}{self._request_text()}"
        )


class ApiResponseTooLargeError(ApiException):
    """The answer's body (after decompression) is larger than ``Configuration.max_response_size``.

    Reading stopped at the limit, so memory stays bounded. ``status`` and ``headers`` are
    kept; ``body`` holds only the first bytes read; ``limit`` is the limit in bytes.
    Raise the setting if such answers are expected, or check ``host``.

    Example::

        >>> from pieces_os_client.exceptions import ApiResponseTooLargeError
        >>> e = ApiResponseTooLargeError(200, "OK", limit=1024, method="GET", url="http://h/models")
        >>> e.limit, isinstance(e, ApiResponseTooLargeError)
        (1024, True)
    """

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Optional[Union[str, bytes]] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        limit: int = 0,
        method: str = "",
        url: str = "",
    ) -> None:
        self.limit = limit
        self.method = method
        self.url = url
        super().__init__(status, reason, http_resp, body=body, data=data, headers=headers)

    def _head(self) -> str:
        return (
            f"{self.method} {self.url}: the answer ({self.status}) is larger than "
            f"max_response_size ({self.limit} bytes); raise Configuration(max_response_size=...) "
            f"if answers this large are expected"
        )


_STATUS_EXCEPTIONS = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    410: NotFoundException,  # Pieces OS's answer for an unknown model id (GET /model/{model})
    422: UnprocessableEntityException,
}

__all__ = [
    "AmbiguousModelError",
    "ApiAttributeError",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiResponseTooLargeError",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "ModelDownloadCanceled",
    "ModelDownloadDenied",
    "ModelDownloadError",
    "ModelDownloadFailed",
    "ModelDownloadStalled",
    "ModelLookupError",
    "ModelNotFoundError",
    "NotFoundException",
    "OpenApiException",
    "ServiceException",
    "UnauthorizedException",
    "UnprocessableEntityException",
]
