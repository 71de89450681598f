"""``ModelDownloadProgressStatusEnum``: Where a model's download stands"""

from pieces_os_client.models._base import WireEnum


class ModelDownloadProgressStatusEnum(WireEnum):
    """Where a model's download stands. ``COMPLETED``, ``FAILED`` and ``CANCELED`` end it.

    The wire value ``IN-PROGRESS`` is the member ``IN_MINUS_PROGRESS`` (the published SDK's
    name). Values a newer Pieces OS adds still parse; check ``.is_known``::

        >>> from pieces_os_client.models import ModelDownloadProgressStatusEnum
        >>> ModelDownloadProgressStatusEnum("IN-PROGRESS").name
        'IN_MINUS_PROGRESS'
        >>> ModelDownloadProgressStatusEnum("PAUSED").is_known
        False
    """

    UNKNOWN = "UNKNOWN"
    INITIALIZED = "INITIALIZED"
    IN_MINUS_PROGRESS = "IN-PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    RESET = "RESET"
