"""``serve()``: run :class:`LocalPiecesOS` in the foreground until Ctrl-C."""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import socket
import sys
import threading
from typing import Any, Iterable, List, Mapping, Optional, TextIO, Tuple, Union

from pieces_os_client.models.model import Model
from pieces_os_client.testing._server import PIECES_OS_PORTS, LocalPiecesOS
from pieces_os_client.testing._stream import STREAM_PATH

__all__ = ["serve"]

#: Why a port may be passed over for the next one when none was asked for.
_TRY_NEXT = frozenset({errno.EACCES, errno.EPERM, errno.EADDRINUSE})


def serve(
    host: str = "127.0.0.1",
    port: Optional[int] = None,
    *,
    catalogue: Optional[Iterable[Union[Model, Mapping[str, Any]]]] = None,
    out: Optional[TextIO] = None,
    ready: Optional[threading.Event] = None,
    stop: Optional[threading.Event] = None,
) -> None:
    """Serve the Models API on ``host:port`` until Ctrl-C (or until ``stop`` is set).

    Without ``port`` it listens where Pieces OS 11 and later do, on the first free port of
    39300-39333, so ``Configuration()``, ``pieces-os-models`` and ``discover()`` find it by
    themselves; it says which ports it passed over. A ``port`` you give is used as is (``1000``
    as older Pieces OS releases; ``0``: any free port), and :class:`OSError` says why when it
    cannot be.

    Prints where it listens to ``out`` (stdout by default), with a warning and every
    address when ``host`` is not a loopback address. ``ready`` is set once it accepts
    connections; ``stop`` lets another thread end it (both are for embedding and tests).

    Example (a shell, with Pieces OS itself already on 39300)::

        $ python -m pieces_os_client serve
        LocalPiecesOS: port 39300 is in use (is Pieces OS running?); listening on 39301
        LocalPiecesOS: the Pieces OS Models API on http://127.0.0.1:39301 (20 models); Ctrl-C stops it
        LocalPiecesOS: model changes stream on ws://127.0.0.1:39301/models/stream/identifiers
    """
    stream = out if out is not None else sys.stdout
    stop_event = stop if stop is not None else threading.Event()
    server, notes = _start(catalogue, host, port)
    try:
        for line in [*notes, *_banner(server, host)]:
            print(f"LocalPiecesOS: {line}", file=stream)
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
    if catalogue is not None:
        catalogue = list(catalogue)  # it may be an iterator, and we may need it twice
    if port is not None:
        return LocalPiecesOS(catalogue, host=host, port=port).start(), []
    passed_over: List[Tuple[int, OSError]] = []
    for candidate in PIECES_OS_PORTS:
        try:
            server = LocalPiecesOS(catalogue, host=host, port=candidate).start()
        except OSError as error:
            if error.errno not in _TRY_NEXT:
                raise
            passed_over.append((candidate, error))
            continue
        if not passed_over:
            return server, []
        return server, [f"{_why_not(*passed_over[0])}; listening on {server.port}"]
    # Every port a client would look on is taken: any free one, and say how to reach it.
    server = LocalPiecesOS(catalogue, host=host, port=0).start()
    return server, [
        f"{_why_not(*passed_over[0])}, and so is the rest of 39300-39333; "
        f"listening on {server.port}: point clients at it with PIECES_OS_URL={server.url}"
    ]


def _why_not(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use (is Pieces OS running?)"
    return f"port {port} needs admin rights here ({error.strerror or 'permission denied'})"


def _banner(server: LocalPiecesOS, host: str) -> List[str]:
    lines: List[str] = []
    urls = [server.url]
    if not _is_loopback(host):
        everywhere = host in ("", "0.0.0.0", "::")
        lines.append(
            f"WARNING: listening on {'every address of this machine' if everywhere else host} "
            f"({host or '0.0.0.0'}), not only on this machine's loopback: anyone who can reach "
            "it can list and change its models. Use --host 127.0.0.1 to keep it local."
        )
        if everywhere:
            others = [_url(address, server.port) for address in _machine_addresses(host)]
            urls += others or ["this machine's other addresses"]
    lines.append(
        f"the Pieces OS Models API on {', '.join(urls)} "
        f"({len(server.models())} models); Ctrl-C stops it"
    )
    if not _is_loopback(host):
        lines.append(
            "requests must name the server by address (or localhost): other host names are "
            "refused, so a web page cannot reach it through a DNS name of its own"
        )
    if importlib.util.find_spec("websockets") is not None:
        lines.append(f"model changes stream on {server.stream_url}")
    else:
        lines.append(
            f"{STREAM_PATH} (WebSocket) needs the 'stream' extra (pip install websockets); "
            "every other endpoint works"
        )
    return lines


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
        if not _is_loopback(address) and address not in found:
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


def _url(address: str, port: int) -> str:
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"
