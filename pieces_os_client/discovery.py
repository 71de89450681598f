"""``discover()``: find a running Pieces OS without being told where it listens.

Every candidate is probed at once (one short-lived thread each) with ``GET
/.well-known/health``, so the whole search costs about one probe timeout even when nothing
listens. Only the standard library is used: no connection pool outlives the search.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from pieces_os_client.configuration import HOST_ENV_VAR, Configuration
from pieces_os_client.exceptions import ApiConnectionError, connection_hint

__all__ = ["DEFAULT_PORTS", "HEALTH_PATH", "DiscoveryError", "discover"]

#: Where Pieces OS may listen on this machine, most likely first.
DEFAULT_PORTS: Tuple[int, ...] = (1000, 5323, *range(39300, 39334))
#: The host the default ports are probed on.
DEFAULT_DISCOVERY_HOST = "localhost"
#: The endpoint a healthy Pieces OS answers with a 2xx.
HEALTH_PATH = "/.well-known/health"
#: Seconds each probe may wait for a connection, and then for an answer.
DEFAULT_PROBE_TIMEOUT = 0.3


class DiscoveryError(ApiConnectionError):
    """No candidate answered the health check.

    ``tried`` lists every URL probed, in order of preference; ``reasons`` maps each one to
    why it was passed over (``"connection refused"``, ``"answered 404"``, ...).
    """

    def __init__(self, tried: Sequence[str], reasons: Dict[str, str]) -> None:
        self.tried: List[str] = list(tried)
        self.reasons: Dict[str, str] = dict(reasons)
        super().__init__(
            f"no Pieces OS answered GET {HEALTH_PATH} at any of the {len(self.tried)} URLs "
            f"tried ({', '.join(self.tried)}); "
            f"{connection_hint(self.tried[0] if self.tried else '')}",
            method="GET",
        )


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


def discover(
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    *,
    host: str = DEFAULT_DISCOVERY_HOST,
    ports: Sequence[int] = DEFAULT_PORTS,
    use_env: bool = True,
) -> Configuration:
    """Find a running Pieces OS and return a :class:`Configuration` pointing at it.

    Candidates, in order of preference: ``PIECES_OS_URL`` (when set, unless ``use_env`` is
    False), then
    ``http://{host}:{port}`` for each of ``ports`` (1000, 5323, 39300-39333 by default). All
    are probed in parallel; the most preferred one that answers wins. Each probe waits at
    most ``timeout`` seconds to connect and as long again for the answer, so the call returns
    in well under a second when nothing listens.

    Raises :class:`DiscoveryError` (an ``ApiConnectionError``) listing every URL tried.

    Example::

        >>> from pieces_os_client.discovery import discover, DiscoveryError
        >>> try:
        ...     discover(ports=[9], use_env=False)  # nothing listens on the discard port
        ... except DiscoveryError as error:
        ...     print(error.tried[-1])
        http://localhost:9
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    candidates: List[str] = []
    env_url = os.environ.get(HOST_ENV_VAR, "").strip().rstrip("/") if use_env else ""
    if env_url:
        candidates.append(env_url)
    for port in ports:
        url = f"http://{host}:{int(port)}"
        if url not in candidates:
            candidates.append(url)

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
            return Configuration(host=url)
        reasons[url] = reason
    raise DiscoveryError(candidates, reasons)
