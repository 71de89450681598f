"""Reading ``Configuration.host``: checked once per distinct value, secrets kept out of sight.

A host is ``scheme://[user:password@]host[:port][/base/path]``. The scheme is read in any case;
a query, a fragment, dot segments or an empty segment in the path are refused, since every
call appends its own path to the host. Credentials in the host are sent as HTTP Basic auth and
never shown: :func:`redact_url` masks them wherever a URL is printed or logged.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import SplitResult, unquote, urlsplit

from pieces_os_client.exceptions import ApiValueError

#: What replaces the ``user:password`` part of a URL that is shown or logged.
REDACTED = "***"

#: Characters a base path may hold as they stand (RFC 3986 ``pchar`` and ``/``, plus ``%``).
_PATH_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")
_USERINFO = re.compile(r"(?<=://)[^/?#]*@")


@dataclass(frozen=True)
class HostInfo:
    """A checked host: ``base`` is what request paths are appended to (no credentials)."""

    scheme: str
    base: str
    authorization: Optional[str]
    shown: str


def parse_host(host: object) -> HostInfo:
    """Check ``host`` and split it into what is sent and what is shown.

    Raises :class:`~pieces_os_client.exceptions.ApiValueError` naming the problem and the fix.

    Example::

        >>> from pieces_os_client._core.host import parse_host
        >>> info = parse_host("HTTP://me:secret@127.0.0.1:1000/pieces")
        >>> info.base, info.shown
        ('http://127.0.0.1:1000/pieces', 'http://***@127.0.0.1:1000/pieces')
    """
    if not isinstance(host, str):
        raise ApiValueError(
            f"host must be a str such as 'http://localhost:1000', not {type(host).__name__}"
        )
    return _parse(host)


@functools.lru_cache(maxsize=64)
def _parse(host: str) -> HostInfo:
    shown = redact_url(host)
    example = "such as 'http://localhost:1000'"
    if any(c.isspace() or not c.isprintable() for c in host):
        raise ApiValueError(f"host {shown!r} contains spaces or control characters; remove them")
    try:
        parts = urlsplit(host)
        port = parts.port  # reading it checks it
    except ValueError as error:
        # Python 3.9's urlsplit quotes the whole netloc (password included) in some errors.
        why = str(error) if "@" not in str(error) else "its host part has invalid characters"
        raise ApiValueError(
            f"host {shown!r} is not a valid URL ({why}); use one {example}"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host.lower().startswith(scheme + "://"):
        raise ApiValueError(f"host must be an http:// or https:// URL {example}, not {shown!r}")
    if not parts.hostname:
        raise ApiValueError(f"host {shown!r} names no server; use a URL {example}")
    if "?" in host or "#" in host:
        raise ApiValueError(
            f"host {shown!r} has a query or fragment ('?' or '#'); the host is only "
            f"scheme://server[:port][/base/path], every call adds its own path"
        )
    path = parts.path.rstrip("/")
    segments = path.split("/")[1:]
    if (
        not _PATH_CHARACTERS.fullmatch(path)
        or any(segment in ("", ".", "..") for segment in segments)
        or "%2f" in path.lower()
    ):
        raise ApiValueError(
            f"host {shown!r} has a path that is not a plain base path (e.g. '/pieces'): "
            f"no spaces, empty, '.' or '..' segments, or encoded '/'"
        )
    netloc = parts.netloc.rpartition("@")[2]
    if port is not None and port == 0:
        raise ApiValueError(f"host {shown!r} has port 0; use the port Pieces OS listens on")
    return HostInfo(
        scheme=scheme,
        base=f"{scheme}://{netloc}{path}",
        authorization=_basic_auth(parts),
        shown=shown,
    )


def _basic_auth(parts: SplitResult) -> Optional[str]:
    if "@" not in parts.netloc:
        return None
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``; cheap when there is none.

    Example::

        >>> from pieces_os_client._core.host import redact_url
        >>> redact_url("http://me:secret@localhost:1000/models")
        'http://***@localhost:1000/models'
    """
    if "@" not in url:
        return url
    return _USERINFO.sub(REDACTED + "@", url, count=1)
