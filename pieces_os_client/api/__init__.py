"""The API classes (``from pieces_os_client.api.models_api import ModelsApi``)."""

from pieces_os_client.api.models_api import ModelsApi

__all__ = ["ModelsApi"]
