"""The root of every error the SDK raises, and the errors about an argument (raised before
anything is sent). Users import them from :mod:`pieces_os_client.exceptions`, the module they
say they belong to (``__module__``), so tracebacks, pickles and ``help()`` read as before.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

from pieces_os_client._error_text import render_path

__all__ = [
    "ApiAttributeError",
    "ApiKeyError",
    "ApiTypeError",
    "ApiValueError",
    "OpenApiException",
]

#: The module users import these from, and the one they name.
PUBLIC_MODULE = "pieces_os_client.exceptions"


class OpenApiException(Exception):
    """Root of every exception this SDK raises."""


class ApiTypeError(OpenApiException, TypeError, ValueError):
    """An argument has the wrong type. Raised before anything is sent.

    Also a ``ValueError``: the published SDK checked arguments with pydantic, whose
    ``ValidationError`` is a ``ValueError``, so ``except ValueError`` written for it still
    catches every bad argument.

    Example::

        >>> from pieces_os_client.exceptions import ApiTypeError
        >>> str(ApiTypeError("model must be a str, not int"))
        'model must be a str, not int'
    """

    def __init__(
        self,
        msg: str,
        path_to_item: Optional[Sequence[Union[str, int]]] = None,
        valid_classes: Optional[Sequence[type]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.path_to_item = path_to_item
        self.valid_classes = valid_classes
        self.key_type = key_type
        if path_to_item:
            msg = f"{msg} at {render_path(path_to_item)}"
        super().__init__(msg)


class _ItemError(OpenApiException):
    """An error about one argument, optionally located by ``path_to_item``."""

    def __init__(self, msg: str, path_to_item: Optional[Sequence[Union[str, int]]] = None) -> None:
        self.path_to_item = path_to_item
        if path_to_item:
            msg = f"{msg} at {render_path(path_to_item)}"
        super().__init__(msg)


class ApiValueError(_ItemError, ValueError):
    """An argument has a bad value (empty id, CR/LF in a header, ...). Raised before sending."""


class ApiAttributeError(_ItemError, AttributeError):
    """An attribute that does not exist was asked for."""


class ApiKeyError(_ItemError, KeyError):
    """A key that does not exist was asked for."""


for _error in (
    OpenApiException,
    ApiTypeError,
    _ItemError,
    ApiValueError,
    ApiAttributeError,
    ApiKeyError,
):
    _error.__module__ = PUBLIC_MODULE
del _error
