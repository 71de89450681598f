"""``ApiClient``: owns the connection pool, default headers and (de)serialization.

One ``ApiClient`` is safe to share between threads. Use it as a context manager so its
connections are closed when you are done.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
from enum import Enum
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    Iterable,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

import urllib3

from pieces_os_client import rest
from pieces_os_client._client_base import (
    DEFAULT_USER_AGENT,
    ClientBase,
    _log_answer,
    _log_failure,
    _timing,
)
from pieces_os_client._core.endpoint import (
    NO_OPTIONS,
    PreparedRequest,
    RequestOptions,
    _response_class,
    apply_auth_setting,
    attach_body,
    build_request,
    encode_path_segment,
    interpret,
    prepare,
)
from pieces_os_client._core.operations import Operation
from pieces_os_client._core.type_names import (
    NATIVE_TYPES,
    collection_pairs,
    is_model_name,
    model_class,
    parse_text,
    query_quote,
    query_text,
    unchanged,
)
from pieces_os_client.configuration import Configuration, TimeoutSpec

if TYPE_CHECKING:
    from pieces_os_client.api_response import ApiResponse
from pieces_os_client.exceptions import (
    ApiTypeError,
    ApiValueError,
)

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

    #: Values sent as they are (the published SDK's names).
    PRIMITIVE_TYPES: ClassVar[Tuple[type, ...]] = (float, bool, bytes, str, int)
    #: Type names :meth:`deserialize` understands besides the model names.
    NATIVE_TYPES_MAPPING: ClassVar[Dict[str, type]] = NATIVE_TYPES

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
            self.files_parameters(files)  # raises: the Models API takes no uploads
        path = resource_path
        for name, value in (path_params or {}).items():
            path = path.replace("{" + name + "}", encode_path_segment(value, name))
        queries = list(query_params or ())
        request = build_request(
            method,
            _host or self.configuration.host,
            path,
            self.default_headers,
            headers=header_params,
            queries=queries,
        )
        # As in the published SDK: only the schemes named in auth_settings are applied, by
        # update_params_for_auth (which 5.0.1 code may override).
        self.update_params_for_auth(
            request.headers, queries, auth_settings, path, method, body, _request_auth
        )
        if queries:
            request.url += "?" + self.parameters_to_url_query(
                self.sanitize_for_serialization(queries), collection_formats
            )
        if body is not None:
            attach_body(request, self.sanitize_for_serialization(body), None)
        return method, request.url, request.headers, request.body, post_params

    def _auth_for(
        self, auth_settings: Optional[List[str]], request_auth: Optional[Mapping[str, Any]]
    ) -> List[Mapping[str, Any]]:
        """The auth settings :meth:`update_params_for_auth` applies, in its order."""
        if not auth_settings:
            return []
        if request_auth:
            return [request_auth]
        configured = self.configuration.auth_settings()
        return [configured[name] for name in auth_settings if configured.get(name)]

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
        """Parse a read response into an :class:`ApiResponse`, or raise its ``ApiException``.

        ``response_types_map`` maps a status (``"200"``, or a range such as ``"2XX"``) to the
        published SDK's type name: a model (``"Models"``), ``"bytearray"`` (the raw bytes) or
        any name :meth:`deserialize` reads (``"str"``, ``"List[Model]"``...).
        """
        if response_data.data is None:
            raise ApiValueError("call read() on the response before response_deserialize()")
        status = response_data.status
        types = response_types_map or {}
        type_name = types.get(str(status)) or types.get(f"{str(status)[:1]}XX")
        headers = response_data.getheaders()
        if 200 <= status <= 299 and type_name and not is_model_name(type_name):
            body = response_data.data
            if type_name == "bytearray":
                return _response_class()._received(status, headers, body, body)
            text = body.decode("utf-8", errors="replace")
            data = self.deserialize(text, type_name, response_data.getheader("Content-Type"))
            return _response_class()._received(status, headers, data, body)
        returns = model_class(type_name) if type_name and is_model_name(type_name) else None
        return interpret(returns, status, response_data.reason, headers, response_data.data)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models, enums, datetimes and containers into JSON-ready Python values.

        As in the published SDK: tuples stay tuples, ``Decimal`` becomes its text and a
        pydantic ``SecretStr`` its secret.
        """
        if obj is None or isinstance(obj, (str, int, float, bool)):
            return obj.value if isinstance(obj, Enum) else obj
        wire_dict = getattr(obj, "_wire_dict", None)
        if wire_dict is not None:  # a WireModel (not imported here: models load on first use)
            # What to_json() writes, as Python values: one pydantic-core pass, no JSON round trip.
            return wire_dict("json")
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, list):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(item) for item in obj)
        if isinstance(obj, (_dt.datetime, _dt.date)):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {str(k): self.sanitize_for_serialization(v) for k, v in obj.items()}
        if isinstance(obj, bytes):
            return obj
        secret = getattr(obj, "get_secret_value", None)
        if callable(secret):
            return secret()
        raise ApiTypeError(f"cannot send a {type(obj).__name__} as JSON")

    def deserialize(
        self, response_text: str, response_type: str, content_type: Optional[str]
    ) -> Any:
        """Parse a response body as ``response_type`` (a model name such as ``"Models"``,
        ``"str"``, ``"int"``, ``"List[Model]"``, ``"Dict[str, int]"``, ``"datetime"``...).

        The ``content_type`` decides how the text is read: JSON for ``application/json``
        (and ``+json``), the text itself for ``text/*``, JSON-or-text when it is None.
        A body that does not parse raises
        :class:`~pieces_os_client.exceptions.ApiResponseValidationError` (a ``ValueError``).

        Example::

            >>> from pieces_os_client import ApiClient
            >>> ApiClient().deserialize('{"id": "m1"}', "ReferencedModel", "application/json").id
            'm1'
        """
        return parse_text(response_text, response_type, content_type)

    def parameters_to_tuples(
        self,
        params: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> List[Tuple[str, Any]]:
        """``(name, value)`` pairs, with list values joined or repeated as their collection
        format says (``multi``: one pair per item; ``csv``, ``ssv``, ``tsv``, ``pipes``).

        Example::

            >>> from pieces_os_client import ApiClient
            >>> ApiClient().parameters_to_tuples({"ids": ["a", "b"], "n": 1}, {"ids": "csv"})
            [('ids', 'a,b'), ('n', 1)]
        """
        return collection_pairs(params, collection_formats, unchanged, str)

    def parameters_to_url_query(
        self,
        params: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]],
    ) -> str:
        """A percent-encoded query string (``a=Hello%20World&b=true``), collections formatted
        as in :meth:`parameters_to_tuples`; booleans are ``true``/``false``, dicts JSON.

        Example::

            >>> from pieces_os_client import ApiClient
            >>> ApiClient().parameters_to_url_query({"q": "a b", "exact": True}, None)
            'q=a%20b&exact=true'
        """
        pairs = collection_pairs(params, collection_formats, query_text, query_quote)
        return "&".join(f"{name}={value}" for name, value in pairs)

    def files_parameters(self, files: Any) -> List[Tuple[str, Any]]:
        """File uploads: no Models API operation takes one, so this always refuses.

        Raises :class:`~pieces_os_client.exceptions.ApiValueError` (nothing is read or sent).
        """
        raise ApiValueError(
            "file uploads are not part of the Models API: no operation takes a file; "
            "send models as JSON bodies (e.g. SeededModel) instead"
        )

    def update_params_for_auth(
        self,
        headers: MutableMapping[str, str],
        queries: List[Tuple[str, Any]],
        auth_settings: Optional[List[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Add the credentials of the schemes named in ``auth_settings`` (``["application"]``
        sends ``X-Application-ID``) to ``headers`` / ``queries``; ``request_auth`` replaces
        them for one request. Nothing is added when ``auth_settings`` is empty.

        Example::

            >>> from pieces_os_client import ApiClient, Configuration
            >>> client = ApiClient(Configuration(api_key={"application": "my-app"}))
            >>> headers = {}
            >>> client.update_params_for_auth(headers, [], ["application"], "/models", "GET", None)
            >>> headers
            {'X-Application-ID': 'my-app'}
        """
        for setting in self._auth_for(auth_settings, request_auth):
            apply_auth_setting(headers, setting, queries)

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
        operation: Operation[T],
        arguments: Mapping[str, Any],
        options: RequestOptions = NO_OPTIONS,
    ) -> ApiResponse[T]:
        """Call ``operation`` with ``arguments`` (its path and body parameters) and
        ``options``."""
        request = prepare(self.configuration, self.default_headers, operation, arguments, options)
        # Preloaded: the body is read inside each attempt, so a GET cut short is retried.
        # Read errors surface inside that call, already translated by the REST client.
        response = self._send_prepared(request, preload_content=True)
        return interpret(
            operation.response_model,
            response.status,
            response.reason,
            response.getheaders(),
            response.read(),
            request,
        )

    def _invoke_raw(
        self,
        operation: Operation[Any],
        arguments: Mapping[str, Any],
        options: RequestOptions = NO_OPTIONS,
    ) -> urllib3.BaseHTTPResponse:
        """``operation``'s answer unread (the ``_without_preload_content`` variants)."""
        request = prepare(self.configuration, self.default_headers, operation, arguments, options)
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
