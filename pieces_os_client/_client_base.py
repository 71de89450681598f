"""What the sync and async clients share: configuration, default headers, the process-wide
default instance and request logging. Only sending bytes differs between them."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, ClassVar, Dict, Optional, Type, TypeVar

from pieces_os_client._core.body import BodyTooLarge
from pieces_os_client._core.endpoint import check_header
from pieces_os_client._core.host import parse_host, redact_url
from pieces_os_client._version import __version__
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import ApiResponseTooLargeError, ApiTypeError

#: The ``User-Agent`` sent unless you set another.
DEFAULT_USER_AGENT = f"pieces-os-client-python/{__version__}"

logger = logging.getLogger("pieces_os_client")

_ClientT = TypeVar("_ClientT", bound="ClientBase")


class _Forks:
    """Counts ``os.fork()`` calls in this process's ancestry; pools note the count they saw."""

    count = 0


def _after_fork_in_child() -> None:
    _Forks.count += 1


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def fork_generation() -> int:
    """Changes in a child after ``os.fork()``: connections opened before belong to the parent."""
    return _Forks.count


def too_large(
    error: BodyTooLarge, method: str, url: str, response: Any = None
) -> ApiResponseTooLargeError:
    """The SDK's exception for a body past ``max_response_size``."""
    if response is not None:
        error.status, error.reason, error.headers = (
            response.status,
            response.reason,
            response.headers,
        )
    return ApiResponseTooLargeError(
        error.status,
        error.reason,
        body=error.head,
        headers=error.headers,
        limit=error.limit,
        method=method,
        url=redact_url(url),
    )


class ClientBase:
    """Settings and headers of one client; subclasses add a transport."""

    # Each subclass declares its own ``_default`` so sync and async defaults stay apart.
    _default: ClassVar[Optional[Any]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        if configuration is not None and not isinstance(configuration, Configuration):
            raise ApiTypeError(
                f"{type(self).__name__} needs a Configuration (got {type(configuration).__name__}):"
                f" write {type(self).__name__}(Configuration(host=...))"
            )
        self.configuration = (
            configuration if configuration is not None else Configuration.get_default()
        )
        _check_host(self.configuration.host)
        self.default_headers: Dict[str, str] = {
            "Accept": "application/json",
            "User-Agent": DEFAULT_USER_AGENT,
        }
        if header_name is not None:
            self.set_default_header(header_name, header_value or "")
        if cookie is not None:
            self.set_default_header("Cookie", cookie)
        self.cookie = cookie
        self.client_side_validation = self.configuration.client_side_validation

    @classmethod
    def get_default(cls: Type[_ClientT]) -> _ClientT:
        """The process-wide client used by the ``*Api`` classes when none is given (made on
        first use)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            default: _ClientT = cls._default
            return default

    @classmethod
    def set_default(cls: Type[_ClientT], default: Optional[_ClientT]) -> None:
        """Replace the process-wide client used by the ``*Api`` classes."""
        with cls._default_lock:
            cls._default = default

    def __repr__(self) -> str:
        """``ApiClient(host='http://localhost:1000')``: which Pieces OS this client talks to."""
        return f"{type(self).__name__}(host={redact_url(self.configuration.host)!r})"

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` header value."""
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.set_default_header("User-Agent", value)

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send this header with every request from this client."""
        check_header(header_name, header_value)
        self.default_headers[header_name] = header_value


def _timing(debug_logger: Optional[logging.Logger]) -> Optional[float]:
    """The start time of a request worth logging, or None when nobody listens (no clock read)."""
    if debug_logger is None and not logger.isEnabledFor(logging.DEBUG):
        return None
    return time.perf_counter()


def _log_answer(
    debug_logger: Optional[logging.Logger], method: str, url: str, status: int, started: float
) -> None:
    _log(debug_logger, "%s %s -> %s in %.1f ms", method, redact_url(url), status, _ms(started))


def _log_failure(
    debug_logger: Optional[logging.Logger],
    method: str,
    url: str,
    error: BaseException,
    started: float,
) -> None:
    _log(
        debug_logger, "%s %s failed after %.1f ms: %s", method, redact_url(url), _ms(started), error
    )


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _log(debug_logger: Optional[logging.Logger], message: str, *args: Any) -> None:
    # Only method, URL, status and timing: header values (credentials) are never logged.
    logger.debug(message, *args)
    if debug_logger is not None:
        debug_logger.debug(message, *args)


def _check_host(host: str) -> None:
    # Checked again on every call (cached), since configuration.host may change later.
    parse_host(host)


def _api_repr(api: Any) -> str:
    """``ModelsApi(host='http://localhost:1000')``, shared by the sync and async APIs."""
    return f"{type(api).__name__}(host={redact_url(api.api_client.configuration.host)!r})"


def _check_api_client(api_name: str, api_client: Any, *, is_async: bool) -> None:
    """Refuse, at construction, a client of the other kind (or no client at all): the mistake
    would otherwise surface on the first call as ``'coroutine' object has no attribute``."""
    import inspect

    invoke = getattr(api_client, "_invoke", None)
    wanted = "AsyncApiClient" if is_async else "ApiClient"
    got = type(api_client).__name__
    if invoke is None:
        raise ApiTypeError(
            f"{api_name} needs an {wanted} (got {got}): write {api_name}({wanted}(configuration))"
        )
    if inspect.iscoroutinefunction(invoke) != is_async:
        # Every API class has its twin: ModelApi <-> pieces_os_client.aio.AsyncModelApi.
        twin = api_name[len("Async") :] if is_async else f"aio.Async{api_name}"
        other = f"pieces_os_client.{twin}"
        raise ApiTypeError(
            f"{api_name} needs an {wanted} (got {got}): use {other} with an {got}, "
            f"or give {api_name} an {wanted}"
        )
