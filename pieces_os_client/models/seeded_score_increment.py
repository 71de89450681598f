"""``SeededScoreIncrement``: Which usage counters of a model to raise (``POST /model/{model}/scores/increment``)"""

from typing import Optional

from pydantic import Field

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.seeded_score import SeededScore


class SeededScoreIncrement(WireModel):
    """Which usage counters of a model to raise (``POST /model/{model}/scores/increment``): one
    optional :class:`SeededScore` per kind of material; for a model, set ``model``.

    Example::

        >>> from pieces_os_client.models import SeededScore, SeededScoreIncrement
        >>> SeededScoreIncrement(model=SeededScore(reuse=True)).to_dict()
        {'model': {'reuse': True}}
    """

    anchor: Optional[SeededScore] = None
    anchor_point: Optional[SeededScore] = Field(default=None, alias="anchorPoint")
    anchor_points: Optional[SeededScore] = Field(default=None, alias="anchorPoints")
    anchors: Optional[SeededScore] = None
    annotation: Optional[SeededScore] = None
    annotations: Optional[SeededScore] = None
    asset: Optional[SeededScore] = None
    assets: Optional[SeededScore] = None
    conversation: Optional[SeededScore] = None
    conversation_message: Optional[SeededScore] = Field(default=None, alias="conversationMessage")
    conversation_messages: Optional[SeededScore] = Field(default=None, alias="conversationMessages")
    conversations: Optional[SeededScore] = None
    entities: Optional[SeededScore] = None
    entity: Optional[SeededScore] = None
    entity_to_subscription_association: Optional[SeededScore] = None
    entity_to_subscription_associations: Optional[SeededScore] = None
    entity_to_user_association: Optional[SeededScore] = None
    entity_to_user_associations: Optional[SeededScore] = None
    hint: Optional[SeededScore] = None
    hints: Optional[SeededScore] = None
    model: Optional[SeededScore] = None
    models: Optional[SeededScore] = None
    person: Optional[SeededScore] = None
    persons: Optional[SeededScore] = None
    range: Optional[SeededScore] = None
    ranges: Optional[SeededScore] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    sensitive: Optional[SeededScore] = None
    sensitives: Optional[SeededScore] = None
    share: Optional[SeededScore] = None
    shares: Optional[SeededScore] = None
    subscription: Optional[SeededScore] = None
    subscriptions: Optional[SeededScore] = None
    tag: Optional[SeededScore] = None
    tags: Optional[SeededScore] = None
    users: Optional[SeededScore] = None
    website: Optional[SeededScore] = None
    websites: Optional[SeededScore] = None
    workstream_event: Optional[SeededScore] = None
    workstream_events: Optional[SeededScore] = None
    workstream_pattern_engine_source: Optional[SeededScore] = None
    workstream_pattern_engine_source_window: Optional[SeededScore] = None
    workstream_pattern_engine_source_windows: Optional[SeededScore] = None
    workstream_pattern_engine_sources: Optional[SeededScore] = None
    workstream_summaries: Optional[SeededScore] = None
    workstream_summary: Optional[SeededScore] = None
    workstream_summary_to_workstream_summaries_associations: Optional[SeededScore] = None
    workstream_summary_to_workstream_summary_association: Optional[SeededScore] = None
