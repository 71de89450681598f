"""``ReferencedEntity``.

A pointer to an organization or user by id; ``reference`` holds its flattened form when sent.
"""

from typing import Any, Dict, Optional

from pydantic import Field, StrictStr

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class ReferencedEntity(WireModel):
    """A pointer to an organization or user by id; ``reference`` holds its flattened form when sent.

    Example::

        >>> from pieces_os_client.models import ReferencedEntity
        >>> ReferencedEntity(id="org-1").to_dict()
        {'id': 'org-1'}
    """

    id: StrictStr
    reference: Optional[Dict[str, Any]] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
