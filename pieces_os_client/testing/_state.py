"""The in-memory state of a ``LocalPiecesOS``: models, queued faults, request log.

Everything sits behind one lock, so concurrent requests always see (and leave) a
consistent catalogue. The rules of the Models and Model APIs live here; the models and their
watchers in ``_model_store``, downloads over time in ``_download_sim``, HTTP in ``_http``, the
values the state keeps and sends in ``_state_values``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import uuid
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, List, Optional, Sequence, Tuple, Union

from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
from pieces_os_client.models.model import Model
from pieces_os_client.models.score import Score
from pieces_os_client.models.seeded_model import SeededModel
from pieces_os_client.testing._catalogue import LLM_USAGES
from pieces_os_client.testing._download_sim import DownloadSimulation
from pieces_os_client.testing._state_values import (
    DEFAULT_VERSION,
    REQUEST_LOG_BYTES,
    REQUEST_LOG_LIMIT,
    DownloadScript,
    Fault,
    Follower,
    RecordedRequest,
    default_installation_path,
    identifiers_message,
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


class State(DownloadSimulation):
    """The catalogue, the downloads, the faults and the request log, all behind one lock.

    The models, their watchers and the lock come from
    :class:`~pieces_os_client.testing._model_store.ModelStore`, the downloads over time from
    :class:`~pieces_os_client.testing._download_sim.DownloadSimulation`.
    """

    def __init__(self, catalogue: Sequence[Model]) -> None:
        super().__init__(catalogue)
        self._faults: List[Fault] = []
        self._log: Deque[RecordedRequest] = deque()
        self._log_bytes = 0
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
            self._reset_downloads()
            self._models = {m.id: m.model_copy(deep=True) for m in self._seed}
            self._faults.clear()
            self._log.clear()
            self._log_bytes = 0
            if self._health != "ok":  # a test's set_health() does not outlive reset()
                self._health = "ok"
                for follower in self._health_followers:
                    follower.send(b"ok")

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

    # --- the Model API (downloads: DownloadSimulation) ----------------------------------------
    def deny(self, model_id: str, denied: bool) -> bool:
        """Mark a model ``denied`` (or not); False for an unknown id."""
        with self._changing():
            if model_id not in self._models:
                return False
            self._set(model_id, denied=denied)
            return True

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
