"""The argument parser: the top level and ``models``, each command group adding its own."""

from __future__ import annotations

import argparse

from pieces_os_client._version import __version__
from pieces_os_client.cli import model, models, serve, watch
from pieces_os_client.cli.exits import EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from pieces_os_client.cli.options import connection_options


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The whole command line, built here and only here: each command group adds its own."""
    parser = argparse.ArgumentParser(
        prog=prog,
        usage="%(prog)s [options] COMMAND ...",
        description="Manage the machine-learning models of a running Pieces OS.",
        epilog=(
            f"exit status: {EXIT_OK} success, {EXIT_API_ERROR} API or connection error, "
            f"{EXIT_USAGE} bad usage, {EXIT_INTERRUPTED} Ctrl-C"
        ),
        parents=[connection_options(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        title="commands",
        dest="command",
        metavar="COMMAND",
        required=True,
        help=f"{prog} COMMAND --help for more",
        prog=prog,
    )
    after = [connection_options(suppress=True)]

    models_parser = commands.add_parser(
        "models",
        parents=after,
        usage="%(prog)s [options] ACTION ...",
        help="list, show, download, load, unload, watch, create, delete, delete-cache",
    )
    actions = models_parser.add_subparsers(
        title="actions",
        dest="action",
        metavar="ACTION",
        required=True,
        help=f"{prog} models ACTION --help for more",
        prog=f"{prog} models",
    )
    models.add_commands(actions, after)
    watch.add_command(actions, after)
    model.add_commands(actions, after)
    serve.add_command(commands)
    return parser
