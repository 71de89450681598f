"""The models watcher: :class:`~pieces_os_client._core.watch.Watch`'s steps performed over
a client and a stream of ``StreamedIdentifiers``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Union

from pieces_os_client._async.runner import run
from pieces_os_client._async.stream_slot import StreamSlot
from pieces_os_client._async.streams import open_stream
from pieces_os_client._backends.asyncio import Signal
from pieces_os_client._core.endpoint import NO_OPTIONS, RequestOptions, options_in
from pieces_os_client._core.operations import by_name
from pieces_os_client._core.runner import DONE, Machine
from pieces_os_client._core.streaming import stream_request
from pieces_os_client._core.watch import (
    CONNECT,
    DISCONNECT,
    RECEIVE,
    SNAPSHOT,
    ModelsChange,
    Step,
    Watch,
)
from pieces_os_client.aio.api_client import AsyncApiClient

if TYPE_CHECKING:
    from pieces_os_client.models.models import Models
    from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers

__all__ = ["AsyncModelsWatcher"]

#: What the watcher follows, and what it reads after each burst.
_STREAM = by_name("models_stream_identifiers")
_SNAPSHOT = by_name("models_snapshot")


class AsyncModelsWatcher:
    """A fresh, typed view of the models after each change, for one ``async for`` loop.

    Each item is a :class:`~pieces_os_client.stream.ModelsChange`: the ids ``added``,
    ``updated`` and ``removed`` and the current ``Models`` (fetched with
    ``models_snapshot()`` once a burst of stream messages is over). The first item has
    ``initial`` set and lists every model as added.

    A dropped connection is reopened with the HTTP client's backoff, up to
    ``Configuration.retries`` failed attempts in a row, then
    :class:`~pieces_os_client.exceptions.ApiConnectionError` is raised. After each reconnect
    the snapshot is compared with the last one, so what changed meanwhile is reported too.
    Iteration ends on :meth:`close` (from any thread) or on leaving the ``async with`` block;
    an error or a cancelled task that stops the loop closes the watcher too.

    Example::

        from pieces_os_client import Configuration
        from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

        async with AsyncApiClient(Configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            async with api.models_watch() as watcher:
                async for change in watcher:
                    print(len(change.models), "models; added:", change.added)
                    break
    """

    def __init__(
        self,
        api_client: AsyncApiClient,
        options: Union[RequestOptions, Mapping[str, Any]] = NO_OPTIONS,
    ) -> None:
        # Bad options fail here, before anything is sent.
        if not isinstance(options, RequestOptions):
            options = options_in(options)
        stream_request(api_client.configuration, api_client.default_headers, _STREAM, {}, options)
        self._api_client = api_client
        self._options = options
        self._watch = Watch(api_client.configuration.retries)
        self._closed = Signal()
        self._stream: StreamSlot[StreamedIdentifiers] = StreamSlot(
            self._closed, "the watcher was closed"
        )

    @property
    def models(self) -> Optional[Models]:
        """The last ``Models`` snapshot (None before the first change)."""
        return self._watch.state.models

    def __aiter__(self) -> AsyncModelsWatcher:
        return self

    async def __aenter__(self) -> AsyncModelsWatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop watching: close the stream; a loop over the watcher ends. Safe more than
        once (and, with the sync client, from another thread)."""
        self._closed.set()
        await self._stream.forget()

    async def __anext__(self) -> ModelsChange:
        machine = Machine(self._watch.next_change())
        try:
            outcome, change = await run(machine, self._perform, self._closed.is_set, Exception)
        except BaseException:
            await self.close()  # given up, Ctrl-C or cancelled: the watcher is done
            raise
        finally:
            machine.steps.close()
        if outcome == DONE:
            return change  # type: ignore[no-any-return]
        raise StopAsyncIteration

    async def _perform(self, step: Step) -> Any:
        if step.kind == RECEIVE:
            return await self._stream.receive(step.timeout)
        if step.kind == SNAPSHOT:
            return (await self._api_client._invoke(_SNAPSHOT, {}, self._options)).data
        if step.kind == CONNECT:
            await self._stream.keep(await open_stream(self._api_client, _STREAM, {}, self._options))
        elif step.kind == DISCONNECT:
            await self._stream.forget()
        else:  # SLEEP: cut short by close()
            await self._closed.wait(step.timeout)
        return None
