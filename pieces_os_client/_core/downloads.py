"""Following one model's download to its end, transport-free.

``ModelApi.download()`` / ``download_events()`` (sync, :mod:`pieces_os_client.api._extras`)
and their async twins (:mod:`pieces_os_client.aio._extras`) drive :class:`Download`, a
generator of the I/O :class:`DownloadStep` s it needs: open the progress stream, read the
model, start, cancel or load the download, receive a message, sleep, and hand an event up.
The front ends only perform the steps; every decision is here:

- the progress stream is open before the download starts, so no message is missed; a model
  already downloaded is not downloaded again, and a download already running is followed;
- each message becomes a :class:`DownloadEvent` whose percentage never goes backwards and
  whose ETA comes from the observed rate (:class:`RateEstimate`); where the model's size is
  known (``Model.bytes``) it also carries the bytes done, the total and the speed (bytes/s),
  from the same smoothed rate;
- ``COMPLETED`` ends it (with the fresh model, loaded if asked), ``FAILED`` / ``CANCELED``
  raise; silence is checked against the model's flags, which also catch a download that
  finished before any message; a dropped stream is reopened (with the watcher's
  :class:`~pieces_os_client._core.watch.Reconnects`);
- stopping early for any reason (an error, ``KeyboardInterrupt``, a cancelled task) asks
  Pieces OS to cancel the download it started or followed, then re-raises.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Callable, Generator, Optional, Tuple

from pieces_os_client._core.download_arguments import check_download_arguments
from pieces_os_client._core.download_rate import RateEstimate
from pieces_os_client._core.download_steps import (
    CANCEL,
    EMIT,
    ENDINGS,
    GET,
    LOAD,
    RESOLVE,
    START,
    DownloadEvent,
    DownloadStep,
)
from pieces_os_client._core.watch import (
    CONNECT,
    DISCONNECT,
    RECEIVE,
    SLEEP,
    TIMED_OUT,
    Reconnects,
    worth_reconnecting,
)
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ModelDownloadCanceled,
    ModelDownloadDenied,
    ModelDownloadError,
    ModelDownloadFailed,
    ModelDownloadStalled,
)
from pieces_os_client.models.model import Model
from pieces_os_client.models.model_download_progress import ModelDownloadProgress
from pieces_os_client.models.model_download_progress_status_enum import (
    ModelDownloadProgressStatusEnum,
)

__all__ = [
    "Download",
    "DownloadEvent",
    "DownloadStep",
    "RateEstimate",
    "check_download_arguments",
]

_Status = ModelDownloadProgressStatusEnum

#: Seconds without a message after which the model's flags are read (a download that ends
#: without a message is seen this soon); never longer than ``stall_timeout``.
FLAG_CHECK = 1.0


class Download:
    """One model's download, followed to its end, as a generator of :class:`DownloadStep` s.

    :meth:`run` yields the I/O it needs and returns the fresh ``Model``. A front end
    performs each step and sends the result back, or throws in what the step raised (any
    exception, ``KeyboardInterrupt`` and ``asyncio.CancelledError`` included: the machine
    then cancels the download it started or followed, and re-raises). Closing the generator
    (``GeneratorExit``) stops following without cancelling; the front end then closes the
    stream itself.

    ``timeout`` counts from when the machine is made; ``retries`` is
    ``Configuration.retries`` (how often a dropped stream is reopened in a row). With
    ``resolve``, ``model_id`` is what a person calls the model: the first step reads the
    snapshot and :func:`~pieces_os_client.resolve_model` picks the model (a ``denied`` one
    is refused there, before anything else is sent); ``model_id`` is its id from then on.
    """

    def __init__(
        self,
        model_id: str,
        *,
        stall_timeout: float = 60.0,
        timeout: Optional[float] = None,
        load: bool = False,
        retries: Any = 0,
        clock: Callable[[], float] = time.monotonic,
        resolve: bool = False,
    ) -> None:
        self.model_id = model_id
        self.resolve = resolve
        self.stall_timeout = float(stall_timeout)
        self.timeout = None if timeout is None else float(timeout)
        self.load = load
        self.reconnects = Reconnects(retries)
        self._clock = clock
        self.started = clock()
        self._deadline = None if self.timeout is None else self.started + self.timeout
        #: The last event handed up (None before the first).
        self.event: Optional[DownloadEvent] = None
        #: The fresh model once the download is complete (before it is loaded).
        self.model: Optional[Model] = None
        self.percentage = 0.0
        self.rate = RateEstimate()
        #: Stopped early: True once Pieces OS answered the cancel this machine sent, False
        #: while it has not (or when it failed); None when no cancel was needed.
        self.canceled: Optional[bool] = None
        #: The model's size in bytes (``Model.bytes``) and name, once read; None when unknown.
        self.total_bytes: Optional[int] = None
        self.model_name: Optional[str] = None
        self._flags: Optional[Tuple[Optional[bool], Optional[bool]]] = None
        # True while a download runs that we started or follow: stopping early cancels it.
        self._following = False
        self._connected = False
        # When the download last showed life (a message, a change of flags, a connection),
        # and when the flags were last read.
        self._alive = self.started
        self._checked = self.started

    # --- the whole download -------------------------------------------------------------------
    def run(self) -> Generator[DownloadStep, Any, Model]:
        """The whole download: yields each step, returns the model (loaded if asked)."""
        try:
            if self.resolve:
                yield from self._resolve()
            yield from self._connect()
            model: Model = yield DownloadStep(GET)
            self._seen(model)
            if not model.downloaded:
                if model.downloading:  # running already: follow it, start none
                    self._following = True
                else:
                    model = yield from self._start()
            if model.downloaded:  # before we started, or before any message
                return (yield from self._finish(model, None))
            done, progress = yield from self._follow()
            return (yield from self._finish(done, progress))
        except GeneratorExit:
            raise
        except BaseException:
            yield from self._stop()
            raise

    def _resolve(self) -> Generator[DownloadStep, Any, None]:
        """The model by what the caller called it; a ``denied`` one goes no further."""
        from pieces_os_client._core.resolve import resolve_model

        snapshot = yield DownloadStep(RESOLVE)
        model = resolve_model(snapshot, self.model_id)
        self.model_id = model.id
        if model.denied:
            raise ModelDownloadDenied(
                f"model {model.id} ({model.name}) is denied on this Pieces OS (its "
                "organization does not allow it): nothing was downloaded; pick another "
                "model, or ask the organization's admin to allow it",
                model_id=model.id,
            )

    def _start(self) -> Generator[DownloadStep, Any, Model]:
        # Until Pieces OS answers, the download may have started: interrupted, cancel it.
        self._following = True
        try:
            model: Model = yield DownloadStep(START)
        except ApiException:
            self._following = False  # refused: nothing started
            raise
        self._seen(model)
        return model

    def _stop(self) -> Generator[DownloadStep, Any, None]:
        """Stopped early: close the stream, cancel what runs (best effort), then re-raise."""
        if self._connected:
            self._connected = False
            yield DownloadStep(DISCONNECT)
        if self._following:
            self._following = False
            # Best effort: the error that stopped us is the one to report.
            self.canceled = False
            with contextlib.suppress(Exception):
                yield DownloadStep(CANCEL)
                self.canceled = True

    def _finish(
        self, model: Optional[Model], progress: Optional[ModelDownloadProgress]
    ) -> Generator[DownloadStep, Any, Model]:
        """Complete: the fresh model (read now unless just read), then the event, then the
        load when asked."""
        self._following = False
        if model is None:
            model = yield DownloadStep(GET)
        self.model = model
        if self._connected:
            self._connected = False
            yield DownloadStep(DISCONNECT)
        self.percentage = 100.0
        yield self._emit(_Status.COMPLETED, progress)
        if self.load:
            model = yield DownloadStep(LOAD)
        return model

    # --- following ------------------------------------------------------------------------------
    def _follow(
        self,
    ) -> Generator[DownloadStep, Any, Tuple[Optional[Model], Optional[ModelDownloadProgress]]]:
        """Until the download completes or raises. Complete: the model when its flags said
        so, or the ``COMPLETED`` message."""
        while True:
            wait = self._wait()
            try:
                message = yield DownloadStep(RECEIVE, wait)
            except ApiConnectionError as error:
                model = yield from self._reconnect(error)
                if model.downloaded:
                    return model, None
                continue
            if message is TIMED_OUT:
                checked = yield from self._check()
                if checked is not None:
                    return checked, None
                continue
            if (yield from self._message(message)):
                return None, message

    def _wait(self) -> float:
        """Seconds to wait for a message before the flags are read; raises past ``timeout``."""
        now = self._check_deadline()
        check = min(max(self._alive, self._checked) + FLAG_CHECK, self._alive + self.stall_timeout)
        if self._deadline is not None:
            check = min(check, self._deadline)
        return max(0.0, check - now)

    def _check_deadline(self) -> float:
        """The time now; raises past ``timeout``."""
        now = self._clock()
        if self._deadline is not None and now >= self._deadline:
            raise self._error(
                ModelDownloadStalled,
                "did not complete",
                f"timeout={self.timeout:g} s passed",
                "pass a larger timeout, or timeout=None to wait for as long as it progresses",
            )
        return now

    def _check(self) -> Generator[DownloadStep, Any, Optional[Model]]:
        """No message for a while: the model's flags say whether it is done or alive."""
        if self._deadline is not None and self._clock() >= self._deadline:
            return None  # the next _wait() raises
        model: Model = yield DownloadStep(GET)
        changed = self._seen(model)
        if model.downloaded:
            return model
        now = self._clock()
        if not changed and now - self._alive >= self.stall_timeout:
            raise self._error(
                ModelDownloadStalled,
                "stalled",
                f"no progress message and no change of the model's flags for "
                f"stall_timeout={self.stall_timeout:g} s",
                "raise stall_timeout if Pieces OS is slow to report progress",
            )
        return None

    def _message(self, message: ModelDownloadProgress) -> Generator[DownloadStep, Any, bool]:
        """Report one message; True when it says the download completed."""
        self.reconnects.succeeded()
        self._alive = self._clock()
        status = message.status
        if status == _Status.COMPLETED:
            return True
        percentage = _usable(message.percentage)
        if percentage is not None and percentage > self.percentage:
            self.percentage = percentage
        if status in (_Status.FAILED, _Status.CANCELED):
            self._following = False
            if self._connected:
                self._connected = False
                yield DownloadStep(DISCONNECT)
            yield self._emit(status, message)
            if status == _Status.FAILED:
                raise self._error(ModelDownloadFailed, "failed", "Pieces OS reported FAILED")
            raise self._error(ModelDownloadCanceled, "was canceled", "Pieces OS reported CANCELED")
        # Any other status (a newer one included) is reported, and only moves the percentage.
        if percentage is not None:
            self.rate.observe(self._alive, self.percentage)
        yield self._emit(status if status is not None else _Status.UNKNOWN, message)
        return False

    # --- the stream -----------------------------------------------------------------------------
    def _connect(self) -> Generator[DownloadStep, Any, None]:
        """Open the stream, riding out what a reconnect would."""
        while True:
            try:
                yield DownloadStep(CONNECT)
            except Exception as error:
                yield from self._back_off(error)
                continue
            self._connected = True
            return

    def _reconnect(self, error: Exception) -> Generator[DownloadStep, Any, Model]:
        """The stream broke: reopen it, then read the model (it may have completed meanwhile)."""
        while True:
            if self._connected:
                self._connected = False
                yield DownloadStep(DISCONNECT)
            yield from self._back_off(error)
            try:
                yield DownloadStep(CONNECT)
                self._connected = True
                model: Model = yield DownloadStep(GET)
            except Exception as failure:
                error = failure
                continue
            self._seen(model)
            self._alive = self._clock()
            return model

    def _back_off(self, error: Exception) -> Generator[DownloadStep, Any, None]:
        """Sleep before the next attempt, or raise ``error`` when it is not worth one."""
        delay = self.reconnects.next_delay() if worth_reconnecting(error) else None
        if delay is None:
            raise error
        if self._deadline is not None:
            delay = min(delay, max(0.0, self._deadline - self._clock()))
        yield DownloadStep(SLEEP, delay)
        self._check_deadline()

    # --- bookkeeping ----------------------------------------------------------------------------
    def _seen(self, model: Model) -> bool:
        """Note the model's flags; True when they differ from the last ones seen."""
        self._checked = self._clock()
        size = model.bytes.value if model.bytes is not None else None
        if size is not None and size > 0:
            self.total_bytes = size
        if model.name:
            self.model_name = model.name
        flags = (model.downloading, model.downloaded)
        changed = self._flags is not None and flags != self._flags
        self._flags = flags
        if changed:
            self._alive = self._checked
        return changed

    def _emit(
        self, status: ModelDownloadProgressStatusEnum, progress: Optional[ModelDownloadProgress]
    ) -> DownloadStep:
        now = self._clock()
        if status == _Status.COMPLETED:
            eta: Optional[float] = 0.0
        elif status in ENDINGS:
            eta = None
        else:
            eta = self.rate.eta(self.percentage)
        total = self.total_bytes
        done = speed = None
        if total is not None:
            # The percentage stands for the bytes: Pieces OS sends no byte counts of its own.
            done = round(total * self.percentage / 100.0)
            if self.rate.rate is not None and status not in ENDINGS:
                speed = total * self.rate.rate / 100.0
        self.event = DownloadEvent(
            self.model_id,
            status,
            self.percentage,
            eta,
            now - self.started,
            progress,
            done_bytes=done,
            total_bytes=total,
            speed=speed,
            model_name=self.model_name,
        )
        return DownloadStep(EMIT, event=self.event)

    def _error(self, kind: type, what: str, why: str, fix: str = "") -> ModelDownloadError:
        text = f"the download of model {self.model_id!r} {what} at {self.percentage:.1f}% ({why})"
        if fix:
            text += f"; {fix}"
        error: ModelDownloadError = kind(text, model_id=self.model_id, progress=self.event)
        return error


def _usable(value: Any) -> Optional[float]:
    """A percentage as sent (maybe null, NaN or out of range), clamped to 0..100."""
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return None
    return min(100.0, max(0.0, float(value)))
