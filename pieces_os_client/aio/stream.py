"""The WebSocket operations and the models watcher as coroutines, over aiohttp's client.

Needs only the ``async`` extra (aiohttp). The async API classes hand out these objects; they
behave like their sync twins in :mod:`pieces_os_client.stream`, which are generated from them
(:mod:`pieces_os_client._async`); the socket is aiohttp's
(:mod:`pieces_os_client._backends.asyncio_websocket`).

Each method returns an object you either ``await`` or use with ``async with`` (which also
closes it)::

    import asyncio

    from pieces_os_client import Configuration
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi


    async def main() -> None:
        async with AsyncApiClient(Configuration()) as api_client:
            async with AsyncModelsApi(api_client).models_watch() as watcher:
                async for change in watcher:
                    print(change)
                    break


    asyncio.run(main())
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Generator, Generic, Mapping, Optional, TypeVar, Union

from pieces_os_client._async import streams
from pieces_os_client._async.watcher import AsyncModelsWatcher
from pieces_os_client._backends.asyncio_websocket import AsyncStream
from pieces_os_client._core.endpoint import NO_OPTIONS, RequestOptions
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.watch import ModelsChange
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.api_response import ApiResponse

T = TypeVar("T")
_Closable = TypeVar("_Closable")

__all__ = ["AsyncModelsStream", "AsyncModelsWatcher", "AsyncStream", "ModelsChange", "Opening"]

#: The name the models stream's class had first; every stream is an :class:`AsyncStream`.
AsyncModelsStream = AsyncStream


class Opening(Generic[_Closable]):
    """What the stream methods return: ``await`` it for the object, or ``async with`` it to
    have the object closed at the end of the block."""

    def __init__(
        self,
        open: Callable[[], Awaitable[_Closable]],
        close: Callable[[_Closable], Awaitable[None]],
    ) -> None:
        self._open = open
        self._close = close
        self._value: Optional[_Closable] = None

    def __await__(self) -> Generator[Any, None, _Closable]:
        return self._open().__await__()

    async def __aenter__(self) -> _Closable:
        self._value = await self._open()
        return self._value

    async def __aexit__(self, *exc_info: object) -> None:
        if self._value is not None:
            await self._close(self._value)


def open_stream(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[AsyncStream[T]]:
    """Open a stream operation, each message parsed into its declared type: ``await`` the
    result for the stream, or ``async with`` it to have the stream closed at the end.
    ``arguments`` holds the path parameters, ``options`` the call's options."""
    arguments = dict(arguments)  # the caller's mapping may change before the stream opens
    return Opening(lambda: streams.open_stream(api_client, operation, arguments, options), _close)


def open_stream_with_http_info(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[ApiResponse[AsyncStream[T]]]:
    """:func:`open_stream` in an ``ApiResponse``: status 101, the upgrade answer's headers,
    the stream as ``data``."""
    arguments = dict(arguments)
    return Opening(
        lambda: streams.open_stream_with_http_info(api_client, operation, arguments, options),
        _close,
    )


def open_raw_stream(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> Opening[AsyncStream[str]]:
    """Open a stream operation; its messages as received text."""
    arguments = dict(arguments)
    return Opening(
        lambda: streams.open_raw_stream(api_client, operation, arguments, options), _close
    )


async def _close(answer: Union[AsyncStream[Any], ApiResponse[Any]]) -> None:
    stream = answer.data if isinstance(answer, ApiResponse) else answer
    await stream.close()
