"""``Model``.

One machine-learning model: what it is, where it runs, and its state on this machine.
"""

from typing import ClassVar, FrozenSet, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from pieces_os_client._display.text import text_fields
from pieces_os_client.models._base import WireModel
from pieces_os_client.models._display import html_fields
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
from pieces_os_client.models.score import Score


class Model(WireModel):
    """One machine-learning model: what it is, where it runs, and its state on this machine.

    Example::

        >>> from pieces_os_client.models import Model
        >>> m = Model.from_json('{"id": "m1", "name": "Phi-3", "version": "3", "cloud": false,'
        ...     ' "type": "SPEED", "usage": "CODE_CONVERSATION", "created": {"value": "2024-05-01T12:00:00Z"}}')
        >>> m.name, m.usage.is_known
        ('Phi-3', True)
    """

    cloud: StrictBool
    created: GroupedTimestamp
    id: StrictStr
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
    downloading: Optional[StrictBool] = None
    foundation: Optional[ModelFoundationEnum] = None
    loaded: Optional[StrictBool] = None
    max_tokens: Optional[ModelMaxTokens] = Field(default=None, alias="maxTokens")
    organization: Optional[ReferencedEntity] = None
    parameters: Optional[Union[StrictInt, StrictFloat]] = None
    provider: Optional[ExternalMLProviderEnum] = None
    quantization: Optional[StrictStr] = None
    ram: Optional[ByteDescriptor] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    score: Optional[Score] = None
    unique: Optional[StrictStr] = None

    _x_nullable: ClassVar[FrozenSet[str]] = frozenset({"parameters"})

    # --- display (methods only: the fields above are the wire contract) ----------------------
    def __repr__(self) -> str:
        """Short on purpose: ``Model(id='...', name='...', usage='...')``. Every field is in
        ``str(model)``, ``to_dict()`` and ``to_json()``."""
        # Read from __dict__ so a half-built model (model_construct) still prints.
        fields = self.__dict__
        usage = fields.get("usage")
        usage = getattr(usage, "value", usage)
        return f"Model(id={fields.get('id')!r}, name={fields.get('name')!r}, usage={usage!r})"

    def __str__(self) -> str:
        """Every field with a value, one ``field  value`` line each (what ``print`` shows)."""
        return text_fields(self)

    def to_html(self) -> str:
        """The field/value table Jupyter shows for a model: id, name and version first, then
        every field with a value, every value escaped.

        Example::

            >>> from pieces_os_client.testing import builtin_catalogue
            >>> "<table" in builtin_catalogue()[0].to_html()
            True
        """
        return html_fields(self)

    def _repr_html_(self) -> str:
        return self.to_html()
