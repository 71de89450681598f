"""``SeededScore``: One usage counter to raise"""

from typing import Optional

from pydantic import Field, StrictBool

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class SeededScore(WireModel):
    """One usage counter to raise: set exactly one of the flags to ``True`` (Pieces OS counts
    one kind of use per request).

    Example::

        >>> from pieces_os_client.models import SeededScore
        >>> SeededScore(reuse=True).to_json()
        '{"reuse":true}'
    """

    priority: Optional[StrictBool] = None
    reference: Optional[StrictBool] = None
    reuse: Optional[StrictBool] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    searched: Optional[StrictBool] = None
    update: Optional[StrictBool] = None
