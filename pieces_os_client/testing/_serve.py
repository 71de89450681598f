"""``serve()``: run :class:`LocalPiecesOS` in the foreground until Ctrl-C."""

from __future__ import annotations

import errno
import importlib.util
import socket
import sys
import threading
from typing import Any, Iterable, List, Mapping, Optional, TextIO, Tuple, Union

from pieces_os_client.models.model import Model
from pieces_os_client.testing._guard import is_loopback
from pieces_os_client.testing._server import LocalPiecesOS, url_of
from pieces_os_client.testing._stream import STREAM_PATH

__all__ = ["DEFAULT_DOWNLOAD_SECONDS", "download_pace", "serve"]


def serve(
    host: str = "127.0.0.1",
    port: Optional[int] = None,
    *,
    catalogue: Optional[Iterable[Union[Model, Mapping[str, Any]]]] = None,
    out: Optional[TextIO] = None,
    ready: Optional[threading.Event] = None,
    stop: Optional[threading.Event] = None,
    download_seconds: Optional[float] = None,
) -> None:
    """Serve the Models API on ``host:port`` until Ctrl-C (or until ``stop`` is set).

    Without ``port`` it listens where Pieces OS 11 and later do, on the first free port of
    39300-39333, so ``Configuration()``, ``pieces-os-models`` and ``discover()`` find it by
    themselves; it says which ports it passed over. A ``port`` you give is used as is (``1000``
    as older Pieces OS releases; ``0``: any free port), and :class:`OSError` says why when it
    cannot be.

    ``download_seconds``: how long a model's download takes from start to end (default
    :data:`DEFAULT_DOWNLOAD_SECONDS`; progress messages come ten times a second), so a
    progress bar can be watched at the pace of a real one.

    Prints where it listens to ``out`` (stdout by default), in lines that fit 80 columns,
    with a warning and every address when ``host`` is not a loopback address. ``ready`` is
    set once it accepts connections; ``stop`` lets another thread end it (both are for
    embedding and tests).

    Example (a shell, with Pieces OS itself already on 39300)::

        $ python -m pieces_os_client serve
        LocalPiecesOS: port 39300 is in use (is Pieces OS running?); listening on 39301
        LocalPiecesOS: the Models API on http://127.0.0.1:39301; Ctrl-C stops it
        LocalPiecesOS: 20 models; a download takes 2 s (--download-seconds to change)
        LocalPiecesOS: model changes: ws://127.0.0.1:39301/models/stream/identifiers
    """
    stream = out if out is not None else sys.stdout
    stop_event = stop if stop is not None else threading.Event()
    seconds = _check_download_seconds(download_seconds)
    server, notes = _start(catalogue, host, port)
    try:
        server.set_download_pace(*download_pace(seconds))
        for line in [*notes, *_banner(server, host, seconds)]:
            print(_fit(f"LocalPiecesOS: {line}"), file=stream)
        stream.flush()
        if ready is not None:
            ready.set()
        # Short waits keep Ctrl-C responsive on every platform.
        while not stop_event.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("LocalPiecesOS: stopped", file=stream, flush=True)


def _start(
    catalogue: Optional[Iterable[Union[Model, Mapping[str, Any]]]],
    host: str,
    port: Optional[int],
) -> Tuple[LocalPiecesOS, List[str]]:
    """A started server, and what to tell the user about the port it got."""
    server = LocalPiecesOS(catalogue, host=host, port=port)
    server._warn_outside_range = False  # said here, in the start-up lines
    server.start()
    passed_over = server._passed_over
    if not passed_over:
        return server, []
    if not server._outside_range:
        return server, [f"{_why_not(*passed_over[0])}; listening on {server.port}"]
    # Every port a client would look on is taken: any free one, and say how to reach it.
    return server, [
        f"{_why_not(*passed_over[0])}, and so is the rest of 39300-39333; "
        f"listening on {server.port}: point clients at it with PIECES_OS_URL={server.url}"
    ]


def _why_not(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use (is Pieces OS running?)"
    return f"port {port} needs admin rights here ({error.strerror or 'permission denied'})"


#: How long a download takes on a served LocalPiecesOS unless told otherwise (seconds).
DEFAULT_DOWNLOAD_SECONDS = 2.0
#: Seconds between two progress messages of a served download (at most).
_TICK = 0.1
#: The width the start-up lines fit in (an 80-column terminal, its last column left free).
_WIDTH = 79


def download_pace(seconds: float) -> Tuple[float, float]:
    """``(interval, step)`` for :meth:`LocalPiecesOS.set_download_pace` so that a download
    takes ``seconds``: ten messages a second (twenty in all for a shorter one).

    Example::

        >>> download_pace(60)
        (0.1, 0.16666666666666666)
        >>> download_pace(0.5)
        (0.025, 5.0)
    """
    interval = min(_TICK, seconds / 20)
    return interval, 100.0 * interval / seconds


def _check_download_seconds(seconds: Optional[float]) -> float:
    if seconds is None:
        return DEFAULT_DOWNLOAD_SECONDS
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(
            f"download_seconds must be a number of seconds (e.g. 60), not {type(seconds).__name__}"
        )
    if not 0 < seconds < float("inf"):
        raise ValueError(
            f"download_seconds must be a number of seconds > 0 (e.g. 60), not {seconds!r}"
        )
    return float(seconds)


def _fit(line: str) -> str:
    """``line`` wrapped to :data:`_WIDTH` columns, each further line indented (a URL is
    never broken)."""
    import textwrap

    return "\n".join(
        textwrap.wrap(
            line, _WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
        )
    )


def _banner(
    server: LocalPiecesOS, host: str, seconds: float = DEFAULT_DOWNLOAD_SECONDS
) -> List[str]:
    lines: List[str] = []
    urls = [server.url]
    if not is_loopback(host):
        everywhere = host in ("", "0.0.0.0", "::")
        lines.append(
            f"WARNING: listening on {'every address of this machine' if everywhere else host} "
            f"({host or '0.0.0.0'}), not only on this machine's loopback: anyone who can reach "
            "it can list and change its models. Use --host 127.0.0.1 to keep it local."
        )
        if everywhere:
            others = [url_of(address, server.port) for address in _machine_addresses(host)]
            urls += others or ["this machine's other addresses"]
    lines.append(f"the Models API on {', '.join(urls)}; Ctrl-C stops it")
    lines.append(
        f"{len(server.models())} models; a download takes {seconds:g} s "
        "(--download-seconds to change)"
    )
    if not is_loopback(host):
        lines.append(
            "requests must name the server by address (or localhost): other host names are "
            "refused, so a web page cannot reach it through a DNS name of its own"
        )
    if importlib.util.find_spec("websockets") is not None:
        lines.append(f"model changes: {server.stream_url}")
    else:
        lines.append(
            f"{STREAM_PATH} (WebSocket) needs the 'stream' extra (pip install websockets); "
            "every other endpoint works"
        )
    return lines


def _machine_addresses(wildcard: str) -> List[str]:
    """This machine's addresses other than loopback: each interface's IPv4 address (Linux),
    then whatever its host name resolves to."""
    found: List[str] = []
    candidates = _interface_ipv4_addresses()
    family = socket.AF_UNSPEC if ":" in wildcard else socket.AF_INET
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, family, socket.SOCK_STREAM)
        candidates += [str(info[4][0]) for info in infos]
    except OSError:
        pass
    for address in candidates:
        if not is_loopback(address) and address not in found:
            found.append(address)
    return found


def _interface_ipv4_addresses() -> List[str]:
    if not sys.platform.startswith("linux"):
        return []
    import fcntl
    import struct

    get_address = 0x8915  # SIOCGIFADDR: reads an interface's address, sends nothing
    found: List[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name[:15].encode())
            try:
                answer = fcntl.ioctl(probe.fileno(), get_address, request)
            except OSError:  # no IPv4 address on this interface
                continue
            found.append(socket.inet_ntoa(answer[20:24]))
    return found
