"""The models of a ``LocalPiecesOS`` behind one lock, and the watchers told of each change.

Watchers (the stream's subscribers) get every model id when they start watching, then one
message per change, computed and queued under the same lock as the change itself: every
watcher sees the changes in the order they happened, and none is missed or seen twice around
the moment it starts watching. What the models may do is the business of the classes built
on this one: :class:`~._download_sim.DownloadSimulation` and :class:`~._state.State`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from pieces_os_client.models.model import Model
from pieces_os_client.models.models import Models
from pieces_os_client.testing._state_values import Watcher, identifiers_message

__all__ = ["ModelStore"]


class ModelStore:
    """The seeded catalogue, the current models and their watchers, behind one lock."""

    def __init__(self, catalogue: Sequence[Model]) -> None:
        self._lock = threading.Lock()
        self._seed = [model.model_copy(deep=True) for model in catalogue]
        self._models: Dict[str, Model] = {}
        self._watchers: List[Watcher] = []

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

    def models(self) -> List[Model]:
        with self._lock:
            return [m.model_copy(deep=True) for m in self._models.values()]

    def snapshot_json(self) -> bytes:
        with self._lock:
            return Models(iterable=list(self._models.values())).to_json().encode()

    def model_json(self, model_id: str) -> Optional[bytes]:
        with self._lock:
            model = self._models.get(model_id)
            return None if model is None else model.to_json().encode()

    def _set(self, model_id: str, **changes: Any) -> Model:
        updated = self._models[model_id].model_copy(update=changes)
        self._models[model_id] = updated
        return updated.model_copy(deep=True)
