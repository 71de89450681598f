"""``ModelMaxTokens``: A model's token limits. ``total`` is required but may be null (unknown)"""

from typing import ClassVar, FrozenSet, Optional, Union

from pydantic import Field, StrictFloat, StrictInt

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ModelMaxTokens(WireModel):
    """A model's token limits. ``total`` is required but may be null (unknown).

    Example::

        >>> from pieces_os_client.models import ModelMaxTokens
        >>> ModelMaxTokens(total=None).to_json()
        '{"total":null}'
    """

    total: Optional[Union[StrictInt, StrictFloat]]
    input: Optional[Union[StrictInt, StrictFloat]] = None
    output: Optional[Union[StrictInt, StrictFloat]] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")

    _x_nullable: ClassVar[FrozenSet[str]] = frozenset({"input", "output", "total"})
