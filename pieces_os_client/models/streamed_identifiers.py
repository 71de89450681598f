"""``StreamedIdentifiers``: one message of ``GET /models/stream/identifiers`` (a WebSocket)"""

from typing import List, Optional

from pydantic import Field

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.streamed_identifier import StreamedIdentifier


class StreamedIdentifiers(WireModel):
    """One message of the models stream (``GET /models/stream/identifiers``, a WebSocket).

    The first message after connecting lists every model id; each later one the models that
    changed (``deleted`` is true for a removed one).

    Example::

        >>> from pieces_os_client.models import StreamedIdentifiers
        >>> message = StreamedIdentifiers.from_json('{"iterable": [{"model": {"id": "m1"}}]}')
        >>> [item.model.id for item in message.iterable]
        ['m1']
    """

    iterable: List[StreamedIdentifier]
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
