"""The runtime, written once (async): what drives the sans-I/O machines, opens and follows
streams, watches the models and downloads a model.

:mod:`pieces_os_client._sync` is made from these modules by ``tools/generate.py`` (the
substitutions are in ``tools/unasync.py``; ``test_generated`` fails when a generated file is
stale). Edit here, then run ``nox -s generate``. Waiting and WebSocket I/O go through
:mod:`pieces_os_client._backends`; nothing here imports a thread, loop or socket library.
"""
