"""The one stream a machine reads (the watcher's, a download's progress), kept where
``close()`` can take it from another thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union

from pieces_os_client._backends.asyncio import Lock, Signal
from pieces_os_client.exceptions import ApiConnectionError

# The WebSocket side loads with the first stream opened, not with the API classes.
if TYPE_CHECKING:
    from pieces_os_client._backends.asyncio_websocket import AsyncStream

T = TypeVar("T")

__all__ = ["StreamSlot"]


class StreamSlot(Generic[T]):
    """Holds the open stream while ``closed`` is not raised; a stream opened after that is
    closed at once instead of kept.

    ``gone`` is what a receive says when the stream was taken away meanwhile.
    """

    def __init__(self, closed: Signal, gone: str) -> None:
        self._closed = closed
        self._gone = gone
        self._stream: Optional[AsyncStream[T]] = None
        self._lock = Lock()

    async def receive(self, timeout: Optional[float]) -> Union[T, Any]:
        """The next message, or ``TIMED_OUT``; a stream Pieces OS closed is a dropped one."""
        stream = self._stream
        if stream is None:  # closed meanwhile
            raise ApiConnectionError(self._gone)
        try:
            return await stream._receive(timeout)
        except StopAsyncIteration:
            from pieces_os_client._core.streaming import dropped

            raise dropped(stream.url, "Pieces OS closed the stream") from None

    async def keep(self, stream: AsyncStream[T]) -> None:
        """Hold ``stream``, unless ``closed`` was raised while it opened."""
        with self._lock:
            keep = not self._closed.is_set()
            if keep:
                self._stream = stream
        if not keep:
            await stream.close()

    async def forget(self) -> None:
        """Close the held stream, if any; safe more than once."""
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            await stream.close()
