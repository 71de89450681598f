"""``Configuration``: where Pieces OS is, how to authenticate, and how patient to be.

Defaults are named constants so they are documented in one place.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import threading
from typing import Any, ClassVar, Dict, Optional, Tuple, Union

from pieces_os_client._core.host import redact_url
from pieces_os_client._core.locator import DEFAULT_HOST, LOCATOR
from pieces_os_client._version import __version__
from pieces_os_client.exceptions import ApiTypeError, ApiValueError

#: The environment variable that overrides :data:`DEFAULT_HOST` (never second-guessed).
HOST_ENV_VAR = "PIECES_OS_URL"
#: The environment variable that turns the search for Pieces OS off (``0``, ``false``, ``no``,
#: ``off``) or on (``1``, ``true``, ``yes``, ``on``) for configurations that do not say.
DISCOVER_ENV_VAR = "PIECES_OS_DISCOVER"
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")
#: Seconds to wait for a TCP connection / for the answer. Finite, so no call hangs forever.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 120.0
#: Retries after the first attempt, for connection failures and 429/502/503/504.
DEFAULT_RETRIES = 2
#: Connections kept open per host; enough for a few busy threads.
DEFAULT_POOL_MAXSIZE = 16
#: Seconds leaving a stream may wait for the server to answer the WebSocket closing handshake.
DEFAULT_STREAM_CLOSE_TIMEOUT = 2.0
#: The largest answer body read, in bytes after decompression: a large snapshot is a few MiB.
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024

#: A timeout: a deadline in seconds for the whole call, or a ``(connect, read)`` pair per phase.
TimeoutSpec = Union[float, Tuple[float, float]]


class _AppendingFileHandler(logging.Handler):
    """Appends each record to a file, opened only for the write.

    A ``logging.FileHandler`` would keep the file open for as long as the configuration
    lives and warn (``ResourceWarning``) when it is collected; debug logging is not hot.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            with open(self.path, "a", encoding="utf-8") as log_file:
                log_file.write(line + "\n")
        except Exception:
            self.handleError(record)


def _discover_setting(value: Optional[bool]) -> bool:
    """``discover_host=`` as given, else ``PIECES_OS_DISCOVER``, else True; checked now."""
    if value is not None:
        if not isinstance(value, bool):
            raise ApiTypeError(
                f"discover_host must be True or False (or None for {DISCOVER_ENV_VAR}'s "
                f"value), not {type(value).__name__} {value!r}"
            )
        return value
    word = os.environ.get(DISCOVER_ENV_VAR, "").strip().lower()
    if not word:
        return True
    if word in _TRUE_WORDS or word in _FALSE_WORDS:
        return word in _TRUE_WORDS
    raise ApiValueError(
        f"{DISCOVER_ENV_VAR}={os.environ[DISCOVER_ENV_VAR]!r} is not a boolean: set it to "
        f"0 (never search for Pieces OS) or 1 (search when the default host is refused), "
        f"or unset it"
    )


class Configuration:
    """Settings for an :class:`~pieces_os_client.api_client.ApiClient`.

    Every argument is optional. The host, in order: ``host=`` (or a later assignment to
    ``.host``), else ``PIECES_OS_URL``, else the default ``http://localhost:1000``. Only the
    default (or ``host="http://localhost:1000"`` exactly, as the published docs write it) is
    searched: when a call is refused there, Pieces OS is looked for on 1000, 5323 and
    39300-39333 at once, and that call and the next ones go where it answers (``.host`` then
    says that URL). ``discover_host=False`` or ``PIECES_OS_DISCOVER=0`` turns the search off.

    Example::

        >>> from pieces_os_client import Configuration
        >>> config = Configuration(host="http://127.0.0.1:1000", timeout=(2, 30), retries=0)
        >>> config.host
        'http://127.0.0.1:1000'

    ``stream_close_timeout`` (seconds, default 2) bounds how long closing a stream waits for
    the server to answer the WebSocket closing handshake; past it the connection is cut, so
    leaving a stream never hangs::

        >>> Configuration(stream_close_timeout=0.5).stream_close_timeout
        0.5
    """

    _default: ClassVar[Optional[Configuration]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        host: Optional[str] = None,
        api_key: Optional[Dict[str, str]] = None,
        api_key_prefix: Optional[Dict[str, str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        access_token: Optional[str] = None,
        server_index: Optional[int] = None,
        server_variables: Optional[Dict[str, str]] = None,
        server_operation_index: Optional[Dict[int, int]] = None,
        server_operation_variables: Optional[Dict[int, Dict[str, str]]] = None,
        ignore_operation_servers: bool = False,
        ssl_ca_cert: Optional[str] = None,
        retries: Any = DEFAULT_RETRIES,
        ca_cert_data: Optional[Union[str, bytes]] = None,
        *,
        debug: bool = False,
        timeout: TimeoutSpec = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT),
        max_response_size: Optional[int] = DEFAULT_MAX_RESPONSE_SIZE,
        stream_close_timeout: float = DEFAULT_STREAM_CLOSE_TIMEOUT,
        discover_host: Optional[bool] = None,
    ) -> None:
        if host is not None and not isinstance(host, str):
            raise ApiTypeError(
                f"host must be a URL string such as 'http://localhost:1000', "
                f"not {type(host).__name__}"
            )
        env_host = os.environ.get(HOST_ENV_VAR, "").strip()
        chosen = (host or env_host or DEFAULT_HOST).rstrip("/")
        self._host: str = chosen
        # The published docs' own example passes the old default: it is searched like it.
        self._host_is_default = chosen == DEFAULT_HOST and (bool(host) or not env_host)
        self.discover_host = _discover_setting(discover_host)
        #: ``{"application": "<id>"}`` is sent as the ``X-Application-ID`` header.
        self.api_key: Dict[str, str] = dict(api_key or {})
        self.api_key_prefix: Dict[str, str] = dict(api_key_prefix or {})
        #: Sent as ``Authorization: Bearer <token>`` when set.
        self.access_token: Optional[str] = access_token
        self.username = username
        self.password = password
        self.server_index = server_index
        self.server_variables = dict(server_variables or {})
        self.server_operation_index = dict(server_operation_index or {})
        self.server_operation_variables = dict(server_operation_variables or {})
        self.ignore_operation_servers = ignore_operation_servers
        self.verify_ssl: bool = True
        self.ssl_ca_cert: Optional[str] = ssl_ca_cert
        #: CA certificates to verify an https host with: PEM text or DER bytes.
        self.ca_cert_data: Optional[Union[str, bytes]] = ca_cert_data
        self.cert_file: Optional[str] = None
        self.key_file: Optional[str] = None
        self.assert_hostname: Optional[bool] = None
        self.tls_server_name: Optional[str] = None
        self.proxy: Optional[str] = None
        self.proxy_headers: Optional[Dict[str, str]] = None
        self.connection_pool_maxsize: int = DEFAULT_POOL_MAXSIZE
        #: Retries after the first attempt (an int), or a ``urllib3.Retry`` for full control.
        self.retries: Any = retries
        #: A deadline in seconds for the whole call, or ``(connect, read)`` per phase; never
        #: infinite by default.
        self.timeout: TimeoutSpec = timeout
        #: Bytes an answer's body may have after decompression; past it the call raises
        #: ``ApiResponseTooLargeError``. ``None`` lifts the limit.
        self.max_response_size: Optional[int] = max_response_size
        self.stream_close_timeout = stream_close_timeout
        self.client_side_validation = True
        self.safe_chars_for_path_param = ""
        self.socket_options: Optional[Any] = None
        self.logger_format = "%(asctime)s %(levelname)s %(name)s %(message)s"
        self.logger_file: Optional[str] = None
        self.debug = debug

    @property
    def host(self) -> str:
        """The URL calls are sent to (``scheme://host:port[/base]``, no trailing ``/``).

        As given (``host=``, an assignment, ``PIECES_OS_URL``), it never changes. For the
        default host it is ``http://localhost:1000`` until a call is refused there; from then
        on it is where the search found Pieces OS (``http://localhost:39300``...), for every
        configuration with the default host in this process, until Pieces OS moves again.

        Example::

            >>> from pieces_os_client import Configuration
            >>> config = Configuration(host="http://127.0.0.1:39300/")
            >>> config.host
            'http://127.0.0.1:39300'
            >>> config.host = "http://127.0.0.1:39301"  # an assignment is used as given
            >>> config.host
            'http://127.0.0.1:39301'
        """
        if self._host_is_default and self._discover_host:
            found = LOCATOR.found
            if found is not None:
                return found
        return self._host

    @host.setter
    def host(self, value: str) -> None:
        self._host = value
        self._host_is_default = False

    @property
    def discover_host(self) -> bool:
        """Whether a call refused at the default host looks for Pieces OS on its other ports
        (1000, 5323, 39300-39333). Default: ``PIECES_OS_DISCOVER`` when set, else True. A host
        you give is never searched, whatever this says.

        Example::

            >>> from pieces_os_client import Configuration
            >>> Configuration(discover_host=False).discover_host
            False
            >>> Configuration(discover_host="no")
            Traceback (most recent call last):
            ...
            pieces_os_client.exceptions.ApiTypeError: discover_host must be True or False (or None for PIECES_OS_DISCOVER's value), not str 'no'
        """
        return self._discover_host

    @discover_host.setter
    def discover_host(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ApiTypeError(
                f"discover_host must be True or False, not {type(value).__name__} {value!r}"
            )
        self._discover_host = value

    def _searches_for_pieces_os(self) -> bool:
        """True when a refused connection should start the search (the host is the default)."""
        return self._host_is_default and self._discover_host

    @property
    def stream_close_timeout(self) -> float:
        """Seconds closing a stream (``close()``, leaving its ``with``, a watcher's
        ``close()``) waits for the server's answer to the WebSocket closing handshake before
        it cuts the connection; a number > 0, default 2. Read when a stream is opened.

        Example::

            >>> from pieces_os_client import Configuration
            >>> config = Configuration()
            >>> config.stream_close_timeout = 0.3
            >>> config.stream_close_timeout = 0
            Traceback (most recent call last):
            ...
            pieces_os_client.exceptions.ApiValueError: stream_close_timeout must be a number of seconds > 0, not 0
        """
        return self._stream_close_timeout

    @stream_close_timeout.setter
    def stream_close_timeout(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiTypeError(
                f"stream_close_timeout must be a number of seconds such as 2.0, "
                f"not {type(value).__name__}"
            )
        if not (value > 0 and math.isfinite(value)):
            raise ApiValueError(
                f"stream_close_timeout must be a number of seconds > 0, not {value!r}"
            )
        self._stream_close_timeout = float(value)

    # --- defaults shared across the process, handed out as copies ----------------------------
    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Make a copy of ``default`` the template for ``Configuration.get_default()``."""
        with cls._default_lock:
            cls._default = copy.deepcopy(default) if default is not None else None

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """Same as :meth:`get_default` (the published SDK's older name)."""
        return cls.get_default()

    @classmethod
    def get_default(cls) -> Configuration:
        """A fresh copy of the default: changing it never changes anyone else's settings."""
        with cls._default_lock:
            template = cls._default
        return copy.deepcopy(template) if template is not None else cls()

    # --- auth ----------------------------------------------------------------------------------
    def get_api_key_with_prefix(
        self, identifier: str, alias: Optional[str] = None
    ) -> Optional[str]:
        """The API key for ``identifier`` with its prefix (``"Bearer abc"``), or None."""
        key = self.api_key.get(identifier, self.api_key.get(alias) if alias else None)
        if key is None:
            return None
        prefix = self.api_key_prefix.get(identifier)
        return f"{prefix} {key}" if prefix else key

    def get_basic_auth_token(self) -> Optional[str]:
        """The ``Authorization`` value for HTTP basic auth from ``username`` and ``password``
        (the Models API does not use it; kept for code written for the published SDK).

        Example::

            >>> from pieces_os_client import Configuration
            >>> Configuration(username="user", password="pass").get_basic_auth_token()
            'Basic dXNlcjpwYXNz'
        """
        import base64

        credentials = f"{self.username or ''}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(credentials).decode("ascii")

    def auth_settings(self) -> Dict[str, Dict[str, str]]:
        """The auth headers this configuration sends, keyed by scheme name."""
        settings: Dict[str, Dict[str, str]] = {}
        application = self.get_api_key_with_prefix("application")
        if application is not None:
            settings["application"] = {
                "type": "api_key",
                "in": "header",
                "key": "X-Application-ID",
                "value": application,
            }
        if self.access_token is not None:
            settings["bearerAuth"] = {
                "type": "bearer",
                "in": "header",
                "key": "Authorization",
                "value": f"Bearer {self.access_token}",
            }
        return settings

    # --- hosts ---------------------------------------------------------------------------------
    def get_host_settings(self) -> list[Dict[str, Any]]:
        """The one server this API has: the configured host."""
        return [{"url": self.host, "description": "Pieces OS", "variables": {}}]

    def get_host_from_settings(
        self,
        index: Optional[int],
        variables: Optional[Dict[str, str]] = None,
        servers: Optional[list[Dict[str, Any]]] = None,
    ) -> str:
        """The host URL for server ``index`` (only index 0 / None exists)."""
        if index not in (None, 0):
            raise ApiValueError(
                f"invalid host index {index}: only index 0 ({redact_url(self.host)}) exists"
            )
        return self.host

    # --- logging -------------------------------------------------------------------------------
    @property
    def debug(self) -> bool:
        """When True, this configuration's clients log every request (method, URL, status,
        time) to stderr, or to ``logger_file``. It changes no process-wide logging state."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        self._debug_logger: Optional[logging.Logger] = None

    def _get_debug_logger(self) -> Optional[logging.Logger]:
        """A logger owned by this configuration alone (not registered with ``logging``)."""
        if not self._debug:
            return None
        if self._debug_logger is None:
            own = logging.Logger(f"pieces_os_client.debug.{id(self):x}", logging.DEBUG)
            handler: logging.Handler = (
                _AppendingFileHandler(self.logger_file)
                if self.logger_file
                else logging.StreamHandler()
            )
            handler.setFormatter(logging.Formatter(self.logger_format))
            own.addHandler(handler)
            self._debug_logger = own
        return self._debug_logger

    def __deepcopy__(self, memo: Dict[int, Any]) -> Configuration:
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key == "_debug_logger":
                clone.__dict__[key] = None
            else:
                clone.__dict__[key] = copy.deepcopy(value, memo)
        return clone

    def to_debug_report(self) -> str:
        """Versions and settings worth pasting into a bug report (no secrets)."""
        import platform
        import sys

        return (
            f"Python SDK Debug Report:\nOS: {sys.platform}\nPython Version: {platform.python_version()}\n"
            f"SDK Package Version: {__version__}\nHost: {redact_url(self.host)}\n"
            f"Timeout: {self.timeout}\nRetries: {self.retries}"
        )

    def __repr__(self) -> str:
        return f"Configuration(host={redact_url(self.host)!r}, timeout={self.timeout!r}, retries={self.retries!r})"
