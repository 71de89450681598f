"""``GroupedTimestamp``: A point in time (``value``), with an optional human-readable form"""

from typing import Optional

from pydantic import Field, StrictStr

from pieces_os_client.models._base import Timestamp, WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class GroupedTimestamp(WireModel):
    """A point in time (``value``), with an optional human-readable form.

    Example::

        >>> from pieces_os_client.models import GroupedTimestamp
        >>> GroupedTimestamp.from_json('{"value": "2024-05-01T12:00:00"}').to_json()
        '{"value":"2024-05-01T12:00:00Z"}'
    """

    value: Timestamp
    readable: Optional[StrictStr] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
