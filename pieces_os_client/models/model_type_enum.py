"""``ModelTypeEnum``: The trade-off a model is tuned for"""

from pieces_os_client.models._base import WireEnum


class ModelTypeEnum(WireEnum):
    """The trade-off a model is tuned for.

    Values a newer Pieces OS adds still parse; check ``.is_known``::

        >>> from pieces_os_client.models import ModelTypeEnum
        >>> ModelTypeEnum("BALANCED").is_known, ModelTypeEnum("SOMETHING_NEW").is_known
        (True, False)
    """

    UNKNOWN = "UNKNOWN"
    BALANCED = "BALANCED"
    SPEED = "SPEED"
    ACCURACY = "ACCURACY"
