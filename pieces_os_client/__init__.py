"""pieces_os_client: a typed Python SDK for the Pieces OS Models API.

Every public name is importable from here and loaded on first use (PEP 562), so
``import pieces_os_client`` stays cheap.

Example::

    >>> import pieces_os_client
    >>> pieces_os_client.Configuration(host="http://127.0.0.1:1000").host
    'http://127.0.0.1:1000'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from pieces_os_client._version import __version__

_EXCEPTIONS = (
    "OpenApiException",
    "ApiTypeError",
    "ApiValueError",
    "ApiKeyError",
    "ApiAttributeError",
    "ApiConnectionError",
    "ApiTimeoutError",
    "ApiException",
    "BadRequestException",
    "UnauthorizedException",
    "ForbiddenException",
    "NotFoundException",
    "ConflictException",
    "UnprocessableEntityException",
    "ServiceException",
    "ApiResponseValidationError",
    "ApiResponseTooLargeError",
)
_MODELS = (
    "ByteDescriptor",
    "EmbeddedModelSchema",
    "EmbeddedModelSchemaSemanticVersionEnum",
    "ExternalMLProviderEnum",
    "GroupedTimestamp",
    "Model",
    "ModelCapabilities",
    "ModelDeleteCacheInput",
    "ModelDeleteCacheOutput",
    "ModelFoundationEnum",
    "ModelMaxTokens",
    "ModelTypeEnum",
    "ModelUsageEnum",
    "Models",
    "ReferencedEntity",
    "ReferencedModel",
    "Score",
    "SeededModel",
    "StreamedIdentifier",
    "StreamedIdentifiers",
    "WireEnum",
    "WireModel",
)

#: Where each public name lives; the module is imported the first time the name is used.
_LAZY: Dict[str, str] = {
    "Configuration": "pieces_os_client.configuration",
    "ApiClient": "pieces_os_client.api_client",
    "ApiResponse": "pieces_os_client.api_response",
    "ModelsApi": "pieces_os_client.api.models_api",
    "ModelsChange": "pieces_os_client._core.streaming",
    "discover": "pieces_os_client.discovery",
    **{name: "pieces_os_client.exceptions" for name in _EXCEPTIONS},
    **{name: "pieces_os_client.models" for name in _MODELS},
}

__all__ = [
    "ApiAttributeError",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiResponseTooLargeError",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ByteDescriptor",
    "Configuration",
    "ConflictException",
    "EmbeddedModelSchema",
    "EmbeddedModelSchemaSemanticVersionEnum",
    "ExternalMLProviderEnum",
    "ForbiddenException",
    "GroupedTimestamp",
    "Model",
    "ModelCapabilities",
    "ModelDeleteCacheInput",
    "ModelDeleteCacheOutput",
    "ModelFoundationEnum",
    "ModelMaxTokens",
    "ModelTypeEnum",
    "ModelUsageEnum",
    "Models",
    "ModelsApi",
    "ModelsChange",
    "NotFoundException",
    "OpenApiException",
    "ReferencedEntity",
    "ReferencedModel",
    "Score",
    "SeededModel",
    "ServiceException",
    "StreamedIdentifier",
    "StreamedIdentifiers",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "WireEnum",
    "WireModel",
    "__version__",
    "discover",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pieces_os_client' has no attribute {name!r}")
    # __import__ rather than importlib.import_module: -X importtime then reports it.
    value = getattr(__import__(module_name, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    # Only the public surface: not typing helpers or the lazy-loading machinery.
    return sorted(__all__)


if TYPE_CHECKING:
    from pieces_os_client._core.streaming import ModelsChange
    from pieces_os_client.api.models_api import ModelsApi
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.api_response import ApiResponse
    from pieces_os_client.configuration import Configuration
    from pieces_os_client.discovery import discover
    from pieces_os_client.exceptions import (
        ApiAttributeError,
        ApiConnectionError,
        ApiException,
        ApiKeyError,
        ApiResponseTooLargeError,
        ApiResponseValidationError,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        BadRequestException,
        ConflictException,
        ForbiddenException,
        NotFoundException,
        OpenApiException,
        ServiceException,
        UnauthorizedException,
        UnprocessableEntityException,
    )
    from pieces_os_client.models import (
        ByteDescriptor,
        EmbeddedModelSchema,
        EmbeddedModelSchemaSemanticVersionEnum,
        ExternalMLProviderEnum,
        GroupedTimestamp,
        Model,
        ModelCapabilities,
        ModelDeleteCacheInput,
        ModelDeleteCacheOutput,
        ModelFoundationEnum,
        ModelMaxTokens,
        Models,
        ModelTypeEnum,
        ModelUsageEnum,
        ReferencedEntity,
        ReferencedModel,
        Score,
        SeededModel,
        StreamedIdentifier,
        StreamedIdentifiers,
        WireEnum,
        WireModel,
    )
