"""Argument types and the options several commands share (``--url``, ``--debug``, MODEL)."""

from __future__ import annotations

import argparse
from typing import Any, Callable, TypeVar

_N = TypeVar("_N", int, float)


def _number(
    convert: Callable[[str], _N], not_one: str, wrong: Callable[[_N], bool], must: str
) -> Callable[[str], _N]:
    """An argument type: ``convert(text)``, refused with ``not_one`` when it fails and with
    ``must`` (``{text}`` is the argument) when the value is ``wrong``."""

    def parse(text: str) -> _N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{not_one}: {text!r}") from None
        if wrong(value):
            raise argparse.ArgumentTypeError(must.format(text=repr(text)))
        return value

    return parse


_INFINITY = float("inf")
#: ``--timeout``, ``--stall-timeout``, ``--download-seconds``: seconds > 0.
positive_float = _number(
    float,
    "not a number of seconds",
    lambda value: not value > 0 or value == _INFINITY,
    "must be a positive number of seconds: {text}",
)
#: ``--retries``: a whole number >= 0.
count_argument = _number(
    int, "not a whole number", lambda value: value < 0, "must be 0 or more: {text}"
)
#: ``--wait``: a number of seconds >= 0.
wait_seconds = _number(
    float,
    "not a number of seconds",
    lambda value: not (value >= 0 and value != _INFINITY),
    "must be a number of seconds >= 0, not {text}",
)
#: ``serve --port``: 0 (any free port) to 65535.
port_argument = _number(
    int,
    "not a port number",
    lambda value: not 0 <= value <= 65535,
    "must be between 0 and 65535: {text}",
)


def url_argument(text: str) -> str:
    """A Pieces OS URL: ``http(s)://host[:port][/path]``; anything else is a usage error."""
    from urllib.parse import urlsplit

    value = text.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a valid URL: {text!r} ({error})") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or any(ch.isspace() for ch in value)
    ):
        raise argparse.ArgumentTypeError(
            f"not an http:// or https:// URL such as http://localhost:1000: {text!r}"
        )
    return value


class _HostIsForServe(argparse.Action):
    """``--host`` outside ``serve``: say which option is meant instead of guessing."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error(
            "--host is the address `serve` listens on; "
            "say where Pieces OS is with --url URL (or PIECES_OS_URL)"
        )


def debug_option(parent: Any, *, suppress: bool) -> None:
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="log every request to stderr and show tracebacks",
    )


def connection_options(*, suppress: bool) -> argparse.ArgumentParser:
    """``--url/--timeout/--retries/--debug``. Accepted before the command (real defaults) and
    after it (``suppress``: a value given there overrides, an absent one changes nothing)."""
    parent = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    # No group of their own: --help must fit one 80x24 screen.
    group = parent
    group.add_argument(
        "--url",
        metavar="URL",
        type=url_argument,
        default=default(None),
        help="where Pieces OS is (default: $PIECES_OS_URL or a search)",
    )
    group.add_argument(
        "--host",
        nargs="?",
        action=_HostIsForServe,
        default=argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    group.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=positive_float,
        default=default(None),
        help="per attempt (default: connect 5 s, answer 120 s)",
    )
    group.add_argument(
        "--retries",
        metavar="N",
        type=count_argument,
        default=default(None),
        help="after connection failures and 429/502/503/504 (default 2)",
    )
    group.add_argument(
        "--wait",
        metavar="SECONDS",
        type=wait_seconds,
        default=default(None),
        help="look for Pieces OS this long (on 1000, 5323, 39300-39333)",
    )
    group.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        default=default(False),
        help="say on stderr where Pieces OS was found",
    )
    debug_option(group, suppress=suppress)
    return parent


#: How a command's MODEL argument is described.
MODEL_HELP = (
    "the model's id, unique slug, name (any case) or the first 6+ characters of its id "
    "(see: models list)"
)


def model_argument(
    parser: argparse.ArgumentParser, help: str = MODEL_HELP, *, optional: bool = False
) -> None:
    """The MODEL a command takes, as ``args.id`` (what :func:`chosen` looks up)."""
    parser.add_argument(
        "id", metavar="MODEL", nargs="?" if optional else None, default=None, help=help
    )
