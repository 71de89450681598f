"""Opening a stream operation: one attempt at a time through the backend, moving to where
Pieces OS listens when the default host refused the connection (as a call does).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar

from pieces_os_client._backends.asyncio_websocket import AsyncStream, open_once
from pieces_os_client._core.endpoint import NO_OPTIONS, RequestOptions
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.streaming import Message, message_decoder, text_message
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.exceptions import ApiConnectionError

T = TypeVar("T")

__all__ = ["open_raw_stream", "open_stream", "open_stream_with_http_info"]


async def open_stream(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> AsyncStream[T]:
    """Open a stream operation; each message parsed into its declared type.

    ``arguments`` holds the path parameters, ``options`` the call's options.
    """
    return (await open_stream_with_http_info(api_client, operation, arguments, options)).data


async def open_stream_with_http_info(
    api_client: AsyncApiClient,
    operation: Operation[T],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> ApiResponse[AsyncStream[T]]:
    """:func:`open_stream` in an ``ApiResponse``: status 101, the upgrade answer's headers,
    the stream as ``data``."""
    message_type = operation.response_model
    assert message_type is not None
    return await _open(api_client, operation, arguments, options, message_decoder(message_type))


async def open_raw_stream(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions = NO_OPTIONS,
) -> AsyncStream[str]:
    """Open a stream operation; its messages as received text."""
    return (await _open(api_client, operation, arguments, options, text_message)).data


async def _open(
    api_client: AsyncApiClient,
    operation: Operation[Any],
    arguments: Mapping[str, Any],
    options: RequestOptions,
    decode: Callable[[Message, Mapping[str, str]], T],
) -> ApiResponse[AsyncStream[T]]:
    from pieces_os_client._core.calls import MAX_MOVES
    from pieces_os_client.discovery import relocated_url_async

    moves = 0
    while True:
        try:
            return await open_once(api_client, operation, arguments, options, decode)
        except ApiConnectionError as error:
            # Refused at the default host: follow Pieces OS to where it listens now.
            if moves >= MAX_MOVES or error.__cause__ is None or not error.url:
                raise
            elsewhere = await relocated_url_async(
                api_client.configuration, error.url, error.__cause__
            )
            if elsewhere is None:
                raise
            moves += 1
