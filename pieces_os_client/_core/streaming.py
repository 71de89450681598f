"""The transport-free half of every WebSocket operation.

Any operation of the table with ``stream=True`` (``models_stream_identifiers``,
``model_specific_model_download_progress``) is opened and read the same way. The sync front
end (:mod:`pieces_os_client.stream`, over the ``websockets`` library) and the async one
(:mod:`pieces_os_client.aio.stream`, over aiohttp) share everything here, as the HTTP clients
share :mod:`pieces_os_client._core.endpoint`:

- :func:`stream_request`: the WebSocket URL (path parameters filled in), headers and timeouts,
  checked before anything is sent (it reuses :func:`~pieces_os_client._core.endpoint.prepare`);
- :func:`parse_message`, :func:`message_decoder`: one message as the operation's declared type
  (:func:`text_message` for a text stream and the raw variants);
- :func:`refused`, :func:`dropped`: failures mapped to the SDK's exceptions.

Following a stream for longer (reconnecting, coalescing) is :mod:`pieces_os_client._core.watch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Type, TypeVar, Union

from pydantic import ValidationError

from pieces_os_client._core.endpoint import (
    RequestOptions,
    _ErrorResponse,
    _first_problem,
    decode_text,
    options_in,
    prepare,
)
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.timeouts import make_timeout
from pieces_os_client._version import install_command
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
    connection_hint,
)

if TYPE_CHECKING:
    from pieces_os_client.models._base import WireModel

#: Seconds between keepalive pings; a peer that stops answering them ends the stream.
KEEPALIVE_INTERVAL = 20.0
#: The largest message accepted (a models stream message is a few KB).
MAX_MESSAGE_SIZE = 4 * 1024 * 1024
#: How much of a bad message or a refused upgrade's body an exception keeps.
RAW_TEXT_LIMIT = 8 * 1024

Message = Union[str, bytes]
M = TypeVar("M", bound="WireModel")


def missing_extra(module: str, extra: str) -> ImportError:
    """The ImportError for an optional dependency that is not installed."""
    return ImportError(
        f"{module} is not installed; install the {extra} extra: {install_command(extra)}",
        name=module,
    )


# --- opening -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamRequest:
    """A WebSocket opening, checked and ready: nothing left to fail before the socket."""

    url: str
    headers: Dict[str, str]
    #: Seconds to connect and complete the upgrade; the stream itself has no read timeout
    #: (quiet is normal), keepalive pings find a dead peer instead.
    open_timeout: Optional[float]
    #: The largest message accepted: ``MAX_MESSAGE_SIZE``, or ``max_response_size`` if smaller.
    max_message_size: int = 0


def stream_request(
    configuration: Configuration,
    default_headers: Mapping[str, str],
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: Optional[RequestOptions] = None,
) -> StreamRequest:
    """The URL (``ws://`` from ``http://``, ``wss://`` from ``https://``, path parameters
    encoded), the headers of every request (``X-Application-ID``, ``User-Agent``,
    ``_headers``...) and the timeouts. Without ``options``, those named in ``arguments``."""
    if options is None:
        options = options_in(arguments)
    prepared = prepare(configuration, default_headers, operation, arguments, options)
    url = "ws" + prepared.url[len("http") :]  # "http://" -> "ws://", "https://" -> "wss://"
    spec = prepared.timeout if prepared.timeout is not None else configuration.timeout
    timeout = make_timeout(spec)
    connect = _seconds(timeout.connect_timeout)
    limit = getattr(configuration, "max_response_size", None)
    return StreamRequest(
        url,
        prepared.headers,
        connect if connect is not None else _seconds(timeout.total),
        min(MAX_MESSAGE_SIZE, limit) if limit else MAX_MESSAGE_SIZE,
    )


def _seconds(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


# --- answers -------------------------------------------------------------------------------------
def _bounded(raw: Message) -> str:
    text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8", errors="replace")
    if len(text) > RAW_TEXT_LIMIT:
        return text[:RAW_TEXT_LIMIT] + f"... ({len(text) - RAW_TEXT_LIMIT} more characters)"
    return text


def parse_message(
    message_type: Type[M], raw: Message, headers: Optional[Mapping[str, str]] = None
) -> M:
    """One stream message as ``message_type`` (the operation's ``response_model``).

    Raises :class:`~pieces_os_client.exceptions.ApiResponseValidationError` (status 101, the
    raw text kept in ``body``, bounded) when it is not JSON or not of that shape.

    Example::

        >>> from pieces_os_client.models import StreamedIdentifiers
        >>> parse_message(StreamedIdentifiers, '{"iterable": []}').iterable
        []
    """
    try:
        message: M = message_type.model_validate_json(raw)
    except ValidationError as error:
        raise _invalid(message_type, raw, headers, error) from error
    return message


def text_message(raw: Message, headers: Optional[Mapping[str, str]] = None) -> str:
    """One message as its text (a text stream's messages, or any stream's raw variant): bytes
    decoded as UTF-8, bad ones replaced.

    Example::

        >>> text_message(b"ok"), text_message("ok")
        ('ok', 'ok')
    """
    return decode_text(raw)


def message_decoder(
    message_type: Type[M],
) -> Callable[[Message, Optional[Mapping[str, str]]], M]:
    """:func:`parse_message` for one type, made once per stream: ``decode(raw, headers)``;
    :func:`text_message` for ``str`` (a text stream).

    It calls the type's compiled validator directly: ``model_validate_json`` is a Python
    wrapper around it that costs a fifth of a small message's parse, at every message.

    Example::

        >>> from pieces_os_client.models import StreamedIdentifiers
        >>> decode = message_decoder(StreamedIdentifiers)
        >>> decode('{"iterable": [{"model": {"id": "m1"}}]}', {}).iterable[0].model.id
        'm1'
    """
    if message_type is str:  # type: ignore[comparison-overlap]
        return text_message  # type: ignore[return-value]
    # Models build their validator on first use (defer_build): an attribute read through the
    # placeholder builds it and gives the real validator's.
    validate: Callable[[Message], M] = message_type.__pydantic_validator__.validate_json

    def decode(raw: Message, headers: Optional[Mapping[str, str]]) -> M:
        try:
            return validate(raw)
        except ValidationError as error:
            raise _invalid(message_type, raw, headers, error) from error

    return decode


def _invalid(
    message_type: Type[Any],
    raw: Message,
    headers: Optional[Mapping[str, str]],
    error: ValidationError,
) -> ApiResponseValidationError:
    return ApiResponseValidationError(
        101,
        "Switching Protocols",
        body=_bounded(raw),
        headers=headers,
        expected=message_type.__name__,
        problem=_first_problem(error),
    )


def refused(
    url: str, status: int, reason: Optional[str], headers: Mapping[str, str], body: bytes
) -> ApiException:
    """The exception for a server that answered the upgrade with a plain HTTP status.

    404 gives ``NotFoundException``, 500 ``ServiceException``, and so on as for every other
    call; a 2xx (not a WebSocket at all) gives ``ApiResponseValidationError``.
    """
    text = _bounded(body)
    if 200 <= status <= 299:
        return ApiResponseValidationError(
            status,
            reason,
            body=text,
            headers=headers,
            expected="WebSocket upgrade",
            problem=(
                f"GET {url} answered {status} instead of 101 Switching Protocols; "
                "is the host Pieces OS?"
            ),
        )
    try:  # from_response raises (as in the published SDK); the caller raises it in turn
        ApiException.from_response(
            http_resp=_ErrorResponse(status, reason, headers, text.encode()), body=text, data=None
        )
    except ApiException as error:
        error.method, error.url = "GET", url
        return error


def dropped(url: str, reason: object) -> ApiConnectionError:
    """The exception that ends a stream whose connection broke without a closing handshake."""
    return ApiConnectionError(
        f"GET {url}: the stream was cut off ({reason}); {connection_hint(url)}",
        method="GET",
        url=url,
    )
