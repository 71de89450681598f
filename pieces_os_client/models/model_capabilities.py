"""``ModelCapabilities``: Which kinds of context a model can take (assets, documents, images, ...)"""

from typing import Optional

from pydantic import Field, StrictBool

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ModelCapabilities(WireModel):
    """Which kinds of context a model can take (assets, documents, images, ...).

    Example::

        >>> from pieces_os_client.models import ModelCapabilities
        >>> ModelCapabilities(images=True).to_dict()
        {'images': True}
    """

    assets: Optional[StrictBool] = None
    codebases: Optional[StrictBool] = None
    documents: Optional[StrictBool] = None
    images: Optional[StrictBool] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    temporal: Optional[StrictBool] = None
    videos: Optional[StrictBool] = None
    websites: Optional[StrictBool] = None
