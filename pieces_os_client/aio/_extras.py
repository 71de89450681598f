"""The hand-written part of the async API classes: what every class shares (its client) and
the methods that are more than one operation (``models_watch``, ``download``).

The generated classes (``aio/models_api.py``, ``aio/model_api.py``) derive from these; their
operation methods come from the table in :mod:`pieces_os_client._core.operations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.configuration import TimeoutSpec

if TYPE_CHECKING:
    from pieces_os_client.aio.stream import AsyncModelsWatcher

__all__ = ["AsyncApi", "AsyncModelApiExtras", "AsyncModelsApiExtras"]


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

        return AsyncModelsWatcher(self.api_client, locals())


class AsyncModelApiExtras(AsyncApi):
    """``AsyncModelApi``'s methods beyond the operations."""
