"""Downloads that advance over time in a ``LocalPiecesOS``: started, followed, cancelled,
scripted to fail, stall or drop their streams, stepped by one ticker thread.

The steps change the models under :class:`~._model_store.ModelStore`'s lock, so watchers and
the progress streams' followers see each step in order.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Dict, List, Optional, Sequence, Union

from pieces_os_client.models.model import Model
from pieces_os_client.testing._model_store import ModelStore
from pieces_os_client.testing._state_values import (
    DEFAULT_PACE,
    DownloadScript,
    Follower,
    RunningDownload,
    progress_message,
)

__all__ = ["DownloadSimulation"]


class DownloadSimulation(ModelStore):
    """The models, and the downloads running on them."""

    def __init__(self, catalogue: Sequence[Model]) -> None:
        super().__init__(catalogue)
        self._downloads: Dict[str, RunningDownload] = {}
        self._scripts: Dict[str, DownloadScript] = {}
        self._followers: Dict[str, List[Follower]] = {}
        self._pace = DEFAULT_PACE
        self._ticker: Optional[threading.Thread] = None
        self._closed = threading.Event()

    def _reset_downloads(self) -> None:
        """End every running download, forget the scripts and the pace (under the lock)."""
        for model_id in list(self._downloads):
            self._end_download(model_id, "RESET", None)
        self._scripts.clear()
        self._pace = DEFAULT_PACE

    def set_pace(self, interval: float, step: float) -> None:
        with self._lock:
            self._pace = (interval, step)

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

    # --- downloads over time (the ticker thread) ---------------------------------------------
    def close(self) -> None:
        """Stop the ticker (the server stops)."""
        self._closed.set()
        ticker = self._ticker
        if ticker is not None:
            ticker.join(5.0)

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
