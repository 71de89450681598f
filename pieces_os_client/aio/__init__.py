"""The Models API as coroutines, for code that runs an event loop (editor plugins, notebooks).

Needs the ``async`` extra (``pip install 'pieces-os-models[async]'``, which brings aiohttp).
Everything but the transport is shared with the sync client: the same models, request
building, validation, exceptions, retry policy, timeouts and logging.

Example::

    import asyncio

    from pieces_os_client import Configuration
    from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi


    async def main() -> None:
        async with AsyncApiClient(Configuration()) as api_client:
            models = await AsyncModelsApi(api_client).models_snapshot()
            print(len(models.iterable), "models")


    asyncio.run(main())
"""

from __future__ import annotations

try:
    import aiohttp  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised in a subprocess without aiohttp
    from pieces_os_client._version import install_command

    raise ImportError(
        "pieces_os_client.aio needs aiohttp, which is not installed; "
        f"install the async extra: {install_command('async')}",
        name="aiohttp",
    ) from error

from pieces_os_client.aio.api_client import AsyncApiClient
from pieces_os_client.aio.models_api import AsyncModelsApi

__all__ = ["AsyncApiClient", "AsyncModelsApi"]
