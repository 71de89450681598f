"""The edges: the only modules of the runtime that touch threads, event loops and sockets.

:mod:`pieces_os_client._async` (written by hand) and :mod:`pieces_os_client._sync` (made from
it by ``tools/generate.py``) do their waiting and their WebSocket I/O through one backend per
side:

- :mod:`.sync` and :mod:`.sync_websocket`: ``threading`` and the ``websockets`` sync client;
- :mod:`.asyncio` and :mod:`.asyncio_websocket`: ``asyncio`` and aiohttp's WebSocket client.

Both sides offer the same names (``Signal``, ``Lock``, ``call_back``; ``open_once`` and the
stream class), so the generated sync runtime differs from the async one only by the
substitutions listed in ``tools/unasync.py``. The HTTP calls go through the clients' own
transports (:mod:`pieces_os_client.rest` over urllib3, :mod:`pieces_os_client.aio.api_client`
over aiohttp), driven by the one call machine of :mod:`pieces_os_client._core.calls`.
"""
