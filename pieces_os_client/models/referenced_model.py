"""``ReferencedModel``: A pointer to a model by id"""

from typing import Optional

from pydantic import Field, StrictStr

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ReferencedModel(WireModel):
    """A pointer to a model by id.

    Example::

        >>> from pieces_os_client.models import ReferencedModel
        >>> ReferencedModel(id="m1").to_json()
        '{"id":"m1"}'
    """

    id: StrictStr
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
