"""``ApiResponse``: what the ``*_with_http_info`` methods return."""

from __future__ import annotations

from typing import Generic, Mapping, Optional, TypeVar

T = TypeVar("T")

__all__ = ["ApiResponse"]


class ApiResponse(Generic[T]):
    """The parsed ``data`` together with the status, headers and raw body.

    Example::

        >>> from pieces_os_client.api_response import ApiResponse
        >>> r = ApiResponse(status_code=204, headers={}, data=None, raw_data=b"")
        >>> r.status_code, r.data
        (204, None)
    """

    __slots__ = ("data", "headers", "raw_data", "status_code")

    def __init__(
        self,
        *,
        status_code: int,
        headers: Optional[Mapping[str, str]] = None,
        data: T,
        raw_data: bytes,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.raw_data = raw_data

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"
