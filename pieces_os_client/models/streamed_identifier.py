"""``StreamedIdentifier``: one entry of a stream message: which model changed, and whether it is gone"""

from typing import Optional

from pydantic import StrictBool

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.referenced_model import ReferencedModel


class StreamedIdentifier(WireModel):
    """One entry of a stream message: which model changed, and whether it was deleted.

    Pieces OS shares this type between all its identifier streams; the other kinds it can
    carry (``asset``, ``conversation``, ...) are kept as unknown fields (``model_extra``).

    Example::

        >>> from pieces_os_client.models import StreamedIdentifier
        >>> item = StreamedIdentifier.from_json('{"model": {"id": "m1"}, "deleted": true}')
        >>> item.model.id, item.deleted
        ('m1', True)
    """

    model: Optional[ReferencedModel] = None
    deleted: Optional[StrictBool] = None
