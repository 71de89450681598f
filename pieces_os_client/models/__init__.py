"""Every wire type of the Models API, one module per type (``pieces_os_client.models.model``, ...)."""

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
