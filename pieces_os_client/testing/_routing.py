"""Routing by the operations table: which operation a request is for, its path parameters,
404 (listing every endpoint), 405 and 426 answers."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Pattern, Tuple
from urllib.parse import unquote

from pieces_os_client._core.operations import OPERATIONS, Operation
from pieces_os_client.testing._handlers import HANDLERS, Call, parse_body
from pieces_os_client.testing._reply import HttpReply, Rejected, error_reply
from pieces_os_client.testing._state import State


def pattern(path: str) -> Pattern[str]:
    """``/models/{model}/delete`` -> a regex whose group ``model`` is one path segment."""
    parts = re.split(r"{(\w+)}", path)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


ROUTES: List[Tuple[Pattern[str], Operation[Any]]] = [(pattern(op.path), op) for op in OPERATIONS]
#: Every endpoint, as the 404 answer lists them.
ENDPOINTS = tuple(
    f"{op.method} {op.path}{' (WebSocket)' if op.stream else ''}" for op in OPERATIONS
)


def find(method: str, path: str) -> Tuple[Optional[Operation[Any]], Dict[str, str], List[str]]:
    """The operation at ``method path``, its path parameters, and the methods the path takes."""
    allowed: List[str] = []
    for pattern, op in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if method in (op.method, "HEAD" if op.method == "GET" else op.method):
            return op, {k: unquote(v) for k, v in match.groupdict().items()}, allowed
        allowed.append(op.method)
    return None, {}, allowed


def stream_at(
    method: str, target: str, upgrade: Optional[str]
) -> Optional[Tuple[Operation[Any], Dict[str, str]]]:
    """The stream operation a WebSocket opening request is for (websockets checks the rest)."""
    if upgrade is None or "websocket" not in (t.strip().lower() for t in upgrade.split(",")):
        return None
    if method != "GET":
        return None
    op, params, _ = find(method, target.split("?", 1)[0])
    return (op, params) if op is not None and op.stream else None


def route(
    state: State, method: str, target: str, content_type: Optional[str], body: bytes
) -> HttpReply:
    path = target.split("?", 1)[0]
    op, params, allowed = find(method, path)
    if op is None and allowed:
        allow(method, allowed[0])
    if op is None:
        return error_reply(
            404, f"no endpoint at {method} {path}; LocalPiecesOS has: {', '.join(ENDPOINTS)}"
        )
    if op.stream:
        answer = error_reply(
            426,
            f"{op.method} {op.path} is a WebSocket: connect with a WebSocket client "
            "(ws:// or wss:// URL), not a plain HTTP request",
        )
        answer.headers["Upgrade"] = "websocket"
        return answer
    model_class = op.body_model
    parsed = None if model_class is None else parse_body(model_class, content_type, body)
    return HANDLERS[op.name](Call(state, params, parsed))


def allow(method: str, allowed: str) -> None:
    if method not in (allowed, "HEAD" if allowed == "GET" else allowed):
        answer = error_reply(405, f"use {allowed} here, not {method}")
        answer.headers["Allow"] = allowed
        raise Rejected(answer)
