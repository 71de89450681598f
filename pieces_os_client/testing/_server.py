"""``LocalPiecesOS``: the Models API with Pieces OS's semantics, on a real socket.

Stdlib only (``http.server``): one thread per connection, HTTP/1.1 keep-alive, and every
answer framed by ``Content-Length`` (204 has no body and no length, as HTTP requires).
State lives in memory behind one lock, so concurrent requests see a consistent catalogue.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import http
import json
import logging
import socket
import socketserver
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import (
    Any,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
)
from urllib.parse import unquote

from pydantic import ValidationError

from pieces_os_client._version import __version__
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import Configuration
from pieces_os_client.models._base import WireEnum, WireModel
from pieces_os_client.models.grouped_timestamp import GroupedTimestamp
from pieces_os_client.models.model import Model
from pieces_os_client.models.model_delete_cache_input import ModelDeleteCacheInput
from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput
from pieces_os_client.models.models import Models
from pieces_os_client.models.referenced_model import ReferencedModel
from pieces_os_client.models.seeded_model import SeededModel
from pieces_os_client.testing._catalogue import LLM_USAGES, builtin_catalogue

__all__ = ["LocalPiecesOS", "RecordedRequest"]

logger = logging.getLogger("pieces_os_client.testing")

_W = TypeVar("_W", bound=WireModel)

#: The largest request body accepted; bigger ones get 413 (a SeededModel is a few KB).
MAX_BODY_BYTES = 1 << 20
#: How many requests ``LocalPiecesOS.requests`` keeps (the oldest are dropped first).
REQUEST_LOG_LIMIT = 10_000
#: Seconds an idle keep-alive connection is kept open.
IDLE_CONNECTION_TIMEOUT = 60.0
#: Seconds ``stop()`` waits for each connection thread to finish.
STOP_JOIN_TIMEOUT = 5.0
#: The health check path Pieces OS answers (used by the quickstart to find a real one).
HEALTH_PATH = "/.well-known/health"

_JSON = "application/json"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it.

    ``path`` is the request target as sent (percent-encoded, query included); ``headers``
    keeps the names as sent (use :meth:`header` for a case-insensitive look-up).

    Example::

        >>> from pieces_os_client.testing import RecordedRequest
        >>> r = RecordedRequest("POST", "/models/create", {"Content-Type": "application/json"}, b"{}")
        >>> r.header("content-type"), r.json()
        ('application/json', {})
    """

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The value of header ``name`` (any case), or ``default``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def json(self) -> Any:
        """The body parsed as JSON (``None`` for an empty body)."""
        return json.loads(self.body) if self.body else None


@dataclass
class _Fault:
    kind: str  # "fail", "delay" or "drop"
    remaining: int
    path: Optional[str]
    status: int = 503
    retry_after: Optional[str] = None
    body: Optional[bytes] = None
    content_type: str = _JSON
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = _JSON
    headers: Dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str, **extra: Any) -> _Answer:
    """An error answer in the shape the spec documents: ``{"error": ..., "status": ...}``."""
    payload = {"error": message, "status": status, **extra}
    return _Answer(status, json.dumps(payload).encode())


def _ok(model: WireModel) -> _Answer:
    return _Answer(200, model.to_json().encode())


class _Rejected(Exception):
    """A request refused before anything changed; carries the answer to send."""

    def __init__(self, answer: _Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


class _State:
    """The catalogue, the faults and the request log, all behind one lock."""

    def __init__(self, catalogue: Sequence[Model]) -> None:
        self._lock = threading.Lock()
        self._seed = [model.model_copy(deep=True) for model in catalogue]
        self._models: Dict[str, Model] = {}
        self._faults: List[_Fault] = []
        self._log: Deque[RecordedRequest] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._models = {m.id: m.model_copy(deep=True) for m in self._seed}
            self._faults.clear()
            self._log.clear()

    # --- log and faults --------------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def requests(self) -> List[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_faults(self, path: str) -> Tuple[Optional[_Fault], Optional[_Fault]]:
        """Consume the first matching delay and the first matching fail/drop, if any."""
        delay: Optional[_Fault] = None
        outcome: Optional[_Fault] = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path):
                    continue
                if fault.kind == "delay" and delay is None:
                    delay = fault
                elif fault.kind != "delay" and outcome is None:
                    outcome = fault
            for taken in (delay, outcome):
                if taken is not None:
                    taken.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
        return delay, outcome

    # --- the Models API ----------------------------------------------------------------------
    def models(self) -> List[Model]:
        with self._lock:
            return [m.model_copy(deep=True) for m in self._models.values()]

    def snapshot_json(self) -> bytes:
        with self._lock:
            return Models(iterable=list(self._models.values())).to_json().encode()

    def create(self, seed: SeededModel) -> Model:
        with self._lock:
            existing = self._find_duplicate(seed)
            if existing is not None:
                return existing.model_copy(deep=True)
            data = json.loads(seed.to_json())
            now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
            data["id"] = str(uuid.uuid4())
            data["custom"] = True
            data["created"] = GroupedTimestamp(
                value=now, readable=now.strftime("%Y-%m-%d %H:%M UTC")
            ).to_dict()
            model = Model.model_validate(data)
            self._models[model.id] = model
            return model.model_copy(deep=True)

    def _find_duplicate(self, seed: SeededModel) -> Optional[Model]:
        # Duplicate: the same `unique` when the seed has one, else the same name and version.
        for model in self._models.values():
            if seed.unique is not None:
                if model.unique == seed.unique:
                    return model
            elif model.name == seed.name and model.version == seed.version:
                return model
        return None

    def delete(self, model_id: str) -> Optional[str]:
        """Delete a custom model; the reason it was refused otherwise."""
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                return f"no model with id {model_id!r}"
            if not model.custom:
                return (
                    f"model {model_id!r} ({model.name}) is built in; only custom models "
                    "(registered through POST /models/create) can be deleted"
                )
            del self._models[model_id]
            return None

    def delete_cache(self, model_id: str) -> Union[Model, str]:
        """Clear a local LLM's download; the reason it was refused otherwise."""
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                return f"no model with id {model_id!r}"
            if model.usage.value not in LLM_USAGES:
                return (
                    f"model {model_id!r} ({model.name}) is not an LLM (usage {model.usage.value}); "
                    "only LLM caches can be deleted"
                )
            if model.cloud:
                return f"model {model_id!r} ({model.name}) runs in the cloud and has no local cache"
            # Without its files a model cannot stay in memory either.
            updated = model.model_copy(update={"downloaded": False, "loaded": False})
            self._models[model_id] = updated
            return updated.model_copy(deep=True)

    def unload(self) -> None:
        with self._lock:
            for model_id, model in self._models.items():
                self._models[model_id] = model.model_copy(update={"loaded": False})


class LocalPiecesOS:
    """A local Pieces OS Models API server for demos, tests and plugin development.

    Serves ``GET /models``, ``POST /models/create``, ``POST /models/{model}/delete``,
    ``POST /models/{model}/delete/cache``, ``POST /models/unload`` and
    ``GET /.well-known/health`` on 127.0.0.1 (a free port unless you pick one), seeded with
    :func:`~pieces_os_client.testing.builtin_catalogue` or the ``catalogue`` you pass
    (``Model`` objects or dicts in wire form).

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
        port: int = 0,
    ) -> None:
        models = builtin_catalogue() if catalogue is None else _validate_catalogue(catalogue)
        self._state = _State(models)
        self._host = host
        self._port = port
        self._httpd: Optional[_HTTPServer] = None
        self._serve_thread: Optional[threading.Thread] = None
        self._started = False

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LocalPiecesOS:
        """Bind and start serving in a background thread; returns ``self``."""
        if self._started:
            raise RuntimeError("this LocalPiecesOS was already started; create a new one")
        self._started = True
        server_class = _HTTPServer6 if ":" in self._host else _HTTPServer
        try:
            httpd = server_class((self._host, self._port), _Handler)
        except OSError as error:
            raise OSError(
                error.errno,
                f"LocalPiecesOS cannot listen on {self._host}:{self._port} ({error.strerror}); "
                "pick another port (ports below 1024 may need admin rights)",
            ) from error
        httpd.state = self._state
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
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self._host, self._host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
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
        """Every request received so far (the last 10 000), oldest first; a copy."""
        return self._state.requests()

    def reset(self) -> None:
        """Back to the seeded catalogue, with no pending faults and an empty request log."""
        self._state.reset()

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

        ``retry_after`` (whole seconds, or an HTTP date) is sent as ``Retry-After``; ``body``
        replaces the default ``{"error": ..., "status": ...}`` JSON. The server state is not
        touched by a failed request.

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
        _check_count(n)
        _check_path(path)
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"status must be an int from 200 to 599, not {status!r}")
        if retry_after is not None and not (
            (
                isinstance(retry_after, int)
                and not isinstance(retry_after, bool)
                and retry_after >= 0
            )
            or (isinstance(retry_after, str) and retry_after.strip())
        ):
            raise ValueError(
                f"retry_after must be whole seconds (int >= 0) or an HTTP date, not {retry_after!r}"
            )
        payload: Optional[bytes]
        content_type = _JSON
        if body is None:
            phrase = _reason(status)
            payload = json.dumps(
                {
                    "error": f"injected failure: {status} {phrase} (LocalPiecesOS.fail_next)",
                    "status": status,
                }
            ).encode()
        elif isinstance(body, (dict, list)):
            payload = json.dumps(body).encode()
        else:
            payload = body.encode() if isinstance(body, str) else bytes(cast(bytes, body))
            if not _is_json(payload):
                content_type = "text/plain; charset=utf-8"
        self._state.add_fault(
            _Fault(
                "fail",
                n,
                path,
                status=status,
                retry_after=None if retry_after is None else str(retry_after),
                body=payload,
                content_type=content_type,
            )
        )

    def delay_next(self, n: int, seconds: float, path: Optional[str] = None) -> None:
        """Make the next ``n`` requests (to ``path`` only, if given) wait ``seconds`` before
        they are answered (combines with :meth:`fail_next` / :meth:`drop_next`)."""
        _check_count(n)
        _check_path(path)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
        self._state.add_fault(_Fault("delay", n, path, seconds=float(seconds)))

    def drop_next(self, n: int = 1, path: Optional[str] = None) -> None:
        """Close the connection of the next ``n`` requests (to ``path`` only, if given)
        without answering; the state is not touched."""
        _check_count(n)
        _check_path(path)
        self._state.add_fault(_Fault("drop", n, path))

    def __repr__(self) -> str:
        where = self.url if self._started else "not started"
        return f"<LocalPiecesOS {where}>"


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1 (how many requests), not {n!r}")


def _check_path(path: Optional[str]) -> None:
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise ValueError(f"path must start with '/', e.g. '/models/create', not {path!r}")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_json(payload: bytes) -> bool:
    try:
        json.loads(payload)
    except ValueError:
        return False
    return True


def _validate_catalogue(catalogue: Iterable[Union[Model, Mapping[str, Any]]]) -> List[Model]:
    models: List[Model] = []
    seen = set()
    for entry in catalogue:
        model = entry if isinstance(entry, Model) else Model.model_validate(dict(entry))
        if model.id in seen:
            raise ValueError(f"the catalogue has two models with id {model.id!r}")
        seen.add(model.id)
        models.append(model)
    return models


# --- HTTP ------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    """One thread per connection, tracked so ``stop()`` can close them all."""

    daemon_threads = True
    # A restart on a fixed port (``serve``) should not wait for TIME_WAIT to expire.
    allow_reuse_address = True

    def __init__(self, address: Tuple[str, int], handler: Type[BaseHTTPRequestHandler]) -> None:
        self.state: _State
        self.stopping = threading.Event()
        self._connections: Dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"LocalPiecesOS:{self.server_port}:{client_address[1]}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            pass  # the client went away (or stop() closed the socket): nothing to answer
        except Exception:
            logger.exception("LocalPiecesOS: unexpected error serving %s", client_address)
        finally:
            self.shutdown_request(request)
            with self._connections_lock:
                self._connections.pop(request, None)

    def close_connections(self) -> None:
        """Wake every connection thread (idle keep-alive ones included) and join them."""
        with self._connections_lock:
            live = list(self._connections.items())
        for sock, _ in live:
            with contextlib.suppress(OSError):  # already closed by its own thread
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in live:
            thread.join(STOP_JOIN_TIMEOUT)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"LocalPiecesOS/{__version__}"
    sys_version = ""
    timeout = IDLE_CONNECTION_TIMEOUT
    # Buffered writes: status line, headers and body leave in one segment, so Nagle and
    # delayed ACKs never add 40 ms to an answer.
    wbufsize = 1 << 16
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE and made-up ones included) goes through one dispatcher, which
        # answers 405 or 404 in JSON instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        state = self.server.state
        try:
            body = self._read_body()
        except _Rejected as rejected:
            # The body was not read, so the connection cannot be reused.
            self.close_connection = True
            state.record(RecordedRequest(self.command, self.path, self._headers(), b""))
            self._send(rejected.answer)
            return
        state.record(RecordedRequest(self.command, self.path, self._headers(), body))

        delay, outcome = state.take_faults(self.path.split("?", 1)[0])
        if delay is not None and self.server.stopping.wait(delay.seconds):
            self.close_connection = True
            return
        if outcome is not None and outcome.kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if outcome is not None:
            answer = _Answer(outcome.status, outcome.body or b"", outcome.content_type)
            if outcome.retry_after is not None:
                answer.headers["Retry-After"] = outcome.retry_after
            self._send(answer)
            return

        try:
            answer = _route(state, self.command, self.path, self.headers.get("Content-Type"), body)
        except _Rejected as rejected:
            answer = rejected.answer
        except Exception as error:  # a bug here must still produce an answer, not a hang
            logger.exception("LocalPiecesOS: error handling %s %s", self.command, self.path)
            answer = _error(500, f"LocalPiecesOS internal error: {type(error).__name__}: {error}")
        self._send(answer)

    def _headers(self) -> Dict[str, str]:
        return {name: value for name, value in self.headers.items()}

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            raise _Rejected(_error(400, f"invalid Content-Length {raw_length!r}"))
        if length > MAX_BODY_BYTES:
            raise _Rejected(_error(413, f"the body is over {MAX_BODY_BYTES} bytes"))
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise _Rejected(_error(400, "malformed chunked body")) from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _Rejected(_error(413, f"the body is over {MAX_BODY_BYTES} bytes"))
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status == 204 or answer.status == 304:
            body = b""
        else:
            body = answer.body
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        # http.server's own errors (bad request line, header too long...) as JSON too, with a
        # status line even when the request line was too broken to name a version.
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = self.protocol_version
        self._send(_error(code, message or _reason(code)))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("LocalPiecesOS %s " + format, self.address_string(), *args)


# --- routing ---------------------------------------------------------------------------------

_ENDPOINTS = (
    "GET /models",
    "POST /models/create",
    "POST /models/{model}/delete",
    "POST /models/{model}/delete/cache",
    "POST /models/unload",
    f"GET {HEALTH_PATH}",
)


def _route(
    state: _State, method: str, target: str, content_type: Optional[str], body: bytes
) -> _Answer:
    path = target.split("?", 1)[0]
    segments = path.split("/")[1:]  # "/models/x/delete" -> ["models", "x", "delete"]
    if path == HEALTH_PATH:
        _allow(method, "GET")
        return _Answer(200, b"ok", "text/plain; charset=utf-8")
    if path == "/models":
        _allow(method, "GET")
        return _Answer(200, state.snapshot_json())
    if path == "/models/create":
        _allow(method, "POST")
        seed = _parse_body(SeededModel, content_type, body)
        if seed is None:
            return _error(500, "POST /models/create needs a SeededModel body; none was sent")
        return _ok(state.create(seed))
    if path == "/models/unload":
        _allow(method, "POST")
        state.unload()
        return _Answer(204)
    if len(segments) == 3 and segments[0] == "models" and segments[2] == "delete":
        _allow(method, "POST")
        refused = state.delete(unquote(segments[1]))
        return _Answer(204) if refused is None else _error(500, refused)
    if segments[:1] == ["models"] and segments[2:] == ["delete", "cache"] and len(segments) == 4:
        _allow(method, "POST")
        request = _parse_body(ModelDeleteCacheInput, content_type, body)
        result = state.delete_cache(unquote(segments[1]))
        if isinstance(result, str):
            return _error(500, result)
        output = ModelDeleteCacheOutput(
            model=ReferencedModel(id=result.id, schema=result.var_schema),
            schema=request.var_schema if request is not None else None,
        )
        return _ok(output)
    return _error(
        404,
        f"no endpoint at {method} {path}; the Models API has: {', '.join(_ENDPOINTS)}",
    )


def _allow(method: str, allowed: str) -> None:
    if method not in (allowed, "HEAD" if allowed == "GET" else allowed):
        answer = _error(405, f"use {allowed} here, not {method}")
        answer.headers["Allow"] = allowed
        raise _Rejected(answer)


def _parse_body(model_class: Type[_W], content_type: Optional[str], body: bytes) -> Optional[_W]:
    """The body as ``model_class``; ``None`` when there is none. Rejects bad ones with 4xx."""
    if not body.strip():
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != _JSON and not media_type.endswith("+json"):
        raise _Rejected(
            _error(415, f"send the body as application/json, not {content_type or 'untyped'}")
        )
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _Rejected(_error(400, f"the body is not valid JSON: {error}")) from None
    if not isinstance(data, dict):
        raise _Rejected(
            _error(
                422,
                f"the body must be a JSON object ({model_class.__name__}), "
                f"not {type(data).__name__}",
            )
        )
    try:
        # Strict: a server takes "2024-05-01T12:00:00Z" for a timestamp, not the number 0.
        parsed = model_class.model_validate_json(body, strict=True)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
            for e in error.errors(include_url=False)
        ]
        raise _Rejected(_invalid_body(model_class, problems)) from None
    # The SDK keeps enum values it does not know (a newer server may send them); a server
    # knows all of its own, so an unknown one in a request is an error.
    unknown = list(_unknown_enum_values(parsed, ""))
    if unknown:
        problems = [
            {"field": where, "problem": f"unknown value {value!r}"} for where, value in unknown
        ]
        raise _Rejected(_invalid_body(model_class, problems))
    return parsed


def _invalid_body(model_class: Type[WireModel], problems: List[Dict[str, str]]) -> _Answer:
    first = f"{problems[0]['field']}: {problems[0]['problem']}"
    more = f" (and {len(problems) - 1} more, see 'problems')" if len(problems) > 1 else ""
    return _error(
        422, f"the body is not a valid {model_class.__name__}: {first}{more}", problems=problems
    )


def _unknown_enum_values(value: Any, where: str) -> Iterator[Tuple[str, str]]:
    if isinstance(value, WireEnum):
        if not value.is_known:
            yield where, value.value
    elif isinstance(value, WireModel):
        for name, field_info in type(value).model_fields.items():
            alias = field_info.alias or name
            yield from _unknown_enum_values(
                getattr(value, name), f"{where}.{alias}" if where else alias
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_enum_values(item, f"{where}[{index}]")
