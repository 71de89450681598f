"""Where the default host's calls go: one search for Pieces OS per process, shared by all.

A :class:`~pieces_os_client.configuration.Configuration` whose host is the default follows
:data:`LOCATOR`: its ``host`` is the URL the last search found, or the default until one has.
When a call is refused there, the transport asks :meth:`Locator.relocate` for a new place;
the threads (and, through a worker thread, the event loops) that ask at the same moment share
one search. Nothing failed is remembered, and a forked child starts over.

The search itself (probing ports) is :func:`pieces_os_client.discovery.discover`; this module
only decides who searches and what everyone uses next, so it needs no sockets.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Optional, Set
from urllib.parse import urlsplit

__all__ = ["DEFAULT_HOST", "LOCATOR", "Locator", "origin_of"]

#: Where Pieces OS listened before version 11, and where 5.0.1's ``Configuration`` looks.
DEFAULT_HOST = "http://localhost:1000"

logger = logging.getLogger("pieces_os_client")


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an http(s) or ws(s) URL, the scheme as http(s).

    Example::

        >>> from pieces_os_client._core.locator import origin_of
        >>> origin_of("ws://localhost:1000/models/stream/identifiers")
        'http://localhost:1000'
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{scheme}://{parts.netloc}"


def moved(url: str, old_origin: str, new_origin: str) -> str:
    """``url`` with its origin replaced, keeping a ws(s) scheme a ws(s) scheme.

    Example::

        >>> from pieces_os_client._core.locator import moved
        >>> moved("ws://localhost:1000/x", "http://localhost:1000", "http://localhost:39301")
        'ws://localhost:39301/x'
    """
    scheme, _, rest = url.partition("://")
    new_scheme, _, new_authority = new_origin.partition("://")
    if scheme.lower() in ("ws", "wss"):
        new_scheme = "ws" + new_scheme[len("http") :]
    path = rest[len(old_origin.partition("://")[2]) :]
    return f"{new_scheme}://{new_authority}{path}"


class _Search:
    """One search in flight: its result, or its error, for everyone waiting on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.found: Optional[str] = None
        self.error: Optional[BaseException] = None


class Locator:
    """Which URL the default host stands for now, and the one search that may change it.

    ``search`` (given to :meth:`relocate`) returns the URL of a running Pieces OS or raises
    (an ``ApiConnectionError`` listing where it looked).

    Example::

        >>> from pieces_os_client._core.locator import Locator
        >>> locator = Locator()
        >>> locator.found is None
        True
        >>> locator.relocate("http://localhost:1000", lambda: "http://localhost:39301")
        'http://localhost:39301'
        >>> locator.found
        'http://localhost:39301'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.found: Optional[str] = None
        self._search: Optional[_Search] = None
        self._announced: Set[str] = set()

    def follows(self, origin: str) -> bool:
        """Whether a call refused at ``origin`` was going where the default host stands."""
        return origin == DEFAULT_HOST or (self.found is not None and origin == self.found)

    def relocate(self, refused_at: str, search: Callable[[], str]) -> str:
        """The origin to send to now, after a connection to ``refused_at`` was refused.

        When another caller has moved on since this one read the host, that answer is
        returned at once; otherwise this caller runs the search or waits for the one running.
        """
        with self._lock:
            current = self.found if self.found is not None else DEFAULT_HOST
            if current != refused_at:
                return current  # someone already found where Pieces OS is now
            running = self._search
            owner = running is None
            if running is None:
                running = self._search = _Search()
        if not owner:
            running.done.wait()
            if running.error is not None:
                raise running.error
            assert running.found is not None
            return running.found
        try:
            found = search()
        except BaseException as error:
            running.error = error
            with self._lock:
                self._search = None
                self.found = None  # nothing failed is kept: the next call searches again
            running.done.set()
            raise
        running.found = found
        with self._lock:
            self._search = None
            self.found = found if found != DEFAULT_HOST else None
            announce = found not in self._announced
            self._announced.add(found)
        running.done.set()
        if announce:
            logger.info(
                "Pieces OS found at %s (nothing answered at %s); calls with the default host "
                "go there now. To skip this search, pass Configuration(host=%r)",
                found,
                refused_at,
                found,
            )
        return found

    def _forget(self) -> None:
        """In a forked child: the parent's answer, its search and what it said are not this
        process's (the child says where it finds Pieces OS once more)."""
        self._lock = threading.Lock()
        self.found = None
        self._search = None
        self._announced = set()


#: The process's one locator.
LOCATOR = Locator()

if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=LOCATOR._forget)
