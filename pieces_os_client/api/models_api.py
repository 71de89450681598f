"""``ModelsApi``: the five Models API endpoints, each in three variants.

The endpoints are declared once below (``SNAPSHOT``, ``CREATE``, ...) and served to both the
sync client and ``pieces_os_client.aio``. Each method is a declaration: its signature names
its arguments and the per-call options, and its body is one call into the shared request
path, ``api_client._invoke(ENDPOINT, path_value, body_value, locals())``. ``locals()`` hands
over the options by name (the names :class:`~pieces_os_client._core.endpoint.RequestOptions`
lists), so the plumbing lives once, in ``_endpoint.prepare``. A new operation is one
``Endpoint(...)`` here and three methods shaped exactly like their neighbours, here and in
``aio/models_api.py``.

- ``name(...)`` returns the parsed data (or None for 204 endpoints);
- ``name_with_http_info(...)`` returns an :class:`~pieces_os_client.api_response.ApiResponse`
  with ``status_code``, ``headers``, ``data`` and ``raw_data``;
- ``name_without_preload_content(...)`` returns urllib3's response unread and raises nothing
  for error statuses: read it (``.data``) or ``release_conn()`` it yourself.

Every method takes the per-call options as keyword parameters, as the published SDK does:

- ``_request_timeout``: seconds for the whole attempt, or ``(connect, read)``;
- ``_request_auth``: one auth setting (``{"in": "header", "key": ..., "value": ...}``) used
  instead of the configured ones for this call;
- ``_content_type``: the ``Content-Type`` sent with a body;
- ``_headers``: extra headers for this call;
- ``_host_index``: the server to use (only ``0`` exists).

The sixth operation, ``GET /models/stream/identifiers``, is a WebSocket (it needs the
``stream`` extra): ``models_stream_identifiers(...)`` returns an open
:class:`~pieces_os_client.stream.ModelsStream` of ``StreamedIdentifiers``, its
``_with_http_info`` variant that stream inside an ``ApiResponse`` (status 101 and the
upgrade's headers), its ``_without_preload_content`` variant a stream of the messages' raw
text. ``models_watch(...)`` builds a :class:`~pieces_os_client.stream.ModelsWatcher` on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

import urllib3

# Models (and ApiResponse, a pydantic model too) are named through the lazily loaded packages,
# so importing this module loads none of them; typing.get_type_hints still resolves them.
import pieces_os_client
from pieces_os_client import models
from pieces_os_client._client_base import _api_repr, _check_api_client
from pieces_os_client._core.endpoint import Endpoint
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import TimeoutSpec

if TYPE_CHECKING:
    from pieces_os_client.stream import ModelsStream, ModelsWatcher

__all__ = ["ModelsApi"]

SNAPSHOT: Endpoint[models.Models] = Endpoint("models_snapshot", "GET", "/models", returns="Models")
CREATE: Endpoint[models.Model] = Endpoint(
    "models_create_new_model",
    "POST",
    "/models/create",
    returns="Model",
    body_param="seeded_model",
    body_type="SeededModel",
)
DELETE: Endpoint[None] = Endpoint(
    "models_delete_specific_model",
    "POST",
    "/models/{model}/delete",
    path_param="model",
    success_status=204,
)
DELETE_CACHE: Endpoint[models.ModelDeleteCacheOutput] = Endpoint(
    "models_delete_specific_model_cache",
    "POST",
    "/models/{model}/delete/cache",
    returns="ModelDeleteCacheOutput",
    path_param="model",
    body_param="model_delete_cache_input",
    body_type="ModelDeleteCacheInput",
)
UNLOAD: Endpoint[None] = Endpoint("unload_models", "POST", "/models/unload", success_status=204)

#: Every HTTP endpoint of this API, in the order of the docs.
ENDPOINTS = (SNAPSHOT, CREATE, DELETE, DELETE_CACHE, UNLOAD)
#: The WebSocket: each message is a ``StreamedIdentifiers`` (see :mod:`pieces_os_client.stream`).
STREAM: Endpoint[models.StreamedIdentifiers] = Endpoint(
    "models_stream_identifiers",
    "GET",
    "/models/stream/identifiers",
    returns="StreamedIdentifiers",
    success_status=101,
)


class ModelsApi:
    """The Models API of Pieces OS.

    Example::

        >>> import pieces_os_client
        >>> from pieces_os_client.testing import LocalPiecesOS
        >>> with LocalPiecesOS() as server, server.client() as api_client:
        ...     api = pieces_os_client.ModelsApi(api_client)
        ...     len(api.models_snapshot().iterable) > 0
        True
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        if api_client is not None:
            _check_api_client("ModelsApi", api_client, is_async=False)
        self.api_client = api_client if api_client is not None else ApiClient.get_default()

    def __repr__(self) -> str:
        return _api_repr(self)

    # GET /models ----------------------------------------------------------------------------
    def models_snapshot(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> models.Models:
        """Every model Pieces OS knows (``GET /models``)."""
        return self.api_client._invoke(SNAPSHOT, None, None, locals()).data

    def models_snapshot_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[models.Models]:
        """:meth:`models_snapshot` with status, headers and raw body."""
        return self.api_client._invoke(SNAPSHOT, None, None, locals())

    def models_snapshot_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse:
        """:meth:`models_snapshot`, returning the unread urllib3 response."""
        return self.api_client._invoke_raw(SNAPSHOT, None, None, locals())

    # POST /models/create --------------------------------------------------------------------
    def models_create_new_model(
        self,
        seeded_model: Optional[models.SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> models.Model:
        """Register a custom model (``POST /models/create``); Pieces OS marks it ``custom``
        and returns the existing model instead of creating a duplicate."""
        return self.api_client._invoke(CREATE, None, seeded_model, locals()).data

    def models_create_new_model_with_http_info(
        self,
        seeded_model: Optional[models.SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[models.Model]:
        """:meth:`models_create_new_model` with status, headers and raw body."""
        return self.api_client._invoke(CREATE, None, seeded_model, locals())

    def models_create_new_model_without_preload_content(
        self,
        seeded_model: Optional[models.SeededModel] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse:
        """:meth:`models_create_new_model`, returning the unread urllib3 response."""
        return self.api_client._invoke_raw(CREATE, None, seeded_model, locals())

    # POST /models/{model}/delete ------------------------------------------------------------
    def models_delete_specific_model(
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
        return self.api_client._invoke(DELETE, model, None, locals()).data

    def models_delete_specific_model_with_http_info(
        self,
        model: str,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[None]:
        """:meth:`models_delete_specific_model` with status, headers and raw body."""
        return self.api_client._invoke(DELETE, model, None, locals())

    def models_delete_specific_model_without_preload_content(
        self,
        model: str,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse:
        """:meth:`models_delete_specific_model`, returning the unread urllib3 response."""
        return self.api_client._invoke_raw(DELETE, model, None, locals())

    # POST /models/{model}/delete/cache ------------------------------------------------------
    def models_delete_specific_model_cache(
        self,
        model: str,
        model_delete_cache_input: Optional[models.ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> models.ModelDeleteCacheOutput:
        """Delete what an LLM model downloaded (``POST /models/{model}/delete/cache``)."""
        return self.api_client._invoke(DELETE_CACHE, model, model_delete_cache_input, locals()).data

    def models_delete_specific_model_cache_with_http_info(
        self,
        model: str,
        model_delete_cache_input: Optional[models.ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[models.ModelDeleteCacheOutput]:
        """:meth:`models_delete_specific_model_cache` with status, headers and raw body."""
        return self.api_client._invoke(DELETE_CACHE, model, model_delete_cache_input, locals())

    def models_delete_specific_model_cache_without_preload_content(
        self,
        model: str,
        model_delete_cache_input: Optional[models.ModelDeleteCacheInput] = None,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse:
        """:meth:`models_delete_specific_model_cache`, returning the unread urllib3 response."""
        return self.api_client._invoke_raw(DELETE_CACHE, model, model_delete_cache_input, locals())

    # POST /models/unload --------------------------------------------------------------------
    def unload_models(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> None:
        """Unload every loaded model from memory (``POST /models/unload``)."""
        return self.api_client._invoke(UNLOAD, None, None, locals()).data

    def unload_models_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[None]:
        """:meth:`unload_models` with status, headers and raw body."""
        return self.api_client._invoke(UNLOAD, None, None, locals())

    def unload_models_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> urllib3.BaseHTTPResponse:
        """:meth:`unload_models`, returning the unread urllib3 response."""
        return self.api_client._invoke_raw(UNLOAD, None, None, locals())

    # GET /models/stream/identifiers (a WebSocket) ---------------------------------------------
    def models_stream_identifiers(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ModelsStream[models.StreamedIdentifiers]:
        """Open the models stream: an iterator of ``StreamedIdentifiers`` and a context manager.

        The first message lists every model id, each later one the models that changed. Needs
        the ``stream`` extra. A server that does not upgrade raises the exception for its
        status (404 -> ``NotFoundException``...), one that cannot be reached
        ``ApiConnectionError``.
        """
        from pieces_os_client.stream import open_stream

        return open_stream(self.api_client, STREAM, locals()).data

    def models_stream_identifiers_with_http_info(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> pieces_os_client.ApiResponse[ModelsStream[models.StreamedIdentifiers]]:
        """:meth:`models_stream_identifiers` in an ``ApiResponse``: ``status_code`` 101, the
        upgrade answer's ``headers``, the open stream as ``data``."""
        from pieces_os_client.stream import open_stream

        return open_stream(self.api_client, STREAM, locals())

    def models_stream_identifiers_without_preload_content(
        self,
        *,
        _request_timeout: Optional[TimeoutSpec] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
        _content_type: Optional[str] = None,
        _headers: Optional[Mapping[str, str]] = None,
        _host_index: int = 0,
    ) -> ModelsStream[str]:
        """:meth:`models_stream_identifiers` yielding each message's text unparsed."""
        from pieces_os_client.stream import open_raw_stream

        return open_raw_stream(self.api_client, STREAM, locals())

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

        return ModelsWatcher(self, STREAM, locals())
