"""``ModelUsageEnum``: What Pieces OS uses a model for"""

from pieces_os_client.models._base import WireEnum


class ModelUsageEnum(WireEnum):
    """What Pieces OS uses a model for.

    Values a newer Pieces OS adds still parse; check ``.is_known``::

        >>> from pieces_os_client.models import ModelUsageEnum
        >>> ModelUsageEnum("OCR").is_known, ModelUsageEnum("SOMETHING_NEW").is_known
        (True, False)
    """

    UNKNOWN = "UNKNOWN"
    OCR = "OCR"
    CODE_CLASSIFICATION = "CODE_CLASSIFICATION"
    TEXT_VS_CODE = "TEXT_VS_CODE"
    TAGIFY_CODE = "TAGIFY_CODE"
    TLP_TAG_SEARCH = "TLP_TAG_SEARCH"
    TLP_NEURAL_CODE_SEARCH = "TLP_NEURAL_CODE_SEARCH"
    TAGIFY_COLOR_FROM_CODE = "TAGIFY_COLOR_FROM_CODE"
    CODE_DESCRIPTION = "CODE_DESCRIPTION"
    CODE_TITLE = "CODE_TITLE"
    CODE_SEARCH_QUERIES = "CODE_SEARCH_QUERIES"
    CODE_EXTRACTIVE_TAGS = "CODE_EXTRACTIVE_TAGS"
    CODE_EXTRACTIVE_LINKS = "CODE_EXTRACTIVE_LINKS"
    CODE_CONVERSATION = "CODE_CONVERSATION"
    CODE_GENERATION = "CODE_GENERATION"
    CODE_SEARCH = "CODE_SEARCH"
    CODE_DISCOVERY = "CODE_DISCOVERY"
    CODE_RELATED_PEOPLE = "CODE_RELATED_PEOPLE"
    CODE_FRAMEWORK = "CODE_FRAMEWORK"
    VIDEO_OCR = "VIDEO_OCR"
    TEXT_VS_CODE_SEGMENTATION = "TEXT_VS_CODE_SEGMENTATION"
    TEXT_EMBEDDING = "TEXT_EMBEDDING"
    TECHNICAL_ERROR = "TECHNICAL_ERROR"
