"""The hand-written part of the sync API classes: what every class shares (its client) and the
methods that are more than one operation (``models_watch``, ``download``).

The generated classes (``api/models_api.py``, ``api/model_api.py``) derive from these; their
operation methods come from the table in :mod:`pieces_os_client._core.operations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import TimeoutSpec

if TYPE_CHECKING:
    from pieces_os_client.stream import ModelsWatcher

__all__ = ["ModelApiExtras", "ModelsApiExtras", "SyncApi"]


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

        return ModelsWatcher(self.api_client, locals())


class ModelApiExtras(SyncApi):
    """``ModelApi``'s methods beyond the operations."""
