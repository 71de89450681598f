"""``LocalPiecesOS``: the Models API with Pieces OS's semantics, on a real socket."""

from __future__ import annotations

import errno
import logging
import threading
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union

from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import Configuration
from pieces_os_client.models.model import Model
from pieces_os_client.testing._catalogue import builtin_catalogue
from pieces_os_client.testing._http import STOP_JOIN_TIMEOUT, HTTPServer, HTTPServer6
from pieces_os_client.testing._server_checks import (
    check_close_code,
    check_model_id,
    checked_pace,
    delay_fault,
    download_script,
    drop_fault,
    fail_fault,
    validate_catalogue,
)
from pieces_os_client.testing._state import State
from pieces_os_client.testing._state_values import RecordedRequest, check_text
from pieces_os_client.testing._stream import CLOSE_TIMEOUT as STREAM_CLOSE_TIMEOUT
from pieces_os_client.testing._stream import STREAM_PATH

__all__ = ["PIECES_OS_PORTS", "LocalPiecesOS"]

#: Where Pieces OS 11 and later listen: the first free port of these.
PIECES_OS_PORTS = tuple(range(39300, 39334))
#: Why a port of that range is passed over for the next one.
_TAKEN = frozenset({errno.EADDRINUSE, errno.EACCES, errno.EPERM})

logger = logging.getLogger("LocalPiecesOS")


class LocalPiecesOS:
    """A local Pieces OS Models API server for demos, tests and plugin development.

    Serves every operation of the Models and Model APIs and the well-known endpoints (the
    WebSocket ones with the ``stream`` extra) on 127.0.0.1, on the first free port of
    39300-39333 as Pieces OS does (``port=`` picks one; ``0``: any free port; when the whole
    range is taken, any free port, with a warning logged). ``GET``/``HEAD
    /.well-known/health`` answer ``ok`` (:meth:`set_health`), ``/.well-known/version`` the
    ``version`` you pass (default ``"12.0.0"``) and ``/.well-known/installation/path`` the
    ``installation_path`` (default: where Pieces OS installs itself on this kind of machine);
    both are attributes a test may change. Downloads advance over time
    (:meth:`set_download_pace`) and can be made to fail, stall or drop their stream
    (:meth:`script_download`). It is seeded with
    :func:`~pieces_os_client.testing.builtin_catalogue` or the ``catalogue`` you pass
    (``Model`` objects or dicts in wire form).

    It answers only requests addressed to a loopback name or address, or to ``host``, and
    refuses state changes from a web page of another origin; ``allowed_origins`` lists the
    origins (``"vscode-webview://..."``, ``"https://my-plugin.example"``) that may send them
    anyway.

    Example::

        >>> from pieces_os_client import ModelsApi
        >>> from pieces_os_client.testing import LocalPiecesOS
        >>> with LocalPiecesOS() as server, server.client() as api_client:
        ...     names = [m.name for m in ModelsApi(api_client).models_snapshot().iterable]
        >>> "GPT-4o" in names
        True
    """

    def __init__(
        self,
        catalogue: Optional[Iterable[Union[Model, Mapping[str, Any]]]] = None,
        *,
        host: str = "127.0.0.1",
        port: Optional[int] = None,
        allowed_origins: Iterable[str] = (),
        version: Optional[str] = None,
        installation_path: Optional[str] = None,
    ) -> None:
        models = builtin_catalogue() if catalogue is None else validate_catalogue(catalogue)
        self._state = State(models)
        if version is not None:
            self.version = version
        if installation_path is not None:
            self.installation_path = installation_path
        self._host = host
        self._port = port
        if isinstance(allowed_origins, str):
            raise TypeError("allowed_origins is a list of origins, e.g. ['http://localhost:3000']")
        self._allowed_origins = tuple(allowed_origins)
        self._httpd: Optional[HTTPServer] = None
        self._serve_thread: Optional[threading.Thread] = None
        self._started = False
        # The ports of 39300-39333 start() found taken, and why (serve says so); whether
        # taking a port outside the range is logged (serve prints it instead).
        self._passed_over: List[Tuple[int, OSError]] = []
        self._outside_range = False
        self._warn_outside_range = True

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LocalPiecesOS:
        """Bind and start serving in a background thread; returns ``self``."""
        if self._started:
            raise RuntimeError("this LocalPiecesOS was already started; create a new one")
        self._started = True
        httpd = self._bind()
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._serve_thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"LocalPiecesOS:{self._port}",
            daemon=True,
        )
        self._serve_thread.start()
        return self

    def _bind(self) -> HTTPServer:
        server_class = HTTPServer6 if ":" in self._host else HTTPServer
        wanted = PIECES_OS_PORTS if self._port is None else (self._port,)
        for port in wanted:
            try:
                return server_class((self._host, port), self._state, self._allowed_origins)
            except OSError as error:
                if self._port is None and error.errno in _TAKEN:
                    self._passed_over.append((port, error))
                    continue
                raise OSError(
                    error.errno,
                    f"LocalPiecesOS cannot listen on {self._host}:{port} ({error.strerror}); "
                    "pick another port (ports below 1024 may need admin rights)",
                ) from error
        httpd = server_class((self._host, 0), self._state, self._allowed_origins)
        self._outside_range = True
        if not self._warn_outside_range:
            return httpd
        logger.warning(
            "LocalPiecesOS: every port of 39300-39333 on %s is taken; listening on %s, where a "
            "search for Pieces OS will not look: pass its URL (PIECES_OS_URL=%s)",
            self._host,
            httpd.server_address[1],
            url_of(self._host, httpd.server_address[1]),
        )
        return httpd

    def stop(self) -> None:
        """Stop serving: close the listening socket and every open connection, join threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        if self._serve_thread is not None:
            self._serve_thread.join(STOP_JOIN_TIMEOUT)
        httpd.server_close()
        self._state.close()
        httpd.streams.close_all("LocalPiecesOS stopped", timeout=STREAM_CLOSE_TIMEOUT)
        httpd.close_connections()

    def __enter__(self) -> LocalPiecesOS:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- where it listens ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, e.g. ``"http://127.0.0.1:54321"`` (no trailing slash)."""
        if not self._started:
            raise RuntimeError("start the server first (use `with LocalPiecesOS() as server:`)")
        assert self._port is not None
        return url_of(self._host, self._port)

    @property
    def stream_url(self) -> str:
        """The WebSocket URL of the Models stream, e.g.
        ``"ws://127.0.0.1:54321/models/stream/identifiers"``."""
        return "ws" + self.url[len("http") :] + STREAM_PATH

    @property
    def port(self) -> int:
        """The TCP port it listens on (once started)."""
        if self._port is None:
            raise RuntimeError("start the server first (use `with LocalPiecesOS() as server:`)")
        return self._port

    def configuration(self, **overrides: Any) -> Configuration:
        """A :class:`~pieces_os_client.Configuration` for this server
        (``overrides`` as in ``Configuration(timeout=..., retries=...)``)."""
        return Configuration(host=self.url, **overrides)

    def client(self, **overrides: Any) -> ApiClient:
        """A ready :class:`~pieces_os_client.ApiClient` for this server (a context manager)."""
        return ApiClient(self.configuration(**overrides))

    # --- state ---------------------------------------------------------------------------------
    def models(self) -> List[Model]:
        """The current catalogue (copies: changing them does not change the server)."""
        return self._state.models()

    @property
    def requests(self) -> List[RecordedRequest]:
        """Every request received so far, oldest first; a copy. The last 10 000 are kept,
        and at most 64 MiB of them (the oldest are dropped first)."""
        return self._state.requests()

    def reset(self) -> None:
        """Back to the seeded catalogue, with no pending faults, an empty request log and the
        health ``ok`` (``version`` and ``installation_path`` stay as set).

        Open streams stay open and get one message naming what the reset changed."""
        self._state.reset()

    # --- the well-known endpoints -------------------------------------------------------------
    @property
    def version(self) -> str:
        """What ``GET /.well-known/version`` answers (``"12.0.0"`` unless set); assign to
        play another release, e.g. ``server.version = "10.1.4"``."""
        return self._state.version

    @version.setter
    def version(self, value: str) -> None:
        self._state.version = check_text("version", value)

    @property
    def installation_path(self) -> str:
        """What ``GET /.well-known/installation/path`` answers; assign to change it."""
        return self._state.installation_path

    @installation_path.setter
    def installation_path(self, value: str) -> None:
        self._state.installation_path = check_text("installation_path", value)

    @property
    def health(self) -> str:
        """What ``GET /.well-known/health`` answers now (``"ok"`` unless :meth:`set_health`
        changed it)."""
        return self._state.health

    def set_health(self, status: str = "ok") -> int:
        """Answer ``status`` to health checks from now on, and send it at once to every
        client following ``/.well-known/stream/health``; returns how many there were.

        A new follower gets the current status first, so calling this with the same status
        again is the "still ok" beat a test can send when it wants one (nothing is sent on a
        timer).

        Example::

            >>> from pieces_os_client import WellKnownApi
            >>> from pieces_os_client.testing import LocalPiecesOS
            >>> with LocalPiecesOS() as server, server.client() as api_client:
            ...     api = WellKnownApi(api_client)
            ...     with api.get_well_known_stream_health() as health:
            ...         first = next(health)
            ...         sent_to = server.set_health("ok: still")
            ...         print(first, "/", next(health), "/", api.get_well_known_health(), sent_to)
            ok / ok: still / ok: still 1
        """
        return self._state.set_health(check_text("status", status))

    # --- fault injection -----------------------------------------------------------------------
    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        retry_after: Optional[Union[int, str]] = None,
        path: Optional[str] = None,
        body: Optional[Union[str, bytes, Mapping[str, Any], List[Any]]] = None,
    ) -> None:
        """Answer the next ``n`` requests (to ``path`` only, if given) with ``status``.

        ``retry_after`` (whole seconds, or an HTTP date) is sent as ``Retry-After``. The body
        is one line of ``text/plain`` as Pieces OS sends (``"injected failure: 503 Service
        Unavailable (LocalPiecesOS.fail_next)"``) unless you pass ``body``: a dict or list is
        sent as JSON, a str or bytes as is (as JSON when it parses as JSON, else as text).
        The server state is not touched by a failed request.

        Example::

            >>> from pieces_os_client import ModelsApi, ServiceException
            >>> from pieces_os_client.testing import LocalPiecesOS
            >>> with LocalPiecesOS() as server, server.client(retries=0) as c:
            ...     server.fail_next(1, status=500, path="/models")
            ...     try:
            ...         ModelsApi(c).models_snapshot()
            ...     except ServiceException as e:
            ...         print(e.status)
            500
        """
        self._state.add_fault(fail_fault(n, status, retry_after, path, body))

    def delay_next(self, n: int, seconds: float, path: Optional[str] = None) -> None:
        """Make the next ``n`` requests (to ``path`` only, if given) wait ``seconds`` before
        they are answered (combines with :meth:`fail_next` / :meth:`drop_next`)."""
        self._state.add_fault(delay_fault(n, seconds, path))

    def drop_next(self, n: int = 1, path: Optional[str] = None) -> None:
        """Close the connection of the next ``n`` requests (to ``path`` only, if given)
        without answering; the state is not touched."""
        self._state.add_fault(drop_fault(n, path))

    # --- downloads -----------------------------------------------------------------------------
    def set_download_pace(self, interval: float = 0.1, step: float = 5.0) -> None:
        """Advance every running download by ``step`` percent each ``interval`` seconds (the
        default: two seconds from start to end).

        Example::

            >>> from pieces_os_client.testing import LocalPiecesOS
            >>> with LocalPiecesOS() as server:
            ...     server.set_download_pace(interval=0.01, step=50.0)  # done in 20 ms
        """
        self._state.set_pace(*checked_pace(interval, step))

    def script_download(
        self,
        model_id: str,
        *,
        fail_at: Optional[float] = None,
        stall_at: Optional[float] = None,
        drop_at: Optional[float] = None,
        instant: bool = False,
    ) -> None:
        """Make the next download of ``model_id`` go wrong (or right at once).

        ``fail_at``: it ends with ``FAILED`` when it reaches that percentage. ``stall_at``: it
        stops there and sends nothing more. ``drop_at``: the progress streams following it are
        cut (no close frame) once, there; the download goes on. ``instant``: it is complete
        before any progress message is sent.

        Example::

            >>> from pieces_os_client.testing import LocalPiecesOS, builtin_id
            >>> with LocalPiecesOS() as server:
            ...     server.script_download(builtin_id("llama-3-8b-instruct-q4f32_1-cpu"), fail_at=40)
        """
        script = download_script(model_id, fail_at, stall_at, drop_at, instant)
        self._state.script(model_id, script)

    def deny(self, model_id: str, denied: bool = True) -> None:
        """Mark ``model_id`` ``denied: true`` (``denied=False``: false), as Pieces OS does for
        a model the account's organization forbids; its downloads are then refused (500).
        :meth:`reset` lifts it.

        Example::

            >>> from pieces_os_client.testing import LocalPiecesOS, builtin_id
            >>> with LocalPiecesOS() as server:
            ...     server.deny(builtin_id("mistral-7b-instruct-v0.3"))
        """
        check_model_id(model_id)
        if not isinstance(denied, bool):
            raise TypeError(f"denied must be True or False, not {type(denied).__name__}")
        if not self._state.deny(model_id, denied):
            raise ValueError(f"no model with id {model_id!r} in this LocalPiecesOS")

    @property
    def open_streams(self) -> int:
        """How many clients follow ``GET /models/stream/identifiers`` right now."""
        return 0 if self._httpd is None else self._httpd.streams.count()

    def drop_streams(self, code: Optional[int] = None, reason: str = "") -> int:
        """End every open stream now; returns how many there were.

        Without ``code`` the connections are cut with no close frame, as a crash or a lost
        network would (clients see an abnormal closure, 1006). With ``code`` (for example
        1011, server error, or 1001, going away) each gets a close frame with that code and
        ``reason`` first. Clients that connect afterwards are served as usual.

        Example::

            >>> from websockets.sync.client import connect
            >>> from pieces_os_client.testing import LocalPiecesOS
            >>> with LocalPiecesOS() as server, connect(server.stream_url) as ws:
            ...     first = ws.recv(timeout=5)  # every model id
            ...     server.drop_streams()
            1
        """
        check_close_code(code)
        return 0 if self._httpd is None else self._httpd.streams.drop(code, reason)

    def __repr__(self) -> str:
        where = self.url if self._started else "not started"
        return f"<LocalPiecesOS {where}>"


def url_of(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 address bracketed; a wildcard address as its loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
