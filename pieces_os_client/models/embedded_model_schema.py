"""``EmbeddedModelSchema``: The schema version stamp Pieces OS attaches to its objects"""

from pydantic import StrictInt

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema_semantic_version_enum import (
    EmbeddedModelSchemaSemanticVersionEnum,
)


class EmbeddedModelSchema(WireModel):
    """The schema version stamp Pieces OS attaches to its objects.

    Example::

        >>> from pieces_os_client.models import EmbeddedModelSchema
        >>> EmbeddedModelSchema(migration=0, semantic="MAJOR_0_MINOR_0_PATCH_1").to_json()
        '{"migration":0,"semantic":"MAJOR_0_MINOR_0_PATCH_1"}'
    """

    migration: StrictInt
    semantic: EmbeddedModelSchemaSemanticVersionEnum
