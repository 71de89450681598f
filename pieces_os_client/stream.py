"""The WebSocket operations, sync: any stream of the table, and the models watcher.

Needs the ``stream`` extra (``pip install 'pieces-os-models[stream]'``, which brings the
``websockets`` library). You rarely import this module yourself: the API classes hand out its
objects.

- :meth:`ModelsApi.models_stream_identifiers() <pieces_os_client.ModelsApi.models_stream_identifiers>`
  opens ``GET /models/stream/identifiers`` and returns a :class:`Stream`: an iterator of
  ``StreamedIdentifiers`` and a context manager that closes it;
  :meth:`ModelApi.model_specific_model_download_progress()
  <pieces_os_client.ModelApi.model_specific_model_download_progress>` likewise, of
  ``ModelDownloadProgress``, and :meth:`WellKnownApi.get_well_known_stream_health()
  <pieces_os_client.WellKnownApi.get_well_known_stream_health>` of text (``str``). Every
  stream operation is opened by the same code here.
- :meth:`ModelsApi.models_watch() <pieces_os_client.ModelsApi.models_watch>` returns a
  :class:`ModelsWatcher`: an iterator of :class:`ModelsChange` (what was added, updated,
  removed, and the current ``Models``) that reconnects by itself.

Example::

    from pieces_os_client import ApiClient, Configuration, ModelsApi

    with ApiClient(Configuration()) as api_client:
        with ModelsApi(api_client).models_watch() as watcher:
            for change in watcher:
                print(change)  # "initial: added ... (15 models)", then one line per change
                break

The objects come from the sync runtime (:mod:`pieces_os_client._sync`, generated from the async
one) and the ``websockets`` edge (:mod:`pieces_os_client._backends.sync_websocket`).
"""

from __future__ import annotations

from pieces_os_client._backends.sync_websocket import Stream
from pieces_os_client._core.watch import ModelsChange
from pieces_os_client._sync.streams import open_raw_stream as open_raw_stream
from pieces_os_client._sync.streams import open_stream as open_stream
from pieces_os_client._sync.streams import (
    open_stream_with_http_info as open_stream_with_http_info,
)
from pieces_os_client._sync.watcher import ModelsWatcher

__all__ = ["ModelsChange", "ModelsStream", "ModelsWatcher", "Stream"]

#: The name the models stream's class had first; every stream is a :class:`Stream`.
ModelsStream = Stream
