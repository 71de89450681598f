"""``ExternalMLProviderEnum``: Who provides a model"""

from pieces_os_client.models._base import WireEnum


class ExternalMLProviderEnum(WireEnum):
    """Who provides a model.

    Values a newer Pieces OS adds still parse; check ``.is_known``::

        >>> from pieces_os_client.models import ExternalMLProviderEnum
        >>> ExternalMLProviderEnum("APPLE").is_known, ExternalMLProviderEnum("SOMETHING_NEW").is_known
        (True, False)
    """

    UNKNOWN = "UNKNOWN"
    APPLE = "APPLE"
    AMAZON = "AMAZON"
    GOOGLE = "GOOGLE"
    META = "META"
    OPENAI = "OPENAI"
    LMSYS = "LMSYS"
    SALESFORCE = "SALESFORCE"
    HUGGING_FACE = "HUGGING_FACE"
    UNIVERSITY_OF_WASHINGTON = "UNIVERSITY_OF_WASHINGTON"
    OPEN_LM_RESEARCH = "OPEN_LM_RESEARCH"
    MICROSOFT = "MICROSOFT"
    UC_BERKLEY = "UC_BERKLEY"
    PEKING_UNIVERSITY = "PEKING_UNIVERSITY"
    RENMIN_UNIVERSITY_OF_CHINA = "RENMIN_UNIVERSITY_OF_CHINA"
    TOGETHER_AI = "TOGETHER_AI"
    DATABRICKS = "DATABRICKS"
    ELEUTHER_AI = "ELEUTHER_AI"
    FUDAN_UNIVERSITY = "FUDAN_UNIVERSITY"
    BLICKDL = "BLICKDL"
    HONG_KONG_BAPTIST_UNIVERSITY = "HONG_KONG_BAPTIST_UNIVERSITY"
    BIGCODE = "BIGCODE"
    JINA = "JINA"
    PIECES = "PIECES"
    ANTHROPIC = "ANTHROPIC"
    IBM = "IBM"
    SNOWFLAKE = "SNOWFLAKE"
    PERPLEXITY = "PERPLEXITY"
    MINISHLABS = "MINISHLABS"
    MSFT_AZURE_OPEN_AI = "MSFT_AZURE_OPEN_AI"
    AWS_BEDROCK = "AWS_BEDROCK"
