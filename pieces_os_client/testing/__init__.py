"""Test your code against the Pieces OS Models API without Pieces OS.

:class:`LocalPiecesOS` is a real HTTP server on 127.0.0.1 with Pieces OS's semantics, a
seeded catalogue, the WebSocket stream of model changes (with the ``stream`` extra), fault
injection and a request log. The ``local_pieces_os`` pytest fixture
(installed with the package) hands you a started one. See ``docs/testing.md``.

Example::

    >>> from pieces_os_client import ModelsApi
    >>> from pieces_os_client.testing import LocalPiecesOS
    >>> with LocalPiecesOS() as server, server.client() as api_client:
    ...     api = ModelsApi(api_client)
    ...     api.unload_models()
    ...     any(m.loaded for m in server.models())
    False
"""

# ruff: noqa: E402  (the check below must run before these modules import the SDK)
from pieces_os_client._coexist import check_entry

check_entry()  # in a mixed install, the modules below would load another SDK's files

from pieces_os_client.testing._catalogue import builtin_catalogue, builtin_id
from pieces_os_client.testing._http import HEALTH_PATH
from pieces_os_client.testing._serve import serve
from pieces_os_client.testing._server import LocalPiecesOS
from pieces_os_client.testing._state import RecordedRequest

__all__ = [
    "HEALTH_PATH",
    "LocalPiecesOS",
    "RecordedRequest",
    "builtin_catalogue",
    "builtin_id",
    "serve",
]
