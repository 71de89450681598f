"""Following one download: :class:`~pieces_os_client._core.downloads.Download`'s steps
performed over a client and a progress stream, and the events as an iterator."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Dict, Optional

# DownloadEvent and Model are named through the lazily loaded packages: importing this
# module loads neither, and typing.get_type_hints still resolves them.
import pieces_os_client
from pieces_os_client import models
from pieces_os_client._async.runner import run
from pieces_os_client._async.stream_slot import StreamSlot
from pieces_os_client._backends.asyncio import Signal
from pieces_os_client._core.runner import DONE, EMITTED, Machine
from pieces_os_client._core.watch import CONNECT, DISCONNECT, RECEIVE
from pieces_os_client.aio.api_client import AsyncApiClient

# The stream side (a WebSocket library, pydantic) loads with the first download, not with
# the API classes.
if TYPE_CHECKING:
    from pieces_os_client._core.downloads import Download
    from pieces_os_client._core.inflight import Ticket

__all__ = ["AsyncDownloadEvents", "download_machine", "log_interrupted"]

ProgressCallback = Callable[["pieces_os_client.DownloadEvent"], Any]


class AsyncDownloadEvents:
    """What ``download_events()`` returns: an async iterator of
    :class:`~pieces_os_client.DownloadEvent` and an async context manager.

    The download starts (or is followed) on the first step of the iteration. Once complete,
    ``model`` holds the fresh ``Model`` (None before). :meth:`close` stops following without
    cancelling the download (with the sync client, from any thread too).

    Example::

        async with api.download_events(model_id, stall_timeout=30) as events:
            async for event in events:
                print(event)  # "<id>: IN-PROGRESS 42.0%, 12 s left"
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
        return f"<{type(self).__name__} {self._follower.model_id!r}>"


def download_machine(
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


def log_interrupted(machine: Download) -> None:
    """One WARNING line for a download Ctrl-C stopped: with logging left unconfigured (a
    script), Python prints it on stderr; an application's logging routes it like the rest."""
    import logging

    from pieces_os_client._display.progress_text import percent_text

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


class _AsyncFollower:
    """Performs the steps of one :class:`~pieces_os_client._core.downloads.Download` over a
    client and a progress stream."""

    def __init__(self, api_client: AsyncApiClient, machine: Download) -> None:
        self._api_client = api_client
        self.model_id = machine.model_id
        self.machine = machine
        self._machine = Machine(machine.run())
        # Looked up once: a step is performed per message.
        from pieces_os_client._core.download_steps import CALLS, GET, PROGRESS, START
        from pieces_os_client._core.operations import by_name

        self._calls = {kind: by_name(name) for kind, name in CALLS.items()}
        self._progress = by_name(PROGRESS)
        # The POST goes through the process's start gate; each read of the model marks it.
        self._start_call_kind = START
        self._start_call = self._calls.pop(START)
        self._get_call = self._calls[GET]
        self._closed = Signal()
        self._stream: StreamSlot[models.ModelDownloadProgress] = StreamSlot(
            self._closed, "the download's progress stream was closed"
        )
        self.model: Optional[models.Model] = None
        # This call's place among the process's downloads of the model (joined once the
        # model is known) and what wakes it while another call's POST is answered.
        self._ticket: Optional[Ticket] = None
        self._wake: Optional[Signal] = None

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
            outcome, value = await run(
                self._machine, self._perform, self._closed.is_set, error=error
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
        """Stopped by ``error`` outside the steps (a callback, the caller's ``with`` block):
        let the machine cancel what runs."""
        if self._machine.started and not self._closed.is_set():
            with contextlib.suppress(BaseException):
                await self.next_event(error)

    async def close(self) -> None:
        """Stop: the machine is dropped (no cancel) and the stream closed. With the sync
        client, from another thread too: the one driving stops at its next step."""
        self._closed.set()
        wake = self._wake
        if wake is not None:
            wake.set()
        with contextlib.suppress(ValueError):  # running in the driving thread: it stops
            self._machine.steps.close()
        await self._stream.forget()
        if self._ticket is not None:
            self._ticket.leave()

    async def _perform(self, step: Any) -> Any:
        kind = step.kind
        if kind == RECEIVE:
            return await self._stream.receive(step.timeout)
        call = self._calls.get(kind)
        if call is not None:
            if call is self._get_call:
                self._joined().mark()
            return (await self._api_client._invoke(call, self._args)).data
        if kind == CONNECT:
            from pieces_os_client._async.streams import open_stream

            await self._stream.keep(await open_stream(self._api_client, self._progress, self._args))
        elif kind == DISCONNECT:
            await self._stream.forget()
        elif kind == self._start_call_kind:
            return await self._start()
        else:  # SLEEP: cut short by close()
            await self._closed.wait(step.timeout)
        return None

    def _joined(self) -> Ticket:
        if self._ticket is None:
            from pieces_os_client._core import inflight

            host = self._api_client.configuration.host.rstrip("/")
            self._ticket = inflight.join(host, self.machine.model_id)
        return self._ticket

    async def _start(self) -> Any:
        """``POST .../download``, sent once however many calls of this process want it
        (:mod:`~pieces_os_client._core.inflight`), by sync and async clients alike."""
        from pieces_os_client._core.inflight import START, WAIT

        ticket = self._joined()
        wake = self._wake = Signal()
        while not self._closed.is_set():
            decision = ticket.claim(wake.set)
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
            await wake.wait()  # raised by the answer (from any thread), or by close()
            wake.clear()
        return None
