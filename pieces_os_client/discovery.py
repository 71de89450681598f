"""``discover()``: find a running Pieces OS without being told where it listens.

Every candidate is probed at once (one short-lived thread each) with ``GET
/.well-known/health``, so the whole search costs about one probe timeout even when nothing
listens. Only the standard library is used: no connection pool outlives the search.

The same search runs by itself when a call with the default host is refused
(:func:`relocated_url`, used by every transport): see ``Configuration.host``.
"""

from __future__ import annotations

import asyncio
import errno
import http.client
import math
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pieces_os_client._core.locator import LOCATOR, moved, origin_of
from pieces_os_client.configuration import HOST_ENV_VAR, Configuration
from pieces_os_client.exceptions import ApiConnectionError, ApiValueError

__all__ = [
    "DEFAULT_PORTS",
    "HEALTH_PATH",
    "DiscoveryError",
    "discover",
    "discover_async",
]

#: Where Pieces OS may listen on this machine, most likely first: 1000 (before version 11 on
#: macOS and Windows), 5323 (before 11 on Linux), then 39300-39333 (version 11 and later).
DEFAULT_PORTS: Tuple[int, ...] = (1000, 5323, *range(39300, 39334))
#: The environment variable naming the address the search probes (default ``localhost``),
#: for a Pieces OS reached at another address, or tests that run stand-ins side by side.
DISCOVERY_HOST_ENV_VAR = "PIECES_OS_DISCOVERY_HOST"
#: The host the default ports are probed on.
DEFAULT_DISCOVERY_HOST = os.environ.get(DISCOVERY_HOST_ENV_VAR, "").strip() or "localhost"
#: Seconds between two searches while ``wait`` lasts: short at first, then at most this.
WAIT_BACKOFF = (0.05, 0.1, 0.2, 0.5)
#: The endpoint a healthy Pieces OS answers with a 2xx.
HEALTH_PATH = "/.well-known/health"
#: Seconds each probe may wait for a connection, and then for an answer.
DEFAULT_PROBE_TIMEOUT = 0.3


class DiscoveryError(ApiConnectionError):
    """No candidate answered the health check.

    ``tried`` lists every URL probed, in order of preference; ``reasons`` maps each one to
    why it was passed over (``"connection refused"``, ``"answered 404"``, ...).
    """

    def __init__(
        self,
        tried: Sequence[str],
        reasons: Dict[str, str],
        *,
        waited: Optional[float] = None,
        env_checked: bool = True,
    ) -> None:
        self.tried: List[str] = list(tried)
        self.reasons: Dict[str, str] = dict(reasons)
        #: Seconds ``discover(wait=...)`` kept looking, or None for a single look.
        self.waited = waited
        env = os.environ.get(HOST_ENV_VAR, "").strip()
        if env and env_checked:
            where = f"{HOST_ENV_VAR} ({env}), then " + describe_places(self.tried[1:])
            fix = f"start Pieces OS, or correct {HOST_ENV_VAR}"
        else:
            where = describe_places(self.tried) + ("" if env else f" ({HOST_ENV_VAR} is not set)")
            fix = (
                f"start Pieces OS (or wait for it: discover(wait=SECONDS)), or set "
                f"{HOST_ENV_VAR} or Configuration(host=...) to where it listens"
            )
        after = "" if waited is None else f" within {waited:g} s"
        super().__init__(
            f"found no Pieces OS{after}: nothing answered GET {HEALTH_PATH} at {where}; {fix}",
            method="GET",
        )


def describe_places(urls: Sequence[str]) -> str:
    """``http://localhost:1000, 5323 and 39300-39333``: URLs of one host by port ranges.

    Example::

        >>> from pieces_os_client.discovery import describe_places
        >>> describe_places(["http://localhost:1000", "http://localhost:39300",
        ...                  "http://localhost:39301", "http://localhost:39302"])
        'http://localhost:1000 and 39300-39302'
    """
    groups: List[Tuple[str, List[int]]] = []
    others: List[str] = []
    for url in urls:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        prefix = f"{parts.scheme}://{parts.hostname}"
        if port is None or parts.path.strip("/"):
            others.append(url)
        elif groups and groups[-1][0] == prefix:
            groups[-1][1].append(port)
        else:
            groups.append((prefix, [port]))
    shown: List[str] = []
    for prefix, ports in groups:
        runs: List[str] = []
        first = last = ports[0]
        for port in ports[1:]:
            if port == last + 1:
                last = port
                continue
            runs.append(str(first) if first == last else f"{first}-{last}")
            first = last = port
        runs.append(str(first) if first == last else f"{first}-{last}")
        joined = runs[0] if len(runs) == 1 else ", ".join(runs[:-1]) + " and " + runs[-1]
        shown.append(f"{prefix}:{joined}")
    return ", ".join(shown + others)


def _probe(url: str, timeout: float) -> Optional[str]:
    """None when ``url`` answers the health check with a 2xx, else why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// or https:// URL"
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    try:
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    except ValueError as error:  # e.g. a port that is not a number
        return str(error)
    try:
        connection.request("GET", parts.path.rstrip("/") + HEALTH_PATH)
        status = connection.getresponse().status
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except ConnectionRefusedError:
        return "connection refused"
    except (OSError, http.client.HTTPException) as error:
        return str(error) or type(error).__name__
    finally:
        connection.close()
    return None if 200 <= status < 300 else f"answered {status}"


def _candidates(host: Optional[str], ports: Sequence[int], use_env: bool) -> List[str]:
    candidates: List[str] = []
    env_url = os.environ.get(HOST_ENV_VAR, "").strip().rstrip("/") if use_env else ""
    if env_url:
        candidates.append(env_url)
    probed_host = DEFAULT_DISCOVERY_HOST if host is None else host
    for port in ports:
        url = f"http://{probed_host}:{int(port)}"
        if url not in candidates:
            candidates.append(url)
    return candidates


def _look_once(candidates: Sequence[str], timeout: float) -> Tuple[Optional[str], Dict[str, str]]:
    """Probe every candidate at once; the most preferred healthy one, and why the others
    were passed over."""
    # None means healthy, so a probe that has not (or could not) run must not read as None.
    results: List[Optional[str]] = ["not probed"] * len(candidates)
    finished = [threading.Event() for _ in candidates]

    def run(index: int) -> None:
        try:
            results[index] = _probe(candidates[index], timeout)
        except Exception as error:  # a probe must never take discovery down with it
            results[index] = f"probe failed: {error!r}"
        finally:
            finished[index].set()

    for index in range(len(candidates)):
        threading.Thread(
            target=run, args=(index,), name=f"pieces-os-discover-{index}", daemon=True
        ).start()

    # Connect and answer each get ``timeout``; the margin covers thread start-up.
    deadline = time.monotonic() + 2 * timeout + 0.2
    reasons: Dict[str, str] = {}
    for index, url in enumerate(candidates):
        # Waiting in order of preference: a less preferred answer never wins a race.
        if not finished[index].wait(max(0.0, deadline - time.monotonic())):
            reasons[url] = f"no answer within {timeout:g} s"
            continue
        reason = results[index]
        if reason is None:
            return url, reasons
        reasons[url] = reason
    return None, reasons


def _check_arguments(timeout: object, wait: object) -> Optional[float]:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ApiValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if wait is None:
        return None
    if isinstance(wait, bool) or not isinstance(wait, (int, float)):
        raise ApiValueError(
            f"wait must be a number of seconds such as 30 (or None to look once), "
            f"not {type(wait).__name__} {wait!r}"
        )
    if not (wait >= 0 and math.isfinite(wait)):
        raise ApiValueError(
            f"wait must be a number of seconds >= 0 (how long to keep looking), not {wait!r}"
        )
    return float(wait)


class _Waiting:
    """The schedule of ``discover(wait=...)``: look, then wait a short backoff, until found or
    ``wait`` seconds have passed. The clock is given, so the schedule is tested without
    sleeping."""

    def __init__(self, wait: Optional[float], clock: Callable[[], float]) -> None:
        self._clock = clock
        self._deadline = None if wait is None else clock() + wait
        self._looks = 0

    def next_pause(self) -> Optional[float]:
        """Seconds to pause before looking again, or None when the time is up."""
        if self._deadline is None:
            return None
        left = self._deadline - self._clock()
        if left <= 0:
            return None
        pause = WAIT_BACKOFF[min(self._looks, len(WAIT_BACKOFF) - 1)]
        self._looks += 1
        return min(pause, left)


def discover(
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    *,
    host: Optional[str] = None,
    ports: Sequence[int] = DEFAULT_PORTS,
    use_env: bool = True,
    wait: Optional[float] = None,
    _clock: Callable[[], float] = time.monotonic,
    _sleep: Callable[[float], Any] = time.sleep,
) -> Configuration:
    """Find a running Pieces OS and return a :class:`Configuration` pointing at it.

    Candidates, in order of preference: ``PIECES_OS_URL`` (when set, unless ``use_env`` is
    False), then ``http://{host}:{port}`` for each of ``ports`` (``localhost``, or
    ``PIECES_OS_DISCOVERY_HOST``; 1000, 5323, 39300-39333 by default). All are probed in
    parallel with ``GET /.well-known/health``; the most preferred one that answers wins.
    Each probe waits at most ``timeout`` seconds to connect and as long again for the answer,
    so one look takes well under a second when nothing listens.

    ``wait`` (seconds) keeps looking, a short pause between looks, until Pieces OS answers or
    the time is up: for scripts and CI jobs that start Pieces OS and then use it. The async
    form is :func:`discover_async`.

    Raises :class:`DiscoveryError` (an ``ApiConnectionError``) listing where it looked, and
    ``ApiValueError`` (before looking) for a ``timeout`` or ``wait`` that is not a number
    of seconds.

    Example::

        >>> from pieces_os_client.discovery import discover, DiscoveryError
        >>> try:
        ...     discover(ports=[9], use_env=False)  # nothing listens on the discard port
        ... except DiscoveryError as error:
        ...     print(error.tried[-1])
        http://localhost:9
    """
    wait_seconds = _check_arguments(timeout, wait)
    candidates = _candidates(host, ports, use_env)
    found = find(candidates, timeout, wait_seconds, _clock, _sleep, env_checked=use_env)
    return Configuration(host=found)


def find(
    candidates: Sequence[str],
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    wait: Optional[float] = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
    *,
    env_checked: bool = False,
) -> str:
    """The most preferred of ``candidates`` (base URLs) that answers the health check,
    looking again until ``wait`` seconds have passed; raises :class:`DiscoveryError`."""
    waiting = _Waiting(wait, clock)
    while True:
        found, reasons = _look_once(candidates, timeout)
        if found is not None:
            return found
        pause = waiting.next_pause()
        if pause is None:
            raise DiscoveryError(candidates, reasons, waited=wait, env_checked=env_checked)
        sleep(pause)


async def discover_async(
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    *,
    host: Optional[str] = None,
    ports: Sequence[int] = DEFAULT_PORTS,
    use_env: bool = True,
    wait: Optional[float] = None,
) -> Configuration:
    """:func:`discover` for event loops: each look runs in a worker thread and the pauses
    are ``asyncio.sleep``, so the loop keeps running while it waits for Pieces OS.

    Example::

        import asyncio

        from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
        from pieces_os_client.discovery import discover_async


        async def main() -> None:
            configuration = await discover_async(wait=30)  # Pieces OS may still be starting
            async with AsyncApiClient(configuration) as api_client:
                print(len((await AsyncModelsApi(api_client).models_snapshot()).iterable))


        asyncio.run(main())
    """
    wait_seconds = _check_arguments(timeout, wait)
    candidates = _candidates(host, ports, use_env)
    loop = asyncio.get_running_loop()
    waiting = _Waiting(wait_seconds, loop.time)
    while True:
        found, reasons = await loop.run_in_executor(None, _look_once, candidates, timeout)
        if found is not None:
            return Configuration(host=found)
        pause = waiting.next_pause()
        if pause is None:
            raise DiscoveryError(candidates, reasons, waited=wait_seconds, env_checked=use_env)
        await asyncio.sleep(pause)


# --- the search behind the default host -----------------------------------------------------
def is_refused(error: BaseException) -> bool:
    """Whether ``error`` (from urllib3, aiohttp or websockets) is a refused connection: the
    request was never sent."""
    seen = 0
    current: Optional[BaseException] = error
    while current is not None and seen < 10:
        if isinstance(current, ConnectionRefusedError):
            return True
        if isinstance(current, OSError) and current.errno == errno.ECONNREFUSED:
            return True
        inner = getattr(current, "os_error", None) or getattr(current, "reason", None)
        if isinstance(inner, BaseException) and inner is not current:
            current = inner
        else:
            current = current.__cause__ or current.__context__
        seen += 1
    return False


def _search_default_ports() -> str:
    candidates = _candidates(None, DEFAULT_PORTS, use_env=False)
    found, reasons = _look_once(candidates, DEFAULT_PROBE_TIMEOUT)
    if found is None:
        raise DiscoveryError(candidates, reasons, env_checked=False)
    return found


def relocated_url(configuration: Configuration, url: str, error: BaseException) -> Optional[str]:
    """Where to send the request to ``url`` instead, after ``error``; None to treat the
    error as it is. Only a refused connection at the place the default host stands for, on
    a configuration with the default host and the search on, moves a call; the search is
    shared with every thread asking at the same moment. Raises :class:`DiscoveryError`
    when Pieces OS is nowhere.
    """
    if not configuration._searches_for_pieces_os() or not is_refused(error):
        return None
    origin = origin_of(url)
    if not LOCATOR.follows(origin):
        return None
    try:
        new_origin = LOCATOR.relocate(origin, _search_default_ports)
    except DiscoveryError as missing:
        raise missing from error
    return moved(url, origin, new_origin)


async def relocated_url_async(
    configuration: Configuration, url: str, error: BaseException
) -> Optional[str]:
    """:func:`relocated_url` for event loops: the search (or the wait for another caller's)
    runs in a worker thread."""
    if not configuration._searches_for_pieces_os() or not is_refused(error):
        return None
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, relocated_url, configuration, url, error)
