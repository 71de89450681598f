"""Every wire type of the Models API, one module per type (``pieces_os_client.models.model``, ...).

Each name is imported on first use (PEP 562): ``from pieces_os_client import ModelsApi`` does
not load pydantic's model machinery or the 20 model classes until a model is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

__all__ = [
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
]

#: The module each name lives in (``ByteDescriptor`` -> ``byte_descriptor``).
_MODULES: Dict[str, str] = {
    "WireEnum": "_base",
    "WireModel": "_base",
    "ByteDescriptor": "byte_descriptor",
    "EmbeddedModelSchema": "embedded_model_schema",
    "EmbeddedModelSchemaSemanticVersionEnum": "embedded_model_schema_semantic_version_enum",
    "ExternalMLProviderEnum": "external_ml_provider_enum",
    "GroupedTimestamp": "grouped_timestamp",
    "Model": "model",
    "ModelCapabilities": "model_capabilities",
    "ModelDeleteCacheInput": "model_delete_cache_input",
    "ModelDeleteCacheOutput": "model_delete_cache_output",
    "ModelFoundationEnum": "model_foundation_enum",
    "ModelMaxTokens": "model_max_tokens",
    "ModelTypeEnum": "model_type_enum",
    "ModelUsageEnum": "model_usage_enum",
    "Models": "models",
    "ReferencedEntity": "referenced_entity",
    "ReferencedModel": "referenced_model",
    "Score": "score",
    "SeededModel": "seeded_model",
    "StreamedIdentifier": "streamed_identifier",
    "StreamedIdentifiers": "streamed_identifiers",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'pieces_os_client.models' has no attribute {name!r}")
    # __import__ rather than importlib.import_module: -X importtime then reports it.
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_MODULES))


if TYPE_CHECKING:
    from pieces_os_client.models._base import WireEnum, WireModel
    from pieces_os_client.models.byte_descriptor import ByteDescriptor
    from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
    from pieces_os_client.models.embedded_model_schema_semantic_version_enum import (
        EmbeddedModelSchemaSemanticVersionEnum,
    )
    from pieces_os_client.models.external_ml_provider_enum import ExternalMLProviderEnum
    from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
    from pieces_os_client.models.model import Model
    from pieces_os_client.models.model_capabilities import ModelCapabilities
    from pieces_os_client.models.model_delete_cache_input import ModelDeleteCacheInput
    from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput
    from pieces_os_client.models.model_foundation_enum import ModelFoundationEnum
    from pieces_os_client.models.model_max_tokens import ModelMaxTokens
    from pieces_os_client.models.model_type_enum import ModelTypeEnum
    from pieces_os_client.models.model_usage_enum import ModelUsageEnum
    from pieces_os_client.models.models import Models
    from pieces_os_client.models.referenced_entity import ReferencedEntity
    from pieces_os_client.models.referenced_model import ReferencedModel
    from pieces_os_client.models.score import Score
    from pieces_os_client.models.seeded_model import SeededModel
    from pieces_os_client.models.streamed_identifier import StreamedIdentifier
    from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
