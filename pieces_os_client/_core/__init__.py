"""The transport-free core: everything about a call except moving bytes.

Nothing here opens a socket, so the sync shells (``api_client``/``rest`` over urllib3,
``stream`` over websockets) and the async ones (``aio``, over aiohttp) share all of it:

- :mod:`.operations`: the table of every operation, the one place an operation is described;
- :mod:`.endpoint`: checking arguments and building a request (``prepare``), mapping an
  answer to data or to its exception (``interpret``);
- :mod:`.retry`: the one retry and deadline decision both HTTP shells perform;
- :mod:`.tls`: the one TLS setup every transport uses;
- :mod:`.streaming`: WebSocket openings, messages, and the watcher's state machine;
- :mod:`.downloads`: a model download followed to its end, as a state machine;
- :mod:`.body`, :mod:`.host`: bounded bodies and host strings.
"""
