"""``ModelMaxTokens``: A model's token limits. ``total`` may be null (unknown)"""

from typing import ClassVar, FrozenSet, Optional, Union

from pydantic import Field, StrictFloat, StrictInt

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ModelMaxTokens(WireModel):
    """A model's token limits. ``total`` may be null (unknown).

    The wire facts make ``total`` required, but the published SDK read it with ``.get`` and so
    accepted a body without it; so does this one (``total`` is then None and stays absent when
    the object is sent back).

    Example::

        >>> from pieces_os_client.models import ModelMaxTokens
        >>> ModelMaxTokens(total=None).to_json()
        '{"total":null}'
        >>> ModelMaxTokens.from_json('{"input": 4096}').total is None
        True
    """

    total: Optional[Union[StrictInt, StrictFloat]] = None
    input: Optional[Union[StrictInt, StrictFloat]] = None
    output: Optional[Union[StrictInt, StrictFloat]] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")

    _x_nullable: ClassVar[FrozenSet[str]] = frozenset({"input", "output", "total"})
    #: Required in the wire facts, optional here as in the published SDK (see above).
    _required_on_wire: ClassVar[FrozenSet[str]] = frozenset({"total"})
