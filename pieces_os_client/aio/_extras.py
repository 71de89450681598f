"""The hand-written part of the async API classes: what every class shares (its client) and
the methods that are more than one operation (``models_watch``, ``download``).

The generated classes (``aio/models_api.py``, ``aio/model_api.py``, ``aio/well_known_api.py``;
``AsyncWellKnownApi`` from :class:`AsyncApi` alone) derive from these; their
operation methods come from the table in :mod:`pieces_os_client._core.operations`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Mapping, Optional

# DownloadEvent and Model are named through the lazily loaded packages: importing this
# module loads neither, and typing.get_type_hints still resolves them.
import pieces_os_client
from pieces_os_client import models
from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client._core.endpoint import RequestOptions
from pieces_os_client._core.runner import DONE, EMITTED, Machine, run_async
from pieces_os_client._core.watch import CONNECT, DISCONNECT, RECEIVE
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.configuration import TimeoutSpec
from pieces_os_client.exceptions import ApiConnectionError

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import Download
    from pieces_os_client._core.inflight import Ticket
    from pieces_os_client.aio.stream import AsyncModelsWatcher, AsyncStream

__all__ = ["AsyncApi", "AsyncDownloadEvents", "AsyncModelApiExtras", "AsyncModelsApiExtras"]


class AsyncApi:
    """What every async API class shares: the
    :class:`~pieces_os_client.aio.AsyncApiClient` it sends through (the process-wide default
    when none is given)."""

    def __init__(self, api_client: Optional[AsyncApiClient] = None) -> None:
        if api_client is not None:
            _check_api_client(type(self).__name__, api_client, is_async=True)
        self.api_client: AsyncApiClient = (
            api_client if api_client is not None else AsyncApiClient.get_default()
        )

    def __repr__(self) -> str:
        return _api_repr(self)


class AsyncModelsApiExtras(AsyncApi):
    """``AsyncModelsApi``'s methods beyond the operations."""

    def models_watch(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> AsyncModelsWatcher:
        """Follow the models: an :class:`~pieces_os_client.aio.stream.AsyncModelsWatcher`
        yielding what changed and the current ``Models`` after each change.

        Example::

            async with api.models_watch() as watcher:
                async for change in watcher:
                    print(change.added, change.updated, change.removed, len(change.models))
        """
        from pieces_os_client.aio.stream import AsyncModelsWatcher

        options = RequestOptions(
            _request_timeout, _request_auth, _content_type, _headers, _host_index
        )
        return AsyncModelsWatcher(self.api_client, options)

    async def resolve_model(self, model: str) -> models.Model:
        """The model ``model`` names (its id, ``unique`` slug, name in any case, or an id
        prefix of at least six characters), from one ``models_snapshot()``: see
        :func:`pieces_os_client.resolve_model`, which this calls on the fresh snapshot.

        Raises ``ModelNotFoundError`` (with the closest names) or ``AmbiguousModelError``
        (with the candidates and their ids), both ``ValueError``\\ s; a ``model`` that is not
        a non-empty str is refused before anything is sent.

        Example::

            async with AsyncApiClient(Configuration()) as api_client:
                model = await AsyncModelsApi(api_client).resolve_model("Mistral 7B Instruct")
                print(model.id, model.downloaded)
        """
        from pieces_os_client._core.operations import by_name
        from pieces_os_client._core.resolve import check_model_text, resolve_model

        check_model_text(model)
        snapshot = (await self.api_client._invoke(by_name("models_snapshot"), {})).data
        return resolve_model(snapshot, model)


class AsyncModelApiExtras(AsyncApi):
    """``AsyncModelApi``'s methods beyond the operations."""

    async def download(
        self,
        model: str,
        *,
        on_progress: Optional[Callable[[pieces_os_client.DownloadEvent], Any]] = None,
        stall_timeout: float = 60.0,
        timeout: Optional[float] = None,
        load: bool = False,
    ) -> models.Model:
        """Download a model, following its progress to the end; returns the fresh ``Model``.

        :meth:`pieces_os_client.ModelApi.download` as a coroutine: the same names for the
        model (id, ``unique`` slug, name, id prefix), events, errors and cancellation, and
        the same one ``POST`` per model per process (tasks and threads alike). Cancelling the task that awaits it (``asyncio.wait_for``,
        ``task.cancel()``) also asks Pieces OS to cancel the download, then propagates.
        ``on_progress`` is called in the event loop; when it is an ``async def`` function,
        each call is awaited before the next message is read.

        Example::

            async with AsyncApiClient(Configuration()) as api_client:
                model = await AsyncModelApi(api_client).download(
                    "llama-3-8b-id", on_progress=lambda event: print(event), load=True
                )
                print(model.loaded)  # True
        """
        from pieces_os_client._core.downloads import check_download_arguments

        check_download_arguments(model, on_progress, stall_timeout, timeout, load, awaits=True)
        notebook = _notebook_progress(model) if on_progress is None else None
        callback = on_progress if on_progress is not None else notebook
        machine = _machine(self.api_client, model, stall_timeout, timeout, load)
        follower = _AsyncFollower(self.api_client, machine)
        try:
            while True:
                event = await follower.next_event()
                if event is None:
                    break
                if callback is not None:
                    try:
                        shown = callback(event)
                        if inspect.isawaitable(shown):
                            await shown
                    except BaseException as error:
                        await follower.abandon(error)
                        raise
        except BaseException as error:
            _finish_notebook_progress(notebook, error)
            raise
        _finish_notebook_progress(notebook, None)
        assert follower.model is not None
        return follower.model

    def download_events(
        self,
        model: str,
        *,
        stall_timeout: float = 60.0,
        timeout: Optional[float] = None,
    ) -> AsyncDownloadEvents:
        """:meth:`download` as an async iterator of :class:`~pieces_os_client.DownloadEvent`,
        and an async context manager (as :meth:`pieces_os_client.ModelApi.download_events`).

        Example::

            async with api.download_events("llama-3-8b-id") as events:
                async for event in events:
                    print(f"{event.percentage:5.1f}% eta {event.eta}")
            print(events.model.downloaded)  # True
        """
        from pieces_os_client._core.downloads import check_download_arguments

        check_download_arguments(model, None, stall_timeout, timeout)
        machine = _machine(self.api_client, model, stall_timeout, timeout, False)
        return AsyncDownloadEvents(_AsyncFollower(self.api_client, machine))


def _notebook_progress(
    model_id: str,
) -> Optional[Callable[[pieces_os_client.DownloadEvent], None]]:
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
    api_client: AsyncApiClient,
    model: str,
    stall_timeout: float,
    timeout: Optional[float],
    load: bool,
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


class AsyncDownloadEvents:
    """What :meth:`AsyncModelApi.download_events()
    <AsyncModelApiExtras.download_events>` returns: an async iterator of
    :class:`~pieces_os_client.DownloadEvent` and an async context manager.

    The same items, ending and errors as :class:`pieces_os_client.api._extras.DownloadEvents`.

    Example::

        async with api.download_events(model_id) as events:
            async for event in events:
                print(event)
    """

    def __init__(self, follower: _AsyncFollower) -> None:
        self._follower = follower

    @property
    def model(self) -> Optional[models.Model]:
        """The fresh ``Model`` once the download completed (already when its last event is
        seen); None before."""
        return self._follower.machine.model

    def __aiter__(self) -> AsyncIterator[pieces_os_client.DownloadEvent]:
        return self

    async def __anext__(self) -> pieces_os_client.DownloadEvent:
        event = await self._follower.next_event()
        if event is None:
            raise StopAsyncIteration
        return event

    async def __aenter__(self) -> AsyncDownloadEvents:
        return self

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is not None:
            await self._follower.abandon(exc)
        await self.close()

    async def close(self) -> None:
        """Stop following (the download goes on in Pieces OS); safe more than once."""
        await self._follower.close()

    def __repr__(self) -> str:
        return f"<AsyncDownloadEvents {self._follower.model_id!r}>"


class _AsyncFollower:
    """Performs the steps of one :class:`~pieces_os_client._core.downloads.Download` over the
    async client and a progress :class:`~pieces_os_client.aio.stream.AsyncStream`."""

    def __init__(self, api_client: AsyncApiClient, machine: Download) -> None:
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
        self._stream: Optional[AsyncStream[models.ModelDownloadProgress]] = None
        self._closed = False
        # Made on first wait, inside the running loop (an Event binds to a loop on 3.9).
        self._wake: Optional[asyncio.Event] = None
        self.model: Optional[models.Model] = None
        # This call's place among the process's downloads of the model (joined once the
        # model is known), and the future another call's POST answer resolves.
        self._ticket: Optional[Ticket] = None
        self._answer: Optional[asyncio.Future[None]] = None

    @property
    def _args(self) -> Dict[str, Any]:
        # The model's id once the machine resolved it (the name given before that).
        return {"model": self.machine.model_id}

    async def next_event(
        self, error: Optional[BaseException] = None
    ) -> Optional[pieces_os_client.DownloadEvent]:
        """Perform steps until the next event; None once complete (``model``) or closed.
        With ``error``, throw it in first (the machine cleans up and re-raises it)."""
        try:
            outcome, value = await run_async(
                self._machine, self._perform, lambda: self._closed, error=error
            )
        except BaseException:
            await self.close()
            raise
        if outcome == EMITTED:
            return value  # type: ignore[no-any-return]
        if outcome == DONE:
            self.model = value
        await self.close()
        return None

    async def abandon(self, error: BaseException) -> None:
        """Stopped by ``error`` outside the steps (a callback, the caller's ``async with``
        block): let the machine cancel what runs."""
        if self._machine.started and not self._closed:
            with contextlib.suppress(BaseException):
                await self.next_event(error)

    async def close(self) -> None:
        """Stop: the machine is dropped (no cancel) and the stream closed."""
        self._closed = True
        if self._wake is not None:
            self._wake.set()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(None)
        # The machine runs only between awaits: here it is suspended (or finished).
        self._machine.steps.close()
        await self._forget()
        if self._ticket is not None:
            self._ticket.leave()

    async def _perform(self, step: Any) -> Any:
        kind = step.kind
        if kind == RECEIVE:
            stream = self._stream
            if stream is None:  # closed meanwhile
                raise ApiConnectionError("the download's progress stream was closed")
            try:
                return await stream._receive(step.timeout)
            except StopAsyncIteration:
                from pieces_os_client._core.streaming import dropped

                raise dropped(stream.url, "Pieces OS closed the stream") from None
        call = self._calls.get(kind)
        if call is not None:
            if call is self._get_call:
                self._joined().mark()
            return (await self._api_client._invoke(call, self._args)).data
        if kind == CONNECT:
            from pieces_os_client.aio.stream import open_stream

            stream = await open_stream(self._api_client, self._progress, self._args)
            if self._closed:
                await stream.close()
            else:
                self._stream = stream
        elif kind == DISCONNECT:
            await self._forget()
        elif kind == self._start_call_kind:
            return await self._start()
        else:  # SLEEP: cut short by close()
            if self._wake is None:
                self._wake = asyncio.Event()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), step.timeout)
        return None

    def _joined(self) -> Ticket:
        if self._ticket is None:
            from pieces_os_client._core import inflight

            host = self._api_client.configuration.host.rstrip("/")
            self._ticket = inflight.join(host, self.machine.model_id)
        return self._ticket

    async def _start(self) -> Any:
        """``POST .../download``, sent once however many calls of this process want it
        (:mod:`~pieces_os_client._core.inflight`), sync clients in other threads included."""
        from pieces_os_client._core.inflight import START, WAIT

        ticket = self._joined()
        loop = asyncio.get_running_loop()
        while not self._closed:
            answer: asyncio.Future[None] = loop.create_future()
            self._answer = answer
            decision = ticket.claim(_waker(loop, answer))
            if decision is START:
                try:
                    model = (await self._api_client._invoke(self._start_call, self._args)).data
                except BaseException as error:
                    ticket.publish(error=error)
                    raise
                ticket.publish(model=model)
                return model
            if decision is not WAIT:
                return decision
            await answer  # resolved by the answer (from any thread), or by close()
        return None

    async def _forget(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.close()


def _waker(loop: asyncio.AbstractEventLoop, answer: asyncio.Future[None]) -> Callable[[], None]:
    """What resolves ``answer`` from whichever thread publishes the awaited answer."""

    def settle() -> None:
        if not answer.done():
            answer.set_result(None)

    def wake() -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle)

    return wake
