"""The hand-written part of the sync API classes: what every class shares (its client) and the
methods that are more than one operation (``models_watch``, ``download``).

The generated classes (``api/models_api.py``, ``api/model_api.py``, ``api/well_known_api.py``)
derive from these (``WellKnownApi`` from :class:`SyncApi` alone); their operation methods come
from the table in :mod:`pieces_os_client._core.operations`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Mapping, Optional

# DownloadEvent and Model are named through the lazily loaded packages: importing this
# module loads neither, and typing.get_type_hints still resolves them.
import pieces_os_client
from pieces_os_client import models
from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client._core.endpoint import RequestOptions
from pieces_os_client._core.runner import DONE, EMITTED, Machine, run
from pieces_os_client._core.watch import CONNECT, DISCONNECT, RECEIVE
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import TimeoutSpec
from pieces_os_client.exceptions import ApiConnectionError

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import Download
    from pieces_os_client._core.inflight import Ticket
    from pieces_os_client.stream import ModelsWatcher, Stream

__all__ = ["DownloadEvents", "ModelApiExtras", "ModelsApiExtras", "SyncApi"]


class SyncApi:
    """What every sync API class shares: the :class:`~pieces_os_client.ApiClient` it sends
    through (the process-wide default when none is given)."""

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        if api_client is not None:
            _check_api_client(type(self).__name__, api_client, is_async=False)
        self.api_client: ApiClient = (
            api_client if api_client is not None else ApiClient.get_default()
        )

    def __repr__(self) -> str:
        return _api_repr(self)


class ModelsApiExtras(SyncApi):
    """``ModelsApi``'s methods beyond the operations."""

    def models_watch(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ModelsWatcher:
        """Follow the models: a :class:`~pieces_os_client.stream.ModelsWatcher` yielding what
        changed and the current ``Models`` after each change, reconnecting on its own.

        Example::

            with api.models_watch() as watcher:
                for change in watcher:
                    print(change.added, change.updated, change.removed, len(change.models))
        """
        from pieces_os_client.stream import ModelsWatcher

        options = RequestOptions(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return ModelsWatcher(self.api_client, options)

    def resolve_model(self, model: str) -> models.Model:
        """The model ``model`` names (its id, ``unique`` slug, name in any case, or an id
        prefix of at least six characters), from one ``models_snapshot()``: see
        :func:`pieces_os_client.resolve_model`, which this calls on the fresh snapshot.

        Raises ``ModelNotFoundError`` (with the closest names) or ``AmbiguousModelError``
        (with the candidates and their ids), both ``ValueError``\\ s; a ``model`` that is not
        a non-empty str is refused before anything is sent.

        Example::

            with ApiClient(Configuration()) as api_client:
                model = ModelsApi(api_client).resolve_model("Mistral 7B Instruct")
                print(model.id, model.downloaded)
        """
        from pieces_os_client._core.operations import by_name
        from pieces_os_client._core.resolve import check_model_text, resolve_model

        check_model_text(model)
        snapshot = self.api_client._invoke(by_name("models_snapshot"), {}).data
        return resolve_model(snapshot, model)


class ModelApiExtras(SyncApi):
    """``ModelApi``'s methods beyond the operations."""

    def download(
        self,
        model: str,
        *,
        on_progress: Optional[Callable[[pieces_os_client.DownloadEvent], None]] = None,
        stall_timeout: float = 60.0,
        timeout: Optional[float] = None,
        load: bool = False,
    ) -> models.Model:
        """Download a model, following its progress to the end; returns the fresh ``Model``.

        ``model`` is the model's id, its ``unique`` slug, its name (any case) or an id
        prefix of at least six characters, looked up in one snapshot
        (:func:`~pieces_os_client.resolve_model`: an unknown or ambiguous one raises
        ``ModelNotFoundError`` / ``AmbiguousModelError``, and a ``denied`` one
        :class:`~pieces_os_client.ModelDownloadDenied`, with nothing else sent).

        The progress stream is open before the download starts, so no message is missed. A
        model already downloaded is returned at once, and a download already running is
        followed instead of started again: by another client, or by another ``download()``
        of this process (any thread, sync or async), which sends the one ``POST``. ``on_progress`` gets a
        :class:`~pieces_os_client.DownloadEvent` for each message (percentage that never
        goes backwards, ETA; bytes and speed where the model's size is known); without it, a
        notebook shows a live progress bar. With
        ``load=True`` the model is then loaded (``model_specific_model_load``) and that
        answer returned.

        Raises :class:`~pieces_os_client.ModelDownloadFailed` or
        :class:`~pieces_os_client.ModelDownloadCanceled` when Pieces OS reports so, and
        :class:`~pieces_os_client.ModelDownloadStalled` (a ``TimeoutError``) when neither a
        message nor the model's flags change for ``stall_timeout`` seconds, or it is not
        complete after ``timeout`` seconds. A dropped stream is reopened (up to
        ``Configuration.retries`` times in a row). Stopped early by any error or
        ``KeyboardInterrupt``, it asks Pieces OS to cancel the download, then re-raises;
        after a Ctrl-C it logs one WARNING line (``interrupted: the download of model ID
        (NAME) was canceled on Pieces OS at 42%``, on stderr when logging is not set up) and
        raises a fresh ``KeyboardInterrupt`` whose traceback ends here.
        Bad arguments raise ``TypeError`` / ``ValueError`` before anything is sent.

        Example::

            from pieces_os_client import ApiClient, Configuration, ModelApi

            with ApiClient(Configuration()) as api_client:
                model = ModelApi(api_client).download(
                    "llama-3-8b-id",
                    on_progress=lambda event: print(f"{event.percentage:.0f}%", event.eta),
                )
                print(model.downloaded)  # True
        """
        from pieces_os_client._core.downloads import check_download_arguments

        check_download_arguments(model, on_progress, stall_timeout, timeout, load)
        notebook = _notebook_progress(model) if on_progress is None else None
        callback = on_progress if on_progress is not None else notebook
        machine = _machine(self.api_client, model, stall_timeout, timeout, load)
        follower = _Follower(self.api_client, machine)
        try:
            while True:
                event = follower.next_event()
                if event is None:
                    break
                if callback is not None:
                    try:
                        callback(event)
                    except BaseException as error:
                        follower.abandon(error)
                        raise
        except BaseException as error:
            _finish_notebook_progress(notebook, error)
            if not isinstance(error, KeyboardInterrupt):
                raise
            _log_interrupted(machine)
            # A fresh one from this frame: the traceback ends here, not in the WebSocket
            # library's frames where the signal happened to land.
            raise KeyboardInterrupt from None
        _finish_notebook_progress(notebook, None)
        assert follower.model is not None
        return follower.model

    def download_events(
        self,
        model: str,
        *,
        stall_timeout: float = 60.0,
        timeout: Optional[float] = None,
    ) -> DownloadEvents:
        """:meth:`download` as an iterator of :class:`~pieces_os_client.DownloadEvent`, for
        a display of your own; also a context manager.

        It yields the terminal event, then ends (``COMPLETED``: ``.model`` holds the fresh
        ``Model``) or raises ``ModelDownloadFailed`` / ``ModelDownloadCanceled`` on the next
        step. Leaving the ``with`` block on an exception cancels the download; leaving it
        early otherwise stops following and lets the download go on.

        Example::

            with api.download_events("llama-3-8b-id") as events:
                for event in events:
                    print(f"{event.status.value} {event.percentage:5.1f}% eta {event.eta}")
            print(events.model.downloaded)  # True
        """
        from pieces_os_client._core.downloads import check_download_arguments

        check_download_arguments(model, None, stall_timeout, timeout)
        return DownloadEvents(
            _Follower(
                self.api_client, _machine(self.api_client, model, stall_timeout, timeout, False)
            )
        )


def _log_interrupted(machine: Download) -> None:
    """One WARNING line for a download Ctrl-C stopped: with logging left unconfigured (a
    script), Python prints it on stderr; an application's logging routes it like the rest."""
    import logging

    from pieces_os_client._progress_text import percent_text

    name = f" ({machine.model_name})" if machine.model_name else ""
    at = percent_text(machine.percentage)
    if machine.canceled:
        what = f"was canceled on Pieces OS at {at}"
    elif machine.canceled is None:  # it had not started, or had already ended
        what = f"was stopped at {at}; nothing to cancel on Pieces OS"
    else:
        what = f"was stopped at {at}; Pieces OS did not answer the cancel"
    logging.getLogger("pieces_os_client").warning(
        "interrupted: the download of model %s%s %s", machine.model_id, name, what
    )


def _notebook_progress(model_id: str) -> Optional[Callable[[pieces_os_client.DownloadEvent], None]]:
    from pieces_os_client import _live

    return _live.notebook_progress(model_id)


def _finish_notebook_progress(
    callback: Optional[Callable[[pieces_os_client.DownloadEvent], None]],
    error: Optional[BaseException],
) -> None:
    if callback is not None:
        from pieces_os_client import _live

        _live.finish_notebook_progress(callback, error)


def _machine(
    api_client: ApiClient, model: str, stall_timeout: float, timeout: Optional[float], load: bool
) -> Download:
    from pieces_os_client._core.downloads import Download

    return Download(
        model,
        stall_timeout=stall_timeout,
        timeout=timeout,
        load=load,
        retries=api_client.configuration.retries,
        resolve=True,
    )


class DownloadEvents:
    """What :meth:`ModelApi.download_events() <ModelApiExtras.download_events>` returns: an
    iterator of :class:`~pieces_os_client.DownloadEvent` and a context manager.

    The download starts (or is followed) on the first ``next()``. Once complete, ``model``
    holds the fresh ``Model`` (None before). :meth:`close` stops following (from any
    thread) without cancelling the download.

    Example::

        with api.download_events(model_id, stall_timeout=30) as events:
            for event in events:
                print(event)  # "<id>: IN-PROGRESS 42.0%, 12 s left"
    """

    def __init__(self, follower: _Follower) -> None:
        self._follower = follower

    @property
    def model(self) -> Optional[models.Model]:
        """The fresh ``Model`` once the download completed (already when its last event is
        seen); None before."""
        return self._follower.machine.model

    def __iter__(self) -> Iterator[pieces_os_client.DownloadEvent]:
        return self

    def __next__(self) -> pieces_os_client.DownloadEvent:
        event = self._follower.next_event()
        if event is None:
            raise StopIteration
        return event

    def __enter__(self) -> DownloadEvents:
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is not None:
            self._follower.abandon(exc)
        self.close()

    def close(self) -> None:
        """Stop following (the download goes on in Pieces OS); safe more than once."""
        self._follower.close()

    def __repr__(self) -> str:
        return f"<DownloadEvents {self._follower.model_id!r}>"


class _Follower:
    """Performs the steps of one :class:`~pieces_os_client._core.downloads.Download` over the
    sync client and a progress :class:`~pieces_os_client.stream.Stream`."""

    def __init__(self, api_client: ApiClient, machine: Download) -> None:
        self._api_client = api_client
        self.model_id = machine.model_id
        self.machine = machine
        self._machine = Machine(machine.run())
        # Looked up once: a step is performed per message.
        from pieces_os_client._core.downloads import CALLS, GET, PROGRESS, START
        from pieces_os_client._core.operations import by_name

        self._calls = {kind: by_name(name) for kind, name in CALLS.items()}
        self._progress = by_name(PROGRESS)
        # The POST goes through the process's start gate; each read of the model marks it.
        self._start_call_kind = START
        self._start_call = self._calls.pop(START)
        self._get_call = self._calls[GET]
        self._stream: Optional[Stream[models.ModelDownloadProgress]] = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.model: Optional[models.Model] = None
        # This call's place among the process's downloads of the model (joined once the
        # model is known) and what wakes it while another call's POST is answered.
        self._ticket: Optional[Ticket] = None
        self._wake: Optional[threading.Event] = None

    @property
    def _args(self) -> Dict[str, Any]:
        # The model's id once the machine resolved it (the name given before that).
        return {"model": self.machine.model_id}

    def next_event(
        self, error: Optional[BaseException] = None
    ) -> Optional[pieces_os_client.DownloadEvent]:
        """Perform steps until the next event; None once complete (``model``) or closed.
        With ``error``, throw it in first (the machine cleans up and re-raises it)."""
        try:
            outcome, value = run(self._machine, self._perform, self._closed.is_set, error=error)
        except BaseException:
            self.close()
            raise
        if outcome == EMITTED:
            return value  # type: ignore[no-any-return]
        if outcome == DONE:
            self.model = value
        self.close()
        return None

    def abandon(self, error: BaseException) -> None:
        """Stopped by ``error`` outside the steps (a callback, the caller's ``with`` block):
        let the machine cancel what runs."""
        if self._machine.started and not self._closed.is_set():
            with contextlib.suppress(BaseException):
                self.next_event(error)

    def close(self) -> None:
        """Stop: the machine is dropped (no cancel) and the stream closed. From another
        thread, the one driving stops at its next step."""
        self._closed.set()
        wake = self._wake
        if wake is not None:
            wake.set()
        with contextlib.suppress(ValueError):  # running in the driving thread: it stops
            self._machine.steps.close()
        self._forget()
        if self._ticket is not None:
            self._ticket.leave()

    def _perform(self, step: Any) -> Any:
        kind = step.kind
        if kind == RECEIVE:
            stream = self._stream
            if stream is None:  # closed meanwhile
                raise ApiConnectionError("the download's progress stream was closed")
            try:
                return stream._receive(step.timeout)
            except StopIteration:
                from pieces_os_client._core.streaming import dropped

                raise dropped(stream.url, "Pieces OS closed the stream") from None
        call = self._calls.get(kind)
        if call is not None:
            if call is self._get_call:
                self._joined().mark()
            return self._api_client._invoke(call, self._args).data
        if kind == CONNECT:
            from pieces_os_client.stream import open_stream

            stream = open_stream(self._api_client, self._progress, self._args)
            with self._lock:
                keep = not self._closed.is_set()
                if keep:
                    self._stream = stream
            if not keep:
                stream.close()
        elif kind == DISCONNECT:
            self._forget()
        elif kind == self._start_call_kind:
            return self._start()
        else:  # SLEEP: cut short by close()
            self._closed.wait(step.timeout)
        return None

    def _joined(self) -> Ticket:
        if self._ticket is None:
            from pieces_os_client._core import inflight

            host = self._api_client.configuration.host.rstrip("/")
            self._ticket = inflight.join(host, self.machine.model_id)
        return self._ticket

    def _start(self) -> Any:
        """``POST .../download``, sent once however many calls of this process want it
        (:mod:`~pieces_os_client._core.inflight`)."""
        from pieces_os_client._core.inflight import START, WAIT

        ticket = self._joined()
        wake = self._wake = threading.Event()
        while not self._closed.is_set():
            decision = ticket.claim(wake.set)
            if decision is START:
                try:
                    model = self._api_client._invoke(self._start_call, self._args).data
                except BaseException as error:
                    ticket.publish(error=error)
                    raise
                ticket.publish(model=model)
                return model
            if decision is not WAIT:
                return decision
            # Set by the answer, or by close(); waited for in slices so that Ctrl-C gets
            # through on Windows too (an untimed wait there cannot be interrupted).
            while not wake.wait(0.25):
                pass
            wake.clear()
        return None

    def _forget(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
