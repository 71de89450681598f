"""What the API classes are made of beside their operations: the client every class sends
through, and the methods that are more than one operation (``models_watch``,
``resolve_model``, ``download``, ``download_events``).

The generated classes (``ModelsApi``, ``ModelApi``, ``WellKnownApi`` and their ``Async``
twins) derive from these; their operation methods come from the table in
:mod:`pieces_os_client._core.operations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

# DownloadEvent and Model are named through the lazily loaded packages: importing this
# module loads neither, and typing.get_type_hints still resolves them.
from pieces_os_client import models
from pieces_os_client._async.downloads import (
    AsyncDownloadEvents,
    ProgressCallback,
    _AsyncFollower,
    download_machine,
    log_interrupted,
)
from pieces_os_client._backends.asyncio import call_back
from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client._core.endpoint import RequestOptions
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.configuration import TimeoutSpec

if TYPE_CHECKING:
    from pieces_os_client._async.watcher import AsyncModelsWatcher

__all__ = ["AsyncApi", "AsyncDownloadEvents", "AsyncModelApiExtras", "AsyncModelsApiExtras"]


class AsyncApi:
    """What every API class shares: the client it sends through (the process-wide default
    when none is given)."""

    def __init__(self, api_client: Optional[AsyncApiClient] = None) -> None:
        if api_client is not None:
            _check_api_client(type(self).__name__, api_client, is_async=_IS_ASYNC)
        self.api_client: AsyncApiClient = (
            api_client if api_client is not None else AsyncApiClient.get_default()
        )

    def __repr__(self) -> str:
        return _api_repr(self)


#: Which client this side's classes take (an ``ApiClient`` given to an async class, or the
#: other way round, is refused with the right class named).
_IS_ASYNC = True


class AsyncModelsApiExtras(AsyncApi):
    """``ModelsApi``'s methods beyond the operations."""

    def models_watch(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> AsyncModelsWatcher:
        """Follow the models: a watcher yielding what changed and the current ``Models``
        after each change, reconnecting on its own (see its class for the details).

        Example::

            async with api.models_watch() as watcher:
                async for change in watcher:
                    print(change.added, change.updated, change.removed, len(change.models))
        """
        from pieces_os_client._async.watcher import AsyncModelsWatcher

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
    """``ModelApi``'s methods beyond the operations."""

    async def download(
        self,
        model: str,
        *,
        on_progress: Optional[ProgressCallback] = None,
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
        of this process (any thread, sync or async), which sends the one ``POST``.
        ``on_progress`` gets a :class:`~pieces_os_client.DownloadEvent` for each message
        (percentage that never goes backwards, ETA; bytes and speed where the model's size
        is known); with the async client it may also be a coroutine function, each call
        awaited before the next message is read. Without it, a notebook shows a live
        progress bar. With ``load=True`` the model is then loaded
        (``model_specific_model_load``) and that answer returned.

        Raises :class:`~pieces_os_client.ModelDownloadFailed` or
        :class:`~pieces_os_client.ModelDownloadCanceled` when Pieces OS reports so, and
        :class:`~pieces_os_client.ModelDownloadStalled` (a ``TimeoutError``) when neither a
        message nor the model's flags change for ``stall_timeout`` seconds, or it is not
        complete after ``timeout`` seconds. A dropped stream is reopened (up to
        ``Configuration.retries`` times in a row). Stopped early by any error,
        ``KeyboardInterrupt`` or (async) the cancellation of the awaiting task, it asks
        Pieces OS to cancel the download, then re-raises; after a Ctrl-C it logs one
        WARNING line (``interrupted: the download of model ID (NAME) was canceled on Pieces
        OS at 42%``, on stderr when logging is not set up) and raises a fresh
        ``KeyboardInterrupt`` whose traceback ends here.
        Bad arguments raise ``TypeError`` / ``ValueError`` before anything is sent.

        Example::

            from pieces_os_client import Configuration
            from pieces_os_client.aio import AsyncApiClient, AsyncModelApi

            async with AsyncApiClient(Configuration()) as api_client:
                model = await AsyncModelApi(api_client).download(
                    "llama-3-8b-id",
                    on_progress=lambda event: print(f"{event.percentage:.0f}%", event.eta),
                )
                print(model.downloaded)  # True
        """
        from pieces_os_client._core.download_arguments import check_download_arguments

        check_download_arguments(model, on_progress, stall_timeout, timeout, load, awaits=_IS_ASYNC)
        notebook = _notebook_progress(model) if on_progress is None else None
        callback = on_progress if on_progress is not None else notebook
        machine = download_machine(self.api_client, model, stall_timeout, timeout, load)
        follower = _AsyncFollower(self.api_client, machine)
        try:
            while True:
                event = await follower.next_event()
                if event is None:
                    break
                if callback is not None:
                    try:
                        await call_back(callback, event)
                    except BaseException as error:
                        await follower.abandon(error)
                        raise
        except BaseException as error:
            _finish_notebook_progress(notebook, error)
            if not isinstance(error, KeyboardInterrupt):
                raise
            log_interrupted(machine)
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
    ) -> AsyncDownloadEvents:
        """:meth:`download` as an async iterator of :class:`~pieces_os_client.DownloadEvent`,
        for a display of your own; also an async context manager.

        It yields the terminal event, then ends (``COMPLETED``: ``.model`` holds the fresh
        ``Model``) or raises ``ModelDownloadFailed`` / ``ModelDownloadCanceled`` on the next
        step. Leaving the ``async with`` block on an exception cancels the download; leaving
        it early otherwise stops following and lets the download go on.

        Example::

            async with api.download_events("llama-3-8b-id") as events:
                async for event in events:
                    print(f"{event.status.value} {event.percentage:5.1f}% eta {event.eta}")
            print(events.model.downloaded)  # True
        """
        from pieces_os_client._core.download_arguments import check_download_arguments

        check_download_arguments(model, None, stall_timeout, timeout)
        machine = download_machine(self.api_client, model, stall_timeout, timeout, False)
        return AsyncDownloadEvents(_AsyncFollower(self.api_client, machine))


def _notebook_progress(model_id: str) -> Optional[ProgressCallback]:
    from pieces_os_client._display import notebook_bar

    return notebook_bar.notebook_progress(model_id)


def _finish_notebook_progress(
    callback: Optional[ProgressCallback], error: Optional[BaseException]
) -> None:
    if callback is not None:
        from pieces_os_client._display import notebook_bar

        notebook_bar.finish_notebook_progress(callback, error)
