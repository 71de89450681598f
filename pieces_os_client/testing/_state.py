"""The in-memory state of a ``LocalPiecesOS``: models, queued faults, request log.

Everything sits behind one lock, so concurrent requests always see (and leave) a
consistent catalogue. The rules of the Models API live here; HTTP lives in ``_http``, the values the state keeps
and sends in ``_state_values``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import threading
import uuid
from collections import deque
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Deque,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
from pieces_os_client.models.model import Model
from pieces_os_client.models.models import Models
from pieces_os_client.models.score import Score
from pieces_os_client.models.seeded_model import SeededModel
from pieces_os_client.testing._catalogue import LLM_USAGES
from pieces_os_client.testing._state_values import (
    DEFAULT_PACE,
    DEFAULT_VERSION,
    REQUEST_LOG_BYTES,
    REQUEST_LOG_LIMIT,
    DownloadScript,
    Fault,
    Follower,
    RecordedRequest,
    RunningDownload,
    Watcher,
    default_installation_path,
    identifiers_message,
    progress_message,
)

if TYPE_CHECKING:
    from pieces_os_client.models.seeded_score_increment import SeededScoreIncrement

__all__ = [
    "DEFAULT_VERSION",
    "REQUEST_LOG_BYTES",
    "REQUEST_LOG_LIMIT",
    "DownloadScript",
    "Fault",
    "Follower",
    "RecordedRequest",
    "State",
    "identifiers_message",
]


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
        self._downloads: Dict[str, RunningDownload] = {}
        self._scripts: Dict[str, DownloadScript] = {}
        self._followers: Dict[str, List[Follower]] = {}
        self._pace = DEFAULT_PACE
        self._ticker: Optional[threading.Thread] = None
        self._closed = threading.Event()
        #: What the well-known endpoints answer (``LocalPiecesOS.version`` and so on).
        self.version = DEFAULT_VERSION
        self.installation_path = default_installation_path()
        self._health = "ok"
        self._health_followers: List[Follower] = []
        self.reset()

    def reset(self) -> None:
        with self._changing():
            # Running downloads end first: ending one marks its model not downloaded, which
            # must not outlast the reset to the seeded catalogue.
            for model_id in list(self._downloads):
                self._end_download(model_id, "RESET", None)
            self._models = {m.id: m.model_copy(deep=True) for m in self._seed}
            self._scripts.clear()
            self._pace = DEFAULT_PACE
            self._faults.clear()
            self._log.clear()
            self._log_bytes = 0
            if self._health != "ok":  # a test's set_health() does not outlive reset()
                self._health = "ok"
                for follower in self._health_followers:
                    follower.send(b"ok")

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

    def follow_health(self, follower: Follower) -> Callable[[], None]:
        """Send ``follower`` the health status now, then each one :meth:`set_health` sends."""
        with self._lock:
            follower.send(self._health.encode())
            self._health_followers.append(follower)

        def unfollow() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._health_followers.remove(follower)

        return unfollow

    @property
    def health(self) -> str:
        with self._lock:
            return self._health

    def set_health(self, status: str) -> int:
        """Answer ``status`` to health checks from now on and send it on every health stream;
        how many streams it was sent on."""
        with self._lock:
            self._health = status
            for follower in self._health_followers:
                follower.send(status.encode())
            return len(self._health_followers)

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

    # --- the Model API -----------------------------------------------------------------------
    def model_json(self, model_id: str) -> Optional[bytes]:
        with self._lock:
            model = self._models.get(model_id)
            return None if model is None else model.to_json().encode()

    def set_pace(self, interval: float, step: float) -> None:
        with self._lock:
            self._pace = (interval, step)

    def deny(self, model_id: str, denied: bool) -> bool:
        """Mark a model ``denied`` (or not); False for an unknown id."""
        with self._changing():
            if model_id not in self._models:
                return False
            self._set(model_id, denied=denied)
            return True

    def script(self, model_id: str, script: DownloadScript) -> None:
        with self._lock:
            self._scripts[model_id] = script

    def download(self, model_id: str) -> Union[Model, str, None]:
        """Start downloading a model (or follow the one running); None for an unknown id,
        the reason when it was refused."""
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return None
            if model.cloud:
                return f"model {model_id!r} ({model.name}) runs in the cloud; there is nothing to download"
            if model.denied:
                return f"model {model_id!r} ({model.name}) is denied by your organization"
            if model.downloaded or model_id in self._downloads:
                return model.model_copy(deep=True)
            script = self._scripts.pop(model_id, DownloadScript())
            if script.instant:  # done before any progress message could be sent
                return self._set(model_id, downloaded=True, downloading=False)
            self._downloads[model_id] = RunningDownload(0.0, script)
            self._tell(model_id, progress_message("INITIALIZED", 0.0))
            self._start_ticker()
            return self._set(model_id, downloading=True)

    def cancel_download(self, model_id: str) -> Optional[Model]:
        with self._changing():
            if model_id not in self._models:
                return None
            if model_id in self._downloads:
                self._end_download(model_id, "CANCELED", None)
            return self._models[model_id].model_copy(deep=True)

    def follow_download(self, model_id: str, follower: Follower) -> Callable[[], None]:
        """Send ``follower`` where a running download stands now, then each step of it."""
        with self._lock:
            running = self._downloads.get(model_id)
            if running is not None:
                follower.send(progress_message("IN-PROGRESS", running.percentage))
            self._followers.setdefault(model_id, []).append(follower)

        def unfollow() -> None:
            with self._lock, contextlib.suppress(ValueError, KeyError):
                self._followers[model_id].remove(follower)

        return unfollow

    def load(self, model_id: str) -> Union[Model, str, None]:
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return None
            if model.cloud:
                return f"model {model_id!r} ({model.name}) runs in the cloud; it is never loaded"
            if not model.downloaded:
                return (
                    f"model {model_id!r} ({model.name}) is not downloaded; "
                    "download it first (POST /model/{model}/download)"
                )
            return self._set(model_id, loaded=True)

    def unload_one(self, model_id: str) -> Optional[Model]:
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return None
            if not model.loaded:
                return model.model_copy(deep=True)
            return self._set(model_id, loaded=False)

    def update(self, model: Model) -> Union[Model, str, None]:
        with self._changing():
            current = self._models.get(model.id)
            if current is None:
                return None
            if not current.custom:
                return (
                    f"model {model.id!r} ({current.name}) is built in; only custom models "
                    "(custom: true) can be updated"
                )
            # The server keeps what it owns: the model stays custom, with its creation time.
            updated = model.model_copy(update={"custom": True, "created": current.created})
            self._models[model.id] = updated
            return updated.model_copy(deep=True)

    def increment_scores(
        self, model_id: str, increment: Optional[SeededScoreIncrement]
    ) -> Optional[str]:
        """Raise the counters the increment names; ``"unknown"`` for an unknown id."""
        with self._changing():
            model = self._models.get(model_id)
            if model is None:
                return "unknown"
            seeded = increment.model if increment is not None else None
            if seeded is None:
                return None
            score = model.score or Score(manual=0, automatic=0)
            counts = {
                name: (getattr(score, name) or 0) + 1
                for name in ("priority", "reference", "reuse", "searched", "update")
                if getattr(seeded, name)
            }
            if counts:
                counts["automatic"] = score.automatic + 1
                self._set(model_id, score=score.model_copy(update=counts))
            return None

    # --- downloads over time (the ticker thread) ---------------------------------------------
    def close(self) -> None:
        """Stop the ticker (the server stops)."""
        self._closed.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join(5.0)

    def _set(self, model_id: str, **changes: Any) -> Model:
        updated = self._models[model_id].model_copy(update=changes)
        self._models[model_id] = updated
        return updated.model_copy(deep=True)

    def _tell(self, model_id: str, message: bytes) -> None:
        for follower in self._followers.get(model_id, ()):
            follower.send(message)

    def _end_download(self, model_id: str, status: str, percentage: Optional[float]) -> None:
        self._downloads.pop(model_id, None)
        self._tell(model_id, progress_message(status, percentage))
        if model_id in self._models:
            self._set(model_id, downloading=False, downloaded=status == "COMPLETED")

    def _start_ticker(self) -> None:
        if self._ticker is None or not self._ticker.is_alive():
            self._ticker = threading.Thread(
                target=self._tick_until_idle, name="LocalPiecesOS downloads", daemon=True
            )
            self._ticker.start()

    def _tick_until_idle(self) -> None:
        while not self._closed.wait(self._pace[0]):
            with self._changing():
                for model_id in list(self._downloads):
                    self._step(model_id, self._downloads[model_id])
                if not self._downloads:
                    self._ticker = None
                    return

    def _step(self, model_id: str, running: RunningDownload) -> None:
        script = running.script
        before = running.percentage
        after = min(100.0, before + self._pace[1])
        if script.stall_at is not None and after >= script.stall_at:
            running.percentage = script.stall_at  # stuck: no more messages
            return
        if script.fail_at is not None and after >= script.fail_at:
            self._end_download(model_id, "FAILED", script.fail_at)
            return
        running.percentage = after
        if after >= 100.0:
            self._end_download(model_id, "COMPLETED", 100.0)
            return
        if script.drop_at is not None and after >= script.drop_at and not running.dropped:
            running.dropped = True
            for follower in self._followers.get(model_id, ()):
                follower.cut()
            return
        self._tell(model_id, progress_message("IN-PROGRESS", after))
