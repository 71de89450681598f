"""What the download machine and its front ends exchange: the steps
:class:`~pieces_os_client._core.downloads.Download` asks for (:class:`DownloadStep`, the
operation each one performs) and the :class:`DownloadEvent` s it hands up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from pieces_os_client.models.model_download_progress import ModelDownloadProgress
from pieces_os_client.models.model_download_progress_status_enum import (
    ModelDownloadProgressStatusEnum,
)

__all__ = [
    "CALLS",
    "CANCEL",
    "EMIT",
    "ENDINGS",
    "GET",
    "LOAD",
    "PROGRESS",
    "RESOLVE",
    "START",
    "DownloadEvent",
    "DownloadStep",
]

_Status = ModelDownloadProgressStatusEnum
#: The statuses that end a download.
ENDINGS = frozenset({_Status.COMPLETED, _Status.FAILED, _Status.CANCELED})

# The steps beyond the watcher's (CONNECT, RECEIVE, DISCONNECT, SLEEP).
GET, START, CANCEL, LOAD, EMIT = "get", "start", "cancel", "load", "emit"
#: Read the snapshot the model's name is looked up in (``Download(resolve=True)``).
RESOLVE = "resolve"

#: The operation (of :mod:`~pieces_os_client._core.operations`) each HTTP step performs ...
CALLS = {
    GET: "models_specific_model_snapshot",
    START: "model_specific_model_download",
    CANCEL: "model_specific_model_download_cancel",
    LOAD: "model_specific_model_load",
    RESOLVE: "models_snapshot",
}
#: ... and the stream ``CONNECT`` opens.
PROGRESS = "model_specific_model_download_progress"


@dataclass(frozen=True)
class DownloadEvent:
    """Where a followed download stands: what ``on_progress`` gets, and what
    ``download_events()`` yields.

    ``status`` is the latest message's (``COMPLETED`` once done, also when the completion
    was seen in the model's flags); ``percentage`` (0 to 100) never goes backwards; ``eta``
    is the seconds left at the observed rate (None until the rate is known); ``elapsed`` the
    seconds since ``download()`` started; ``progress`` the message itself (None for an event
    the client made, such as a completion seen in the model's flags).

    Where Pieces OS gives the model's size (``Model.bytes``): ``total_bytes`` is that size,
    ``done_bytes`` the part the percentage stands for, and ``speed`` the smoothed rate in
    bytes per second (None until the rate is known, like ``eta``). All three are None for a
    model of unknown size. ``model_name`` is the model's name once it was read (None before,
    or when Pieces OS gives none).

    Example::

        >>> from pieces_os_client import DownloadEvent, ModelDownloadProgressStatusEnum
        >>> event = DownloadEvent("m1", ModelDownloadProgressStatusEnum.COMPLETED, 100.0,
        ...                       0.0, 12.5, None)
        >>> event.done, f"{event.percentage:.0f}%"
        (True, '100%')
        >>> running = DownloadEvent("m1", ModelDownloadProgressStatusEnum("IN-PROGRESS"), 25.0,
        ...                         6.0, 2.0, None, done_bytes=1_100_000_000,
        ...                         total_bytes=4_400_000_000, speed=45_000_000.0)
        >>> str(running)
        'm1: IN-PROGRESS 25.0%, 1.1 GB / 4.4 GB, 45 MB/s, 6 s left'
    """

    model_id: str
    status: ModelDownloadProgressStatusEnum
    percentage: float
    eta: Optional[float]
    elapsed: float
    progress: Optional[ModelDownloadProgress]
    done_bytes: Optional[int] = None
    total_bytes: Optional[int] = None
    speed: Optional[float] = None
    model_name: Optional[str] = None

    @property
    def done(self) -> bool:
        """True for the last event of a download: ``COMPLETED``, ``FAILED`` or ``CANCELED``."""
        return self.status in ENDINGS

    def __str__(self) -> str:
        from pieces_os_client._display.progress_text import size_text, speed_text

        parts = [f"{self.model_id}: {self.status.value} {self.percentage:.1f}%"]
        if self.done_bytes is not None and self.total_bytes is not None:
            parts.append(f"{size_text(self.done_bytes)} / {size_text(self.total_bytes)}")
        if self.speed is not None and not self.done:
            parts.append(speed_text(self.speed))
        if self.eta is not None:
            parts.append(f"{self.eta:.0f} s left")
        return ", ".join(parts)


@dataclass(frozen=True)
class DownloadStep:
    """One piece of I/O :class:`Download` asks its front end for.

    ``CONNECT``: open the progress stream. ``RECEIVE``: its next ``ModelDownloadProgress``
    within ``timeout`` seconds, or ``TIMED_OUT``; an ended stream raises
    ``ApiConnectionError``. ``GET`` / ``START`` / ``CANCEL`` / ``LOAD``: the model's
    ``models_specific_model_snapshot`` / ``model_specific_model_download`` /
    ``..._download_cancel`` / ``model_specific_model_load``, answering with the ``Model``.
    ``RESOLVE``: ``models_snapshot``, answering with the ``Models`` the model is looked up in.
    ``DISCONNECT``: close the stream (never raises). ``SLEEP``: wait ``timeout`` seconds.
    ``EMIT``: hand ``event`` to the caller (``on_progress``, or the iterator's next item).
    """

    kind: str
    timeout: Optional[float] = None
    event: Optional[DownloadEvent] = None
