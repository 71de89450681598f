"""``ModelDeleteCacheOutput``: The answer of ``POST /models/{model}/delete/cache``: which model's cache was cleared"""

from typing import Optional

from pydantic import Field

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.referenced_model import ReferencedModel


class ModelDeleteCacheOutput(WireModel):
    """The answer of ``POST /models/{model}/delete/cache``: which model's cache was cleared.

    Example::

        >>> from pieces_os_client.models import ModelDeleteCacheOutput
        >>> ModelDeleteCacheOutput.from_json('{"model": {"id": "m1"}}').model.id
        'm1'
    """

    model: ReferencedModel
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
