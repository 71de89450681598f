"""``EmbeddedModelSchemaSemanticVersionEnum``: Semantic version of the embedded schema"""

from pieces_os_client.models._base import WireEnum


class EmbeddedModelSchemaSemanticVersionEnum(WireEnum):
    """Semantic version of the embedded schema.

    Values a newer Pieces OS adds still parse; check ``.is_known``::

        >>> from pieces_os_client.models import EmbeddedModelSchemaSemanticVersionEnum
        >>> EmbeddedModelSchemaSemanticVersionEnum("MAJOR_0_MINOR_0_PATCH_1").is_known, EmbeddedModelSchemaSemanticVersionEnum("SOMETHING_NEW").is_known
        (True, False)
    """

    UNKNOWN = "UNKNOWN"
    MAJOR_0_MINOR_0_PATCH_1 = "MAJOR_0_MINOR_0_PATCH_1"
