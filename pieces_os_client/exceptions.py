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

import json
from http import HTTPStatus
from typing import Any, Mapping, NoReturn, Optional, Sequence, Union
from urllib.parse import urlsplit

#: The most characters of a body an exception's text shows (``e.body`` keeps all of it).
SHOWN_BODY_CHARS = 2048

#: What to try when Pieces OS cannot be reached (while ``PIECES_OS_URL`` is not set: see
#: :func:`connection_hint`).
CONNECTION_HINT = (
    "is Pieces OS running? set PIECES_OS_URL or Configuration(host=...) to where it listens"
)


def connection_hint(url: str = "", env_url: Optional[str] = None) -> str:
    """What to try when ``url`` cannot be reached, never suggesting what is already done:
    :data:`CONNECTION_HINT` while ``PIECES_OS_URL`` (``env_url``: its value, read from the
    environment by default) is unset; once it is set, whether ``url`` is the address it
    names or the client was given another host.

    Example::

        >>> connection_hint("http://localhost:39300/models", env_url="http://localhost:39300")
        'is Pieces OS running at that address? it is the one PIECES_OS_URL names: start Pieces OS there, or change PIECES_OS_URL to where it listens'
    """
    if env_url is None:
        import os

        env_url = os.environ.get("PIECES_OS_URL", "")
    named = env_url.strip().rstrip("/")
    if not named:
        return CONNECTION_HINT
    if url.startswith(named) and url[len(named) : len(named) + 1] in ("", "/"):
        return (
            "is Pieces OS running at that address? it is the one PIECES_OS_URL names: start "
            "Pieces OS there, or change PIECES_OS_URL to where it listens"
        )
    return (
        "is Pieces OS running at that address? it is the host this client was given (not "
        "PIECES_OS_URL's): pass Configuration(host=...) where Pieces OS listens"
    )


class OpenApiException(Exception):
    """Root of every exception this SDK raises."""


def render_path(path_to_item: Optional[Sequence[Union[str, int]]]) -> str:
    """Where an item sits, as the published SDK writes it: ``['iterable'][0]['id']``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in path_to_item or ())


class ApiTypeError(OpenApiException, TypeError, ValueError):
    """An argument has the wrong type. Raised before anything is sent.

    Also a ``ValueError``: the published SDK checked arguments with pydantic, whose
    ``ValidationError`` is a ``ValueError``, so ``except ValueError`` written for it still
    catches every bad argument.

    Example::

        >>> from pieces_os_client.exceptions import ApiTypeError
        >>> str(ApiTypeError("model must be a str, not int"))
        'model must be a str, not int'
    """

    def __init__(
        self,
        msg: str,
        path_to_item: Optional[Sequence[Union[str, int]]] = None,
        valid_classes: Optional[Sequence[type]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        if path_to_item:
            msg = f"{msg} at {render_path(path_to_item)}"
        super().__init__(msg)


class _ItemError(OpenApiException):
    """An error about one argument, optionally located by ``path_to_item``."""

    def __init__(self, msg: str, path_to_item: Optional[Sequence[Union[str, int]]] = None) -> None:
        self.path_to_item = path_to_item
        if path_to_item:
            msg = f"{msg} at {render_path(path_to_item)}"
        super().__init__(msg)


class ApiValueError(_ItemError, ValueError):
    """An argument has a bad value (empty id, CR/LF in a header, ...). Raised before sending."""


class ModelLookupError(ApiValueError, LookupError):
    """The text given for a model names no model, or several (see :func:`resolve_model
    <pieces_os_client.resolve_model>`). Raised before anything but the snapshot was sent.

    ``query`` is the text as given; ``models`` the models it was looked up in.
    """

    def __init__(self, msg: str, *, query: str = "", models: Sequence[Any] = ()) -> None:
        self.query = query
        self.models = list(models)
        super().__init__(msg)

    def __reduce__(self) -> Any:
        return (_rebuild_lookup_error, (type(self), str(self), self.__dict__))


def _rebuild_lookup_error(cls: type, message: str, state: Any) -> ModelLookupError:
    error: ModelLookupError = cls(message)
    error.__dict__.update(state)
    return error


class ModelNotFoundError(ModelLookupError):
    """No model has this id, ``unique`` slug or name, and no id starts with it.

    ``suggestions`` holds the models whose names or slugs come closest (maybe none).

    Example::

        >>> from pieces_os_client import resolve_model
        >>> from pieces_os_client.testing import builtin_catalogue
        >>> try:
        ...     resolve_model(builtin_catalogue(), "mistral")
        ... except ModelNotFoundError as error:
        ...     print([model.name for model in error.suggestions])
        ['Mistral 7B Instruct']
    """

    def __init__(
        self,
        msg: str,
        *,
        query: str = "",
        models: Sequence[Any] = (),
        suggestions: Sequence[Any] = (),
    ) -> None:
        self.suggestions = list(suggestions)
        super().__init__(msg, query=query, models=models)


class AmbiguousModelError(ModelLookupError):
    """Several models answer to this text (one name, or one id prefix); ``candidates`` holds
    them. Pass one of their ids instead.

    Example::

        >>> from pieces_os_client import resolve_model
        >>> from pieces_os_client.testing import builtin_catalogue
        >>> phi = builtin_catalogue()[10]
        >>> newer = phi.model_copy(update={"id": "phi-3-1", "version": "3.1"})
        >>> try:
        ...     resolve_model([phi, newer], "phi-3 mini 4k instruct")  # one name, two models
        ... except AmbiguousModelError as error:
        ...     print([model.version for model in error.candidates])
        ['3.0', '3.1']
    """

    def __init__(
        self,
        msg: str,
        *,
        query: str = "",
        models: Sequence[Any] = (),
        candidates: Sequence[Any] = (),
    ) -> None:
        self.candidates = list(candidates)
        super().__init__(msg, query=query, models=models)


class ApiAttributeError(_ItemError, AttributeError):
    """An attribute that does not exist was asked for."""


class ApiKeyError(_ItemError, KeyError):
    """A key that does not exist was asked for."""


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
            data = _body_data(body, headers)
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
            text += f"HTTP response body: {_shown(self.body)}\n"
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


#: The most characters of the server's text the first line of an error shows.
SERVER_TEXT_CHARS = 300


def server_text(data: Any, body: Optional[str]) -> str:
    """What the server said, on one line: a JSON body's usual keys (``message``,
    ``error``...), else the text of the body; at most :data:`SERVER_TEXT_CHARS` characters.

    Example::

        >>> server_text({"error": "model  not\\nfound"}, None)
        'model not found'
    """
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "description", "reason"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return _one_line(value)
    if isinstance(data, str) and data.strip():
        return _one_line(data)
    return _one_line(body or "") if not isinstance(data, (dict, list)) else ""


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    if len(line) <= SERVER_TEXT_CHARS:
        return line
    return line[: SERVER_TEXT_CHARS - 3] + "..."


def _body_data(body: str, headers: Optional[Mapping[str, str]]) -> Any:
    """``data`` for an error body: what its ``Content-Type`` says it is (as the published SDK
    read it): JSON parsed (None when it does not parse), any other type as its text."""
    content_type = _content_type(headers)
    if content_type is None or _is_json(content_type):
        try:
            return json.loads(body)
        except (ValueError, RecursionError, MemoryError):
            # Declared JSON but broken, nested past the interpreter's limit or too big to
            # hold twice: no data (``body`` keeps it). Undeclared: it is text.
            return None if content_type is not None else body
    return body


def _content_type(headers: Optional[Mapping[str, str]]) -> Optional[str]:
    if not headers:
        return None
    value = headers.get("Content-Type")
    if value is None:
        # Plain dicts are case-sensitive; HTTP header names are not.
        value = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    return value.split(";", 1)[0].strip().lower() if value else None


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _shown(body: str) -> str:
    if len(body) <= SHOWN_BODY_CHARS:
        return body
    return f"{body[:SHOWN_BODY_CHARS]}... ({len(body) - SHOWN_BODY_CHARS} more characters)"


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


class ModelDownloadError(OpenApiException):
    """A download that ``ModelApi.download()`` (or ``download_events()``) followed did not
    complete.

    ``model_id`` names the model; ``progress`` is the last
    :class:`~pieces_os_client.DownloadEvent` seen (its ``percentage``, ``status`` and the
    message itself as ``progress.progress``), or None when none came.

    Example::

        >>> from pieces_os_client.exceptions import ModelDownloadFailed
        >>> e = ModelDownloadFailed("the download failed", model_id="m1")
        >>> e.model_id, e.progress, str(e)
        ('m1', None, 'the download failed')
    """

    def __init__(self, message: str, *, model_id: str, progress: Any = None) -> None:
        self.model_id = model_id
        #: The last ``DownloadEvent`` (typed ``Any`` here: the event lives in ``_core``,
        #: which imports this module).
        self.progress = progress
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> Any:
        return (_rebuild_download_error, (type(self), str(self), self.model_id, self.progress))


def _rebuild_download_error(
    cls: type, message: str, model_id: str, progress: Any
) -> ModelDownloadError:
    error: ModelDownloadError = cls(message, model_id=model_id, progress=progress)
    return error


class ModelDownloadFailed(ModelDownloadError):
    """Pieces OS reported the download ``FAILED``; ``progress`` says how far it got."""


class ModelDownloadCanceled(ModelDownloadError):
    """Pieces OS reported the download ``CANCELED`` (by this or another client)."""


class ModelDownloadDenied(ModelDownloadError):
    """The model is ``denied`` (the organization of this Pieces OS account may not use it):
    ``download()`` refused it before anything but the model's lookup was sent."""


class ModelDownloadStalled(ModelDownloadError, TimeoutError):
    """No progress message and no change of the model's flags within ``stall_timeout``, or
    the download not complete within ``timeout``. Also a ``TimeoutError``.

    The SDK asked Pieces OS to cancel the download before raising this.
    """


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
