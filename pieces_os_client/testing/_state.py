"""The in-memory state of a ``LocalPiecesOS``: models, queued faults, request log.

Everything sits behind one lock, so concurrent requests always see (and leave) a
consistent catalogue. The rules of the Models API live here; HTTP lives in ``_http``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
from pieces_os_client.models.model import Model
from pieces_os_client.models.models import Models
from pieces_os_client.models.seeded_model import SeededModel
from pieces_os_client.testing._catalogue import LLM_USAGES

__all__ = [
    "REQUEST_LOG_BYTES",
    "REQUEST_LOG_LIMIT",
    "Fault",
    "RecordedRequest",
    "State",
    "identifiers_message",
]

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


class State:
    """The catalogue, the faults and the request log, all behind one lock.

    Watchers (the stream's subscribers) get every model id when they start watching, then
    one message per change, computed and queued under the same lock as the change itself:
    every watcher sees the changes in the order they happened, and none is missed or seen
    twice around the moment it starts watching.
    """

    def __init__(self, catalogue: Sequence[Model]) -> None:
        self._lock = threading.Lock()
        self._seed = [model.model_copy(deep=True) for model in catalogue]
        self._models: Dict[str, Model] = {}
        self._faults: List[Fault] = []
        self._log: Deque[RecordedRequest] = deque()
        self._log_bytes = 0
        self._watchers: List[Watcher] = []
        self.reset()

    def reset(self) -> None:
        with self._changing():
            self._models = {m.id: m.model_copy(deep=True) for m in self._seed}
            self._faults.clear()
            self._log.clear()
            self._log_bytes = 0

    # --- stream subscribers ------------------------------------------------------------------
    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Send ``watcher`` every model id now, then each change; returns the undo."""
        with self._lock:
            watcher(identifiers_message(self._models))
            self._watchers.append(watcher)

        def unwatch() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._watchers.remove(watcher)

        return unwatch

    @contextlib.contextmanager
    def _changing(self) -> Iterator[None]:
        """Hold the lock while the body changes models, then tell watchers what changed:
        the models added or changed, and the ones removed (``deleted: true``)."""
        with self._lock:
            before = dict(self._models)
            yield
            if not self._watchers:
                return
            changed = [i for i, model in self._models.items() if before.get(i) != model]
            deleted = [i for i in before if i not in self._models]
            if changed or deleted:
                message = identifiers_message(changed, deleted)
                for watcher in self._watchers:
                    watcher(message)

    # --- log and faults --------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)
            self._log_bytes += request._size()
            # The oldest go first, keeping the newest one even when it alone is over.
            while len(self._log) > 1 and (
                len(self._log) > REQUEST_LOG_LIMIT or self._log_bytes > REQUEST_LOG_BYTES
            ):
                self._log_bytes -= self._log.popleft()._size()

    def requests(self) -> List[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_faults(self, path: str) -> Tuple[Optional[Fault], Optional[Fault]]:
        """Consume the first matching delay and the first matching fail/drop, if any."""
        delay: Optional[Fault] = None
        outcome: Optional[Fault] = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path):
                    continue
                if fault.kind == "delay" and delay is None:
                    delay = fault
                elif fault.kind != "delay" and outcome is None:
                    outcome = fault
            for taken in (delay, outcome):
                if taken is not None:
                    taken.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
        return delay, outcome

    # --- the Models API ----------------------------------------------------------------------
    def models(self) -> List[Model]:
        with self._lock:
            return [m.model_copy(deep=True) for m in self._models.values()]

    def snapshot_json(self) -> bytes:
        with self._lock:
            return Models(iterable=list(self._models.values())).to_json().encode()

    def create(self, seed: SeededModel) -> Model:
        with self._changing():
            existing = self._find_duplicate(seed)
            if existing is not None:
                return existing.model_copy(deep=True)
            data = json.loads(seed.to_json())
            now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
            data["id"] = str(uuid.uuid4())
            data["custom"] = True
            data["created"] = GroupedTimestamp(
                value=now, readable=now.strftime("%Y-%m-%d %H:%M UTC")
            ).to_dict()
            model = Model.model_validate(data)
            self._models[model.id] = model
            return model.model_copy(deep=True)

    def _find_duplicate(self, seed: SeededModel) -> Optional[Model]:
        # Duplicate: the same `unique` when the seed has one, else the same name and version.
        for model in self._models.values():
            if seed.unique is not None:
                if model.unique == seed.unique:
                    return model
            elif model.name == seed.name and model.version == seed.version:
                return model
        return None

    def delete(self, model_id: str) -> Optional[str]:
        """Delete a custom model; the reason it was refused otherwise."""
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return f"no model with id {model_id!r}"
            if not model.custom:
                return (
                    f"model {model_id!r} ({model.name}) is built in; only custom models "
                    "(registered through POST /models/create) can be deleted"
                )
            del self._models[model_id]
            return None

    def delete_cache(self, model_id: str) -> Union[Model, str]:
        """Clear a local LLM's download; the reason it was refused otherwise."""
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return f"no model with id {model_id!r}"
            if model.usage.value not in LLM_USAGES:
                return (
                    f"model {model_id!r} ({model.name}) is not an LLM (usage {model.usage.value}); "
                    "only LLM caches can be deleted"
                )
            if model.cloud:
                return f"model {model_id!r} ({model.name}) runs in the cloud and has no local cache"
            # Without its files a model cannot stay in memory either.
            updated = model.model_copy(update={"downloaded": False, "loaded": False})
            self._models[model_id] = updated
            return updated.model_copy(deep=True)

    def unload(self) -> None:
        with self._changing():
            # Only models in memory change: a cloud model's `loaded` stays unset.
            for model_id, model in self._models.items():
                if model.loaded:
                    self._models[model_id] = model.model_copy(update={"loaded": False})
