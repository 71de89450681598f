"""``ByteDescriptor``: A size in bytes, with a human-readable form such as ``"4.1 GB"``"""

from typing import Optional

from pydantic import Field, StrictInt, StrictStr

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ByteDescriptor(WireModel):
    """A size in bytes, with a human-readable form such as ``"4.1 GB"``.

    Example::

        >>> from pieces_os_client.models import ByteDescriptor
        >>> ByteDescriptor(value=1024, readable="1 KB").value
        1024
    """

    readable: StrictStr
    value: StrictInt
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
