"""``serve``: a local stand-in for Pieces OS (:func:`pieces_os_client.testing.serve`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pieces_os_client.cli.exits import EXIT_OK, CommandError
from pieces_os_client.cli.options import debug_option, port_argument, positive_float


def add_command(commands: Any) -> None:
    """``serve [--host ADDRESS] [--port PORT] [--download-seconds SECONDS] [--debug]``."""
    serve = commands.add_parser(
        "serve", help="run a local stand-in for Pieces OS (for tests and demos)"
    )
    serve.add_argument(
        "--host",
        dest="bind_host",
        metavar="ADDRESS",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument(
        "--port",
        type=port_argument,
        default=None,
        help="port to listen on (default: the first free one of 39300-39333, as "
        "Pieces OS; 0: any free port)",
    )
    serve.add_argument(
        "--download-seconds",
        metavar="SECONDS",
        type=positive_float,
        default=None,
        help="how long a model's download takes (default: 2), to watch progress at a real pace",
    )
    debug_option(serve, suppress=True)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from pieces_os_client.testing import serve

    if args.debug:
        import logging

        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
        )
    port_choice = {} if args.port is None else {"port": args.port}
    try:
        serve(args.bind_host, download_seconds=args.download_seconds, **port_choice)
    except KeyboardInterrupt:  # Ctrl-C is how a foreground server is meant to stop
        return EXIT_OK
    except OSError as error:
        # Without --port, serve() already tried every port of 39300-39333.
        where = f"{args.bind_host}:{args.port}" if args.port is not None else args.bind_host
        reason = error.strerror or str(error)
        if isinstance(error, PermissionError):
            hint = "; ports below 1024 need root on Linux: pass --port 39300 (or --port 0)"
        else:
            hint = "; pass another --port (--port 0: any free port)"
        raise CommandError(f"cannot listen on {where}: {reason}{hint}") from error
    return EXIT_OK
