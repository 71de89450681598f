"""``SeededModel``: What you send to ``POST /models/create`` to register a custom model"""

from typing import ClassVar, FrozenSet, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.byte_descriptor import ByteDescriptor
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.external_ml_provider_enum import ExternalMLProviderEnum
from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
from pieces_os_client.models.model_capabilities import ModelCapabilities
from pieces_os_client.models.model_foundation_enum import ModelFoundationEnum
from pieces_os_client.models.model_max_tokens import ModelMaxTokens
from pieces_os_client.models.model_type_enum import ModelTypeEnum
from pieces_os_client.models.model_usage_enum import ModelUsageEnum
from pieces_os_client.models.referenced_entity import ReferencedEntity


class SeededModel(WireModel):
    """What you send to ``POST /models/create`` to register a custom model.

    Example::

        >>> from pieces_os_client.models import SeededModel, GroupedTimestamp
        >>> seed = SeededModel(name="my-llm", version="1.0", cloud=False, type="BALANCED",
        ...     usage="CODE_CONVERSATION", created=GroupedTimestamp(value="2024-05-01T12:00:00Z"))
        >>> seed.to_dict()["usage"] == "CODE_CONVERSATION"
        True
    """

    cloud: StrictBool
    created: GroupedTimestamp
    name: StrictStr
    type: ModelTypeEnum
    usage: ModelUsageEnum
    version: StrictStr
    bytes: Optional[ByteDescriptor] = None
    capabilities: Optional[ModelCapabilities] = None
    cpu: Optional[StrictBool] = None
    custom: Optional[StrictBool] = None
    denied: Optional[StrictBool] = None
    description: Optional[StrictStr] = None
    downloaded: Optional[StrictBool] = None
    foundation: Optional[ModelFoundationEnum] = None
    max_tokens: Optional[ModelMaxTokens] = Field(default=None, alias="maxTokens")
    organization: Optional[ReferencedEntity] = None
    parameters: Optional[Union[StrictInt, StrictFloat]] = None
    provider: Optional[ExternalMLProviderEnum] = None
    quantization: Optional[StrictStr] = None
    ram: Optional[ByteDescriptor] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    unique: Optional[StrictStr] = None

    _x_nullable: ClassVar[FrozenSet[str]] = frozenset({"parameters"})
