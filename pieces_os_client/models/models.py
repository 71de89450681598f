"""``Models``: A snapshot of every machine-learning model Pieces OS knows (``GET /models``)"""

from typing import List, Optional

from pydantic import Field

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.model import Model
from pieces_os_client.models.score import Score


class Models(WireModel):
    """A snapshot of every machine-learning model Pieces OS knows (``GET /models``).

    Example::

        >>> from pieces_os_client.models import Models
        >>> snapshot = Models.from_json('{"iterable": []}')
        >>> len(snapshot.iterable)
        0
    """

    iterable: List[Model]
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    score: Optional[Score] = None
