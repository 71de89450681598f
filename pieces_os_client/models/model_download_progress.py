"""``ModelDownloadProgress``: One message of a model's download progress stream"""

from typing import ClassVar, FrozenSet, Optional, Union

from pydantic import Field, StrictFloat, StrictInt

from pieces_os_client.models._base import WireModel
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.model_download_progress_status_enum import (
    ModelDownloadProgressStatusEnum,
)


class ModelDownloadProgress(WireModel):
    """One message of ``/model/{model}/download/progress``: the download's status and, while
    it runs, how far it is (``percentage``, 0 to 100; the server may send null).

    Example::

        >>> from pieces_os_client.models import ModelDownloadProgress
        >>> progress = ModelDownloadProgress.from_json('{"status": "IN-PROGRESS", "percentage": 42.5}')
        >>> progress.status.name, progress.percentage
        ('IN_MINUS_PROGRESS', 42.5)
    """

    percentage: Optional[Union[StrictFloat, StrictInt]] = None
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    status: Optional[ModelDownloadProgressStatusEnum] = None

    _x_nullable: ClassVar[FrozenSet[str]] = frozenset({"percentage"})
