"""The exit status and the one line on stderr for each error a command can raise."""

from __future__ import annotations

import argparse
import os
from typing import Any, List, Optional

from pieces_os_client.cli.exits import EXIT_API_ERROR, EXIT_USAGE, CommandError, UsageError

_CLI_CONNECTION_HINT = "is Pieces OS running? set PIECES_OS_URL or pass --url URL"
#: Longest server message quoted in an error line.
_MESSAGE_LIMIT = 300
#: Longest "no such model" line: it names candidates or suggestions with their ids.
_LOOKUP_LIMIT = 800


def one_line(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _server_message(error: Any) -> str:
    """What the server said, from a JSON body's usual keys or the plain body."""
    from pieces_os_client.exceptions import server_text

    return server_text(error.data, error.body)


def _connection_cause(error: BaseException) -> str:
    """The root cause of a connection failure in a few words ("Connection refused")."""
    from urllib3.exceptions import ProtocolError

    seen: List[BaseException] = []
    current: Optional[BaseException] = error
    while current is not None and current not in seen:
        seen.append(current)
        if isinstance(current, ProtocolError):
            return "the connection broke before the answer was complete"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        nested = getattr(current, "reason", None)
        current = nested if isinstance(nested, BaseException) else current.__cause__
    return one_line(str(seen[-1]) or type(seen[-1]).__name__, 120)


def _cli_connection_hint(args: argparse.Namespace) -> str:
    """What to try, never what was already done: the address came from --url, from
    PIECES_OS_URL, or from neither."""
    if getattr(args, "url", None):
        return "is Pieces OS running at that address? check --url"
    if os.environ.get("PIECES_OS_URL", "").strip():
        return (
            "is Pieces OS running at that address? it is the one PIECES_OS_URL names: start "
            "Pieces OS there, or change PIECES_OS_URL (or pass --url URL)"
        )
    return _CLI_CONNECTION_HINT


def describe(error: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the one-line message for an error a command raised."""
    if isinstance(error, UsageError):
        return EXIT_USAGE, one_line(str(error))
    if isinstance(error, CommandError):
        return EXIT_API_ERROR, one_line(str(error))
    from pieces_os_client._core.host import redact_url
    from pieces_os_client.discovery import DiscoveryError
    from pieces_os_client.exceptions import (
        ApiConnectionError,
        ApiException,
        ApiResponseValidationError,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        ModelLookupError,
    )

    host = redact_url(getattr(args, "resolved_host", None) or getattr(args, "url", None) or "")
    host = host or "Pieces OS"
    if isinstance(error, DiscoveryError):
        from pieces_os_client.discovery import describe_places

        if error.waited is None:
            within, wait = "", "--wait SECONDS while it starts"
        else:
            within, wait = f" within {error.waited:g} s", "or a longer --wait"
        return EXIT_API_ERROR, (
            f"found no Pieces OS{within} at {describe_places(error.tried)}: start Pieces OS "
            f"(or `pieces-os-models serve` for a local stand-in; {wait}), or pass --url URL"
        )
    if isinstance(error, ApiTimeoutError):
        return EXIT_API_ERROR, (
            f"timed out waiting for {host}: raise --timeout or check that Pieces OS is healthy"
        )
    if isinstance(error, ApiConnectionError):
        return EXIT_API_ERROR, (
            f"cannot reach {host} ({_connection_cause(error)}): {_cli_connection_hint(args)}"
        )
    if isinstance(error, ApiResponseValidationError):
        return EXIT_API_ERROR, (
            f"{error.status} {error.reason}: the answer is not a valid {error.expected}: "
            f"{one_line(error.problem)}"
        )
    if isinstance(error, ApiException):
        from http import HTTPStatus

        reason = error.reason
        status = error.status
        if not reason and status is not None and status in HTTPStatus._value2member_map_:
            reason = HTTPStatus(status).phrase
        message = _server_message(error)
        head = f"{error.status} {reason}".strip()
        return EXIT_API_ERROR, f"{head}: {message}" if message else head
    if isinstance(error, ModelLookupError):  # Pieces OS has no such model: as its 410 was
        return EXIT_API_ERROR, one_line(str(error), _LOOKUP_LIMIT)
    if isinstance(error, (ApiValueError, ApiTypeError)):
        return EXIT_USAGE, one_line(str(error))
    return EXIT_API_ERROR, one_line(f"{type(error).__name__}: {error}")
