"""``Score``: Usage counters Pieces OS keeps for ranking"""

from typing import Optional

from pydantic import Field, StrictInt

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema


class Score(WireModel):
    """Usage counters Pieces OS keeps for ranking.

    Example::

        >>> from pieces_os_client.models import Score
        >>> Score(manual=1, automatic=2).to_dict()
        {'automatic': 2, 'manual': 1}
    """

    automatic: StrictInt
    manual: StrictInt
    priority: Optional[StrictInt] = None
    reference: Optional[StrictInt] = None
    reuse: Optional[StrictInt] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    searched: Optional[StrictInt] = None
    update: Optional[StrictInt] = None
