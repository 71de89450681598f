"""The words of the SDK's errors: what the server said, on one line; how much of a body an
error shows; where an item sits; what to try when Pieces OS cannot be reached.

:mod:`pieces_os_client.exceptions` re-exports the public ones (``connection_hint``,
``server_text``, ``render_path`` and the constants), where users import them from.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Sequence, Union

__all__ = [
    "CONNECTION_HINT",
    "SERVER_TEXT_CHARS",
    "SHOWN_BODY_CHARS",
    "body_data",
    "connection_hint",
    "render_path",
    "server_text",
    "shown_body",
]

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


def render_path(path_to_item: Optional[Sequence[Union[str, int]]]) -> str:
    """Where an item sits, as the published SDK writes it: ``['iterable'][0]['id']``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in path_to_item or ())


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


def body_data(body: str, headers: Optional[Mapping[str, str]]) -> Any:
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


def shown_body(body: str) -> str:
    """``body`` cut to :data:`SHOWN_BODY_CHARS` characters, saying how many more there were."""
    if len(body) <= SHOWN_BODY_CHARS:
        return body
    return f"{body[:SHOWN_BODY_CHARS]}... ({len(body) - SHOWN_BODY_CHARS} more characters)"
