"""``serve()``: run :class:`LocalPiecesOS` in the foreground until Ctrl-C."""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import Any, Iterable, Mapping, Optional, TextIO, Union

from pieces_os_client.models.model import Model
from pieces_os_client.testing._server import LocalPiecesOS
from pieces_os_client.testing._stream import STREAM_PATH

__all__ = ["serve"]


def serve(
    host: str = "127.0.0.1",
    port: int = 1000,
    *,
    catalogue: Optional[Iterable[Union[Model, Mapping[str, Any]]]] = None,
    out: Optional[TextIO] = None,
    ready: Optional[threading.Event] = None,
    stop: Optional[threading.Event] = None,
) -> None:
    """Serve the Models API on ``host:port`` until Ctrl-C (or until ``stop`` is set).

    Prints where it listens to ``out`` (stdout by default). ``ready`` is set once it accepts
    connections; ``stop`` lets another thread end it (both are for embedding and tests).

    Example (a shell)::

        $ python -m pieces_os_client serve --port 1000
        LocalPiecesOS: the Pieces OS Models API on http://127.0.0.1:1000 (20 models); Ctrl-C stops it
        LocalPiecesOS: model changes stream on ws://127.0.0.1:1000/models/stream/identifiers
    """
    stream = out if out is not None else sys.stdout
    stop_event = stop if stop is not None else threading.Event()
    with LocalPiecesOS(catalogue, host=host, port=port) as server:
        print(
            f"LocalPiecesOS: the Pieces OS Models API on {server.url} "
            f"({len(server.models())} models); Ctrl-C stops it",
            file=stream,
        )
        if importlib.util.find_spec("websockets") is not None:
            print(f"LocalPiecesOS: model changes stream on {server.stream_url}", file=stream)
        else:
            print(
                f"LocalPiecesOS: {STREAM_PATH} (WebSocket) needs the 'stream' extra "
                "(pip install websockets); every other endpoint works",
                file=stream,
            )
        stream.flush()
        if ready is not None:
            ready.set()
        try:
            # Short waits keep Ctrl-C responsive on every platform.
            while not stop_event.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("LocalPiecesOS: stopped", file=stream, flush=True)
