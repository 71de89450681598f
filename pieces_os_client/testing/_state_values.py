"""What ``LocalPiecesOS``'s state keeps and sends: recorded requests, queued faults, download
scripts, the stream messages (``StreamedIdentifiers``, ``ModelDownloadProgress``) and what the
well-known endpoints answer by default. Plain values, no lock: :mod:`._state` owns those."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from typing_extensions import Protocol

#: How many requests ``LocalPiecesOS.requests`` keeps (the oldest are dropped first).
REQUEST_LOG_LIMIT = 10_000
#: How many bytes of requests (bodies, header names and values) it keeps at most.
REQUEST_LOG_BYTES = 64 * 1024 * 1024

_JSON = "application/json"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it.

    ``path`` is the request target as sent (percent-encoded, query included); ``headers``
    keeps the names as sent (use :meth:`header` for a case-insensitive look-up).

    Example::

        >>> from pieces_os_client.testing import RecordedRequest
        >>> r = RecordedRequest("POST", "/models/create", {"Content-Type": "application/json"}, b"{}")
        >>> r.header("content-type"), r.json()
        ('application/json', {})
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The value of header ``name`` (any case), or ``default``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None

    def _size(self) -> int:
        headers = sum(len(name) + len(value) for name, value in self.headers.items())
        return len(self.method) + len(self.path) + headers + len(self.body)


@dataclass
class Fault:
    kind: str  # "fail", "delay" or "drop"
    remaining: int
    path: Optional[str]
    status: int = 503
    retry_after: Optional[str] = None
    body: Optional[bytes] = None
    content_type: str = _JSON
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


def identifiers_message(changed: Iterable[str], deleted: Iterable[str] = ()) -> bytes:
    """A ``StreamedIdentifiers`` message naming ``changed`` models and ``deleted`` ones."""
    items: List[Dict[str, Any]] = [{"model": {"id": model_id}} for model_id in changed]
    items += [{"model": {"id": model_id}, "deleted": True} for model_id in deleted]
    return json.dumps({"iterable": items}, separators=(",", ":")).encode()


#: Takes one message for a stream subscriber; must not block (it runs under the state lock).
Watcher = Callable[[bytes], None]


class Follower(Protocol):
    """One open progress stream, as the state drives it (``_stream.Subscriber``)."""

    def send(self, message: bytes) -> None: ...

    def cut(self) -> None: ...


@dataclass
class DownloadScript:
    """How one model's next download goes (``LocalPiecesOS.script_download``)."""

    fail_at: Optional[float] = None
    stall_at: Optional[float] = None
    drop_at: Optional[float] = None
    instant: bool = False


@dataclass
class RunningDownload:
    """A running download: how far it is and who follows it."""

    percentage: float
    script: DownloadScript
    dropped: bool = False


def progress_message(status: str, percentage: Optional[float]) -> bytes:
    """A ``ModelDownloadProgress`` message."""
    message: Dict[str, Any] = {"status": status}
    if percentage is not None:
        message["percentage"] = round(percentage, 2)
    return json.dumps(message, separators=(",", ":")).encode()


#: What ``GET /.well-known/version`` answers unless a test sets another (a current release).
DEFAULT_VERSION = "12.0.0"


def default_installation_path() -> str:
    """Where Pieces OS installs itself on this kind of machine (what
    ``GET /.well-known/installation/path`` answers unless a test sets another)."""
    if sys.platform == "darwin":
        return "/Applications/Pieces OS.app"
    if sys.platform.startswith("win"):
        return "C:\\Program Files\\Pieces OS"
    return "/snap/pieces-os/current"


def check_text(name: str, value: Any) -> str:
    """``value`` if it is one line of text (what a well-known endpoint answers), else the
    error saying so."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip() or "\n" in value or "\r" in value:
        raise ValueError(f"{name} must be one non-empty line of text, not {value!r}")
    return value


#: Seconds between two steps of every running download, and percent per step (a download
#: takes two seconds unless a test sets another pace).
DEFAULT_PACE = (0.1, 5.0)
