"""``ModelDeleteCacheInput``: The optional body of ``POST /models/{model}/delete/cache``"""

from typing import Optional

from pydantic import Field

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ModelDeleteCacheInput(WireModel):
    """The optional body of ``POST /models/{model}/delete/cache``.

    Example::

        >>> from pieces_os_client.models import ModelDeleteCacheInput
        >>> ModelDeleteCacheInput().to_json()
        '{}'
    """

    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
