"""``ApiClient``: owns the connection pool, default headers and (de)serialization.

One ``ApiClient`` is safe to share between threads. Use it as a context manager so its
connections are closed when you are done.
"""

from __future__ import annotations

import datetime as _dt
import json
from enum import Enum
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Tuple, TypeVar, Union

import urllib3

from pieces_os_client import rest
from pieces_os_client._client_base import (
    DEFAULT_USER_AGENT,
    ClientBase,
    _log_answer,
    _log_failure,
    _timing,
)
from pieces_os_client._endpoint import (
    Endpoint,
    PreparedRequest,
    check_header,
    encode_path_segment,
    interpret,
    prepare,
)
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import Configuration, TimeoutSpec
from pieces_os_client.exceptions import ApiTypeError, ApiValueError

T = TypeVar("T")

__all__ = ["DEFAULT_USER_AGENT", "ApiClient"]


class ApiClient(ClientBase):
    """The HTTP client every ``*Api`` class sends through.

    Example::

        >>> from pieces_os_client import ApiClient, Configuration
        >>> with ApiClient(Configuration(host="http://127.0.0.1:1000")) as client:
        ...     client.user_agent
        'pieces-os-client-python/0.1.0'
    """

    _default: ClassVar[Optional[ApiClient]] = None

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        super().__init__(configuration, header_name, header_value, cookie)
        self.rest_client = rest.RESTClientObject(self.configuration)

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections. The client stays usable (it reconnects on demand)."""
        self.rest_client.close()

    # --- the published SDK's three-step API --------------------------------------------------
    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Optional[Mapping[str, Any]] = None,
        query_params: Optional[List[Tuple[str, Any]]] = None,
        header_params: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        files: Any = None,
        auth_settings: Optional[List[str]] = None,
        collection_formats: Any = None,
        _host: Optional[str] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
    ) -> Tuple[str, str, Dict[str, str], Any, Any]:
        """Build ``(method, url, headers, body, post_params)`` for :meth:`call_api`."""
        if files:
            raise ApiValueError("file uploads are not used by the Models API")
        path = resource_path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", encode_path_segment(value, name))
        url = (_host or self.configuration.host) + path
        if query_params:
            from urllib.parse import urlencode

            url += "?" + urlencode(
                [(k, self.sanitize_for_serialization(v)) for k, v in query_params]
            )
        headers = dict(self.default_headers)
        for name, value in (header_params or {}).items():
            check_header(name, value)
            headers[name] = value
        settings = (
            [_request_auth] if _request_auth else list(self.configuration.auth_settings().values())
        )
        for setting in settings:
            check_header(setting["key"], setting["value"])
            headers[setting["key"]] = setting["value"]
        if body is not None:
            body = self.sanitize_for_serialization(body)
            headers.setdefault("Content-Type", "application/json")
        return method, url, headers, body, post_params

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Optional[Dict[str, str]] = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Union[TimeoutSpec, urllib3.Timeout, None] = None,
    ) -> rest.RESTResponse:
        """Send a request; the body is not read yet. Connection problems raise
        :class:`~pieces_os_client.exceptions.ApiConnectionError`."""
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
        return self._send(method, url, header_params or {}, body, _request_timeout)

    def response_deserialize(
        self,
        response_data: rest.RESTResponse,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """Parse a read response into an :class:`ApiResponse`, or raise its ``ApiException``."""
        if response_data.data is None:
            raise ApiValueError("call read() on the response before response_deserialize()")
        type_name = (response_types_map or {}).get(str(response_data.status))
        returns = _model_class(type_name) if type_name and type_name != "str" else None
        endpoint: Endpoint[Any] = Endpoint("call_api", "", "", returns=returns)
        return interpret(
            endpoint,
            response_data.status,
            response_data.reason,
            response_data.getheaders(),
            response_data.data,
        )

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models, enums, datetimes and containers into JSON-ready Python values."""
        if obj is None or isinstance(obj, (str, int, float, bool)):
            return obj.value if isinstance(obj, Enum) else obj
        wire_dict = getattr(obj, "_wire_dict", None)
        if wire_dict is not None:  # a WireModel (not imported here: models load on first use)
            # What to_json() writes, as Python values: one pydantic-core pass, no JSON round trip.
            return wire_dict("json")
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, (list, tuple)):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, (_dt.datetime, _dt.date)):
            return obj.isoformat()
        if isinstance(obj, dict):
            return {str(k): self.sanitize_for_serialization(v) for k, v in obj.items()}
        raise ApiTypeError(f"cannot send a {type(obj).__name__} as JSON")

    def select_header_accept(self, accepts: List[str]) -> Optional[str]:
        """``application/json`` when offered, else the first of ``accepts``."""
        if not accepts:
            return None
        return next((a for a in accepts if "json" in a.lower()), accepts[0])

    def select_header_content_type(self, content_types: List[str]) -> Optional[str]:
        """``application/json`` when offered, else the first of ``content_types``."""
        return self.select_header_accept(content_types)

    # --- the one request path every endpoint method goes through ------------------------------
    def _invoke(
        self,
        endpoint: Endpoint[T],
        path_value: Any,
        body_value: Any,
        options: Mapping[str, Any],
    ) -> ApiResponse[T]:
        request = prepare(
            self.configuration, self.default_headers, endpoint, path_value, body_value, options
        )
        # Preloaded: the body is read inside urllib3's retry loop (a GET cut short is retried).
        # Read errors surface inside that call, already translated by the REST client.
        response = self._send_prepared(request, preload_content=True)
        return interpret(
            endpoint, response.status, response.reason, response.getheaders(), response.read()
        )

    def _invoke_raw(
        self,
        endpoint: Endpoint[Any],
        path_value: Any,
        body_value: Any,
        options: Mapping[str, Any],
    ) -> urllib3.BaseHTTPResponse:
        request = prepare(
            self.configuration, self.default_headers, endpoint, path_value, body_value, options
        )
        return self._send_prepared(request).response

    def _send_prepared(
        self, request: PreparedRequest, preload_content: bool = False
    ) -> rest.RESTResponse:
        return self._send(
            request.method,
            request.url,
            request.headers,
            request.body,
            request.timeout,
            preload_content,
        )

    def _send(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        body: Optional[Union[bytes, str]],
        timeout: Union[TimeoutSpec, urllib3.Timeout, None],
        preload_content: bool = False,
    ) -> rest.RESTResponse:
        debug_logger = self.configuration._get_debug_logger()
        started = _timing(debug_logger)
        try:
            response = self.rest_client.request(
                method,
                url,
                headers,
                body,
                _request_timeout=timeout,
                preload_content=preload_content,
            )
        except Exception as error:
            if started is not None:
                _log_failure(debug_logger, method, url, error, started)
            raise
        if started is not None:
            _log_answer(debug_logger, method, url, response.status, started)
        return response


def _model_class(type_name: str) -> Any:
    from pieces_os_client import models

    model_class = getattr(models, type_name, None)
    if model_class is None:
        raise ApiValueError(f"unknown response type {type_name!r}")
    return model_class
