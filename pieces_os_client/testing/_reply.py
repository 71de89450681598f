"""What ``LocalPiecesOS`` sends for a request: :class:`HttpReply` (status, headers, body),
the error shape Pieces OS uses (one ``text/plain`` line), and :class:`Rejected` to refuse a
request before anything changes."""

from __future__ import annotations

import http
from dataclasses import dataclass, field
from typing import Dict

from pieces_os_client.models._base import WireModel

JSON = "application/json"


@dataclass
class HttpReply:
    """One HTTP answer before framing: status, body, its media type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: Dict[str, str] = field(default_factory=dict)


#: The media type of every error answer, as Pieces OS sends them.
TEXT = "text/plain; charset=utf-8"
#: The longest error message sent (a message quoting a huge request stays readable).
MAX_ERROR_CHARS = 1000


def error_reply(status: int, message: str) -> HttpReply:
    """An error answer as Pieces OS sends them: ``text/plain``, one line saying what went wrong."""
    line = " ".join(message.split())
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 3] + "..."
    return HttpReply(status, line.encode(), TEXT)


def ok_reply(model: WireModel) -> HttpReply:
    return HttpReply(200, model.to_json().encode())


def text_reply(text: str) -> HttpReply:
    """A 200 ``text/plain`` answer (the well-known endpoints)."""
    return HttpReply(200, text.encode(), TEXT)


class Rejected(Exception):
    """A request refused before anything changed; carries the answer to send."""

    def __init__(self, answer: HttpReply) -> None:
        super().__init__(answer.status)
        self.answer = answer


def reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"
