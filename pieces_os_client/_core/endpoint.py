"""The transport-free half of calling an operation.

Both clients (sync ``ApiClient`` and ``aio.AsyncApiClient``) share this: argument checks,
path encoding, headers and body happen in :func:`prepare`; status mapping and parsing in
:func:`interpret`. Only sending bytes differs between them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, fields
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)
from urllib.parse import quote

from pydantic_core import ValidationError

from pieces_os_client._core.host import parse_host
from pieces_os_client._core.operations import Operation
from pieces_os_client.exceptions import (
    ApiException,
    ApiResponseValidationError,
    ApiTypeError,
    ApiValueError,
)

if TYPE_CHECKING:
    from pieces_os_client.api_response import ApiResponse
    from pieces_os_client.configuration import Configuration, TimeoutSpec

T = TypeVar("T")

logger = logging.getLogger("pieces_os_client")


@dataclass(frozen=True)
class RequestOptions:
    """The per-call options every operation method names as keyword parameters, handed on
    as one typed value (in the methods' order, so a generated method passes them by position).

    - ``_request_timeout``: a deadline in seconds for the whole call (retries included), or
      ``(connect, read)`` bounding each phase.
    - ``_request_auth``: one auth setting (``{"in": "header", "key": ..., "value": ...}``)
      used instead of the configured ones for this call.
    - ``_content_type``: the ``Content-Type`` sent with a body.
    - ``_headers``: extra headers for this call.
    - ``_host_index``: the server to use (only ``0`` exists).

    Example::

        >>> RequestOptions(_request_timeout=5.0)._request_timeout
        5.0
    """

    _request_timeout: Optional[TimeoutSpec] = None
    _request_auth: Optional[Dict[str, Any]] = None
    _content_type: Optional[str] = None
    _headers: Optional[Mapping[str, str]] = None
    _host_index: Optional[int] = 0


#: The option names, in the order every operation method declares them.
OPTION_NAMES = tuple(option.name for option in fields(RequestOptions))

#: A call without options.
NO_OPTIONS = RequestOptions()


def options_in(values: Mapping[str, Any]) -> RequestOptions:
    """The options named in ``values``, a mapping that may hold other keys too (the form
    ``stream_request`` and ``ModelsWatcher`` were first given)."""
    return RequestOptions(**{name: values[name] for name in OPTION_NAMES if name in values})


@dataclass
class PreparedRequest:
    """A request ready to send: checked, encoded, nothing left to fail before the socket."""

    method: str
    url: str
    headers: Dict[str, str]
    #: JSON bytes from :func:`prepare`; the JSON-ready value ``param_serialize`` made.
    body: Any
    timeout: Optional[TimeoutSpec]


def encode_path_segment(value: Any, name: str) -> str:
    """Percent-encode one path segment with no safe characters (``/``, ``?``, ``.`` ...)."""
    if value is None:
        raise ApiValueError(f"{name} is required: pass the model's id, e.g. {name}='<uuid>'")
    if not isinstance(value, str):
        raise ApiTypeError(f"{name} must be a str (the model's id), not {type(value).__name__}")
    if not value.strip():
        raise ApiValueError(f"{name} must be a non-empty model id, got {value!r}")
    if value != value.strip() or not value.isprintable():
        raise ApiValueError(
            f"{name} {value!r} is not a model id: ids have no line breaks, control characters "
            f"or spaces at either end; pass the model's id as Pieces OS gave it (model.id)"
        )
    encoded = quote(value, safe="")
    # "." and ".." would be collapsed by URL normalisation; encode them so they stay ids.
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def check_header(name: Any, value: Any) -> None:
    """Header names must be HTTP tokens and values Latin-1 text without CR, LF or NUL.

    This stops header injection, and refuses up front what ``http.client`` would otherwise
    fail on with a bare ``UnicodeEncodeError`` or ``ValueError``.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        raise ApiTypeError(f"header {name!r} must map a str to a str, not {type(value).__name__}")
    if not _HEADER_NAME.fullmatch(name):
        raise ApiValueError(f"header name {name!r} is not a valid HTTP header name")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ApiValueError(
            f"header {name!r} contains CR, LF or NUL; remove line breaks from its value"
        )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ApiValueError(
            f"header {name!r} has characters HTTP headers cannot carry; "
            f"encode the value first (for example with urllib.parse.quote)"
        ) from None


#: RFC 9110 ``token``: the characters allowed in a header name.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def encode_body(operation: Operation[Any], value: Any) -> Optional[bytes]:
    """The JSON body for ``operation``'s body parameter, or None when it was not given."""
    if value is None:
        return None
    body_type = operation.body_model
    assert body_type is not None and operation.body_param is not None
    if isinstance(value, dict):
        try:
            value = body_type.model_validate(value)
        except ValidationError as error:
            raise ApiValueError(
                f"{operation.body_param} is not a valid {body_type.__name__}: {error}"
            ) from error
    if not isinstance(value, body_type):
        raise ApiTypeError(
            f"{operation.body_param} must be a {body_type.__name__} (or a dict of its fields), "
            f"not {type(value).__name__}"
        )
    return value.to_json().encode()


def prepare(
    configuration: Configuration,
    default_headers: Mapping[str, str],
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> PreparedRequest:
    """Check every argument and build the request; raises before anything is sent.

    ``arguments`` maps the operation's path parameters and its body parameter to values;
    ``options`` are the call's :class:`RequestOptions`.
    """
    host_index = options._host_index
    host = (
        configuration.host if not host_index else configuration.get_host_from_settings(host_index)
    )
    if operation.path_params:
        path = operation.expand(
            {name: encode_path_segment(arguments.get(name), name) for name in operation.path_params}
        )
    else:
        path = operation.path
    extra = options._headers
    if extra and not isinstance(extra, Mapping):
        raise ApiTypeError(f"_headers must be a dict of str to str, not {type(extra).__name__}")
    auth = options._request_auth
    request = build_request(
        operation.method,
        host,
        path,
        default_headers,
        accept=operation.accept if operation.text else None,
        headers=extra,
        auth=[auth]
        if auth is not None
        else configuration.auth_settings().values()
        if operation.secured
        else (),
        timeout=options._request_timeout,
    )
    body_param = operation.body_param
    body = encode_body(operation, arguments.get(body_param)) if body_param else None
    content_type = options._content_type
    if content_type:
        # Checked even without a body: a bad argument is refused, not silently ignored.
        check_header("Content-Type", content_type)
    attach_body(request, body, content_type or "application/json")
    return request


def build_request(
    method: str,
    host: str,
    path: str,
    default_headers: Mapping[str, str],
    *,
    accept: Optional[str] = None,
    headers: Optional[Mapping[str, str]] = None,
    auth: Iterable[Mapping[str, Any]] = (),
    queries: Optional[List[Tuple[str, Any]]] = None,
    timeout: Optional[TimeoutSpec] = None,
) -> PreparedRequest:
    """The one request builder (``prepare`` and ``ApiClient.param_serialize`` use it): the
    URL of ``path`` (already encoded) on ``host``, the default headers, ``accept``, the
    host's credentials, the checked extra ``headers`` and each ``auth`` setting (a
    ``"query"`` one goes to ``queries``). The body comes after, with :func:`attach_body`."""
    target = parse_host(host)
    sent = dict(default_headers)
    if accept is not None:
        sent["Accept"] = accept
    if target.authorization is not None:
        # Credentials in the host: sent as Basic auth, never as part of a URL that is shown.
        sent["Authorization"] = target.authorization
    if headers:
        for name, value in headers.items():
            check_header(name, value)
        sent.update(headers)
    for setting in auth:
        apply_auth_setting(sent, setting, queries)
    return PreparedRequest(method, target.base + path, sent, None, timeout)


def attach_body(request: PreparedRequest, body: Any, content_type: Optional[str]) -> None:
    """Give ``request`` its body (None: none) and, with one, its ``Content-Type``:
    ``content_type``, or the one already among its headers (else JSON) when that is None."""
    if body is None:
        return
    request.body = body
    if content_type is None:
        request.headers.setdefault("Content-Type", "application/json")
    else:
        request.headers["Content-Type"] = content_type


def apply_auth_setting(
    headers: MutableMapping[str, str],
    setting: Mapping[str, Any],
    queries: Optional[List[Tuple[str, Any]]] = None,
) -> None:
    """Add one auth setting (``{"in": "header", "key": ..., "value": ...}``) to a request.

    ``"cookie"`` settings become the ``Cookie`` header; ``"query"`` ones go to ``queries``
    where the caller builds a query (the published SDK's ``update_params_for_auth``).
    """
    if not isinstance(setting, Mapping) or "key" not in setting or "value" not in setting:
        raise ApiValueError(
            "_request_auth must look like {'in': 'header', 'key': 'X-Application-ID', 'value': '...'}"
        )
    where = setting.get("in", "header")
    if where == "query" and queries is not None:
        queries.append((setting["key"], setting["value"]))
        return
    if where not in ("header", "cookie"):
        raise ApiValueError(
            f"auth setting 'in' must be 'header' (what the Models API uses), not {where!r}"
        )
    name = "Cookie" if where == "cookie" else setting["key"]
    check_header(name, setting["value"])
    headers[name] = setting["value"]


def interpret(
    returns: Optional[Type[Any]],
    status: int,
    reason: Optional[str],
    headers: Mapping[str, str],
    body: bytes,
    request: Optional[PreparedRequest] = None,
) -> ApiResponse[Any]:
    """Map the answer to data (parsed into ``returns``, an operation's ``response_model``; the
    text itself when that is ``str``), or to the exception its status calls for (naming
    ``request``'s method and URL)."""
    try:
        return _interpret(returns, status, reason, headers, body)
    except ApiException as error:
        if request is not None:
            error.method, error.url = request.method, request.url
        raise


def _interpret(
    returns: Optional[Type[Any]],
    status: int,
    reason: Optional[str],
    headers: Mapping[str, str],
    body: bytes,
) -> ApiResponse[Any]:
    if 200 <= status <= 299:
        data: Any = None
        if returns is str:  # a text/plain answer (TEXT): never fails, as 5.0.1's str
            data = decode_text(body)
        elif returns is not None and status != 204:
            try:
                data = returns.model_validate_json(body)
            except Exception as error:
                # A ValidationError, or whatever else a hostile body provokes (nesting past
                # the recursion limit, memory): always typed, with status, headers and body.
                raise ApiResponseValidationError(
                    status,
                    reason,
                    body=body,
                    headers=headers,
                    expected=returns.__name__,
                    problem=_first_problem(error),
                ) from error
        return _response_class()._received(status, headers, data, body)
    ApiException.from_response(
        http_resp=_ErrorResponse(status, reason, headers, body), body=body, data=None
    )


def decode_text(body: Union[str, bytes]) -> str:
    """A text answer or message as ``str``: UTF-8, bad bytes replaced (never raises).

    Example::

        >>> decode_text(b"ok")
        'ok'
        >>> decode_text(b"caf\\xc3\\xa9 \\xff") == "caf\\xe9 \\ufffd"  # a bad byte is replaced
        True
    """
    return body if isinstance(body, str) else bytes(body).decode("utf-8", errors="replace")


def _response_class() -> Type[ApiResponse[Any]]:
    """``ApiResponse``, imported at the first answer: it is a pydantic model, and importing
    the client loads none of pydantic's model machinery."""
    from pieces_os_client.api_response import ApiResponse

    return ApiResponse


def _first_problem(error: Exception) -> str:
    if not isinstance(error, ValidationError):
        return f"{type(error).__name__}: {str(error)[:200]}"
    problems = error.errors(include_url=False)
    if not problems:
        return str(error)
    first = problems[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first.get('msg')}{more}"


@dataclass
class _ErrorResponse:
    """The parts of a response ``ApiException.from_response`` reads, whatever the transport."""

    status: int
    reason: Optional[str]
    headers: Mapping[str, str]
    data: bytes

    def getheaders(self) -> Mapping[str, str]:
        return self.headers
