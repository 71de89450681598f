"""``ApiResponse``: what the ``*_with_http_info`` methods return."""

from __future__ import annotations

from typing import Dict, Generic, Mapping, Optional, TypeVar

from pydantic import BaseModel, ConfigDict, StrictBytes, StrictInt, field_serializer

T = TypeVar("T")

__all__ = ["ApiResponse"]


class ApiResponse(BaseModel, Generic[T]):
    """The parsed ``data`` together with the status, headers and raw body.

    A pydantic model, as in the published SDK: ``model_dump()`` and ``model_dump_json()`` work.

    Example::

        >>> from pieces_os_client.api_response import ApiResponse
        >>> r = ApiResponse(status_code=204, headers={}, data=None, raw_data=b"")
        >>> r.status_code, r.data
        (204, None)
        >>> r.model_dump()
        {'status_code': 204, 'headers': {}, 'data': None, 'raw_data': b''}
    """

    # Headers stay the transport's own case-insensitive mapping; built on first use, so
    # importing the SDK does not pay for this model's validator.
    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    status_code: StrictInt
    headers: Optional[Mapping[str, str]] = None
    data: T
    raw_data: StrictBytes

    @field_serializer("headers")
    def _plain_headers(self, headers: Optional[Mapping[str, str]]) -> Optional[Dict[str, str]]:
        # urllib3's and aiohttp's header mappings dump as plain dicts (repeats joined by ", ").
        return None if headers is None else {name: headers[name] for name in headers}

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"

    @classmethod
    def _received(
        cls, status_code: int, headers: Mapping[str, str], data: T, raw_data: bytes
    ) -> ApiResponse[T]:
        """An answer the SDK itself read: nothing to validate, so none of pydantic's cost.

        What ``model_construct`` does, without its per-field loop (this runs on every call).
        """
        response = cls.__new__(cls)
        fields = {
            "status_code": status_code,
            "headers": headers,
            "data": data,
            "raw_data": raw_data,
        }
        object.__setattr__(response, "__dict__", fields)
        object.__setattr__(response, "__pydantic_fields_set__", set(fields))
        object.__setattr__(response, "__pydantic_extra__", None)
        object.__setattr__(response, "__pydantic_private__", None)
        return response
