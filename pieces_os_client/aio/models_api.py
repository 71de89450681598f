"""``AsyncModelsApi``: ``ModelsApi`` as coroutines, over the same endpoint declarations.

The five endpoints are the ones declared in :mod:`pieces_os_client.api.models_api`
(``SNAPSHOT``, ``CREATE``, ...); this module only awaits them through an
:class:`~pieces_os_client.aio.AsyncApiClient`. Method names, parameters, return values and
exceptions are those of ``ModelsApi``:

- ``await name(...)`` returns the parsed data (or None for 204 endpoints);
- ``await name_with_http_info(...)`` returns an
  :class:`~pieces_os_client.api_response.ApiResponse`;
- ``await name_without_preload_content(...)`` returns aiohttp's ``ClientResponse`` unread and
  raises nothing for error statuses. You must read or release it yourself:
  ``async with response: body = await response.read()`` (or ``response.release()``),
  otherwise its connection is not returned to the pool.

Each method is a declaration shaped like its sync twin: the same named per-call options
(``_request_timeout``, ``_request_auth``, ``_content_type``, ``_headers``, ``_host_index``)
and one awaited call, ``api_client._invoke(ENDPOINT, path_value, body_value, locals())``.

The stream methods (``models_stream_identifiers*``, ``models_watch``) are not coroutines:
they return an object to ``await`` or to use with ``async with`` (which closes it), see
:mod:`pieces_os_client.aio.stream`. They need aiohttp only, not the ``stream`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Dict, Mapping, Optional, TypeVar

import aiohttp

from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.api.models_api import (
    CREATE,
    DELETE,
    DELETE_CACHE,
    SNAPSHOT,
    STREAM,
    UNLOAD,
)
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import TimeoutSpec
from pieces_os_client.models.model import Model
from pieces_os_client.models.model_delete_cache_input import ModelDeleteCacheInput
from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput
from pieces_os_client.models.models import Models
from pieces_os_client.models.seeded_model import SeededModel
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers

if TYPE_CHECKING:
    from pieces_os_client.aio.stream import AsyncModelsStream, AsyncModelsWatcher, Opening

__all__ = ["AsyncModelsApi"]

T = TypeVar("T")


class AsyncModelsApi:
    """The Models API of Pieces OS, as coroutines.

    Example::

        import asyncio

        from pieces_os_client import Configuration
        from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi


        async def main() -> None:
            async with AsyncApiClient(Configuration()) as api_client:
                api = AsyncModelsApi(api_client)
                snapshot, _ = await asyncio.gather(api.models_snapshot(), api.unload_models())
                print(len(snapshot.iterable), "models")


        asyncio.run(main())
    """

    def __init__(self, api_client: Optional[AsyncApiClient] = None) -> None:
        if api_client is not None:
            _check_api_client("AsyncModelsApi", api_client, is_async=True)
        self.api_client = api_client if api_client is not None else AsyncApiClient.get_default()

    def __repr__(self) -> str:
        return _api_repr(self)

    # GET /models ----------------------------------------------------------------------------
    async def models_snapshot(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> Models:
        """Every model Pieces OS knows (``GET /models``)."""
        return (await self.api_client._invoke(SNAPSHOT, None, None, locals())).data

    async def models_snapshot_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ApiResponse[Models]:
        """:meth:`models_snapshot` with status, headers and raw body."""
        return await self.api_client._invoke(SNAPSHOT, None, None, locals())

    async def models_snapshot_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> aiohttp.ClientResponse:
        """:meth:`models_snapshot`, returning the unread aiohttp response (read or release it)."""
        return await self.api_client._invoke_raw(SNAPSHOT, None, None, locals())

    # POST /models/create --------------------------------------------------------------------
    async def models_create_new_model(
        self,
        seeded_model: Optional[SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> Model:
        """Register a custom model (``POST /models/create``); Pieces OS marks it ``custom``
        and returns the existing model instead of creating a duplicate."""
        return (await self.api_client._invoke(CREATE, None, seeded_model, locals())).data

    async def models_create_new_model_with_http_info(
        self,
        seeded_model: Optional[SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ApiResponse[Model]:
        """:meth:`models_create_new_model` with status, headers and raw body."""
        return await self.api_client._invoke(CREATE, None, seeded_model, locals())

    async def models_create_new_model_without_preload_content(
        self,
        seeded_model: Optional[SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> aiohttp.ClientResponse:
        """:meth:`models_create_new_model`, returning the unread aiohttp response."""
        return await self.api_client._invoke_raw(CREATE, None, seeded_model, locals())

    # POST /models/{model}/delete ------------------------------------------------------------
    async def models_delete_specific_model(
        self,
        model: str,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> None:
        """Delete a custom model (``POST /models/{model}/delete``); built-in models refuse."""
        return (await self.api_client._invoke(DELETE, model, None, locals())).data

    async def models_delete_specific_model_with_http_info(
        self,
        model: str,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ApiResponse[None]:
        """:meth:`models_delete_specific_model` with status, headers and raw body."""
        return await self.api_client._invoke(DELETE, model, None, locals())

    async def models_delete_specific_model_without_preload_content(
        self,
        model: str,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> aiohttp.ClientResponse:
        """:meth:`models_delete_specific_model`, returning the unread aiohttp response."""
        return await self.api_client._invoke_raw(DELETE, model, None, locals())

    # POST /models/{model}/delete/cache ------------------------------------------------------
    async def models_delete_specific_model_cache(
        self,
        model: str,
        model_delete_cache_input: Optional[ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ModelDeleteCacheOutput:
        """Delete what an LLM model downloaded (``POST /models/{model}/delete/cache``)."""
        answer = await self.api_client._invoke(
            DELETE_CACHE, model, model_delete_cache_input, locals()
        )
        return answer.data

    async def models_delete_specific_model_cache_with_http_info(
        self,
        model: str,
        model_delete_cache_input: Optional[ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ApiResponse[ModelDeleteCacheOutput]:
        """:meth:`models_delete_specific_model_cache` with status, headers and raw body."""
        return await self.api_client._invoke(
            DELETE_CACHE, model, model_delete_cache_input, locals()
        )

    async def models_delete_specific_model_cache_without_preload_content(
        self,
        model: str,
        model_delete_cache_input: Optional[ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> aiohttp.ClientResponse:
        """:meth:`models_delete_specific_model_cache`, returning the unread aiohttp response."""
        return await self.api_client._invoke_raw(
            DELETE_CACHE, model, model_delete_cache_input, locals()
        )

    # POST /models/unload --------------------------------------------------------------------
    async def unload_models(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> None:
        """Unload every loaded model from memory (``POST /models/unload``)."""
        return (await self.api_client._invoke(UNLOAD, None, None, locals())).data

    async def unload_models_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ApiResponse[None]:
        """:meth:`unload_models` with status, headers and raw body."""
        return await self.api_client._invoke(UNLOAD, None, None, locals())

    async def unload_models_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> aiohttp.ClientResponse:
        """:meth:`unload_models`, returning the unread aiohttp response."""
        return await self.api_client._invoke_raw(UNLOAD, None, None, locals())

    # GET /models/stream/identifiers (a WebSocket) ---------------------------------------------
    def models_stream_identifiers(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> Opening[AsyncModelsStream[StreamedIdentifiers]]:
        """Open the models stream: ``await`` it (or ``async with`` it) for an async iterator
        of ``StreamedIdentifiers``."""
        from pieces_os_client.aio.stream import Opening, close_stream, open_stream

        options = locals()
        return Opening(lambda: _data(open_stream(self.api_client, STREAM, options)), close_stream)

    def models_stream_identifiers_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> Opening[ApiResponse[AsyncModelsStream[StreamedIdentifiers]]]:
        """:meth:`models_stream_identifiers` in an ``ApiResponse``: ``status_code`` 101, the
        upgrade answer's ``headers``, the open stream as ``data``."""
        from pieces_os_client.aio.stream import Opening, close_stream, open_stream

        options = locals()
        return Opening(lambda: open_stream(self.api_client, STREAM, options), close_stream)

    def models_stream_identifiers_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> Opening[AsyncModelsStream[str]]:
        """:meth:`models_stream_identifiers` yielding each message's text unparsed."""
        from pieces_os_client.aio.stream import Opening, close_stream, open_raw_stream

        options = locals()
        return Opening(lambda: open_raw_stream(self.api_client, STREAM, options), close_stream)

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

        return AsyncModelsWatcher(self, STREAM, locals())


async def _data(answer: Awaitable[ApiResponse[T]]) -> T:
    return (await answer).data
