"""``pieces-os-models``: the Models API from a terminal (also ``python -m pieces_os_client``).

::

    pieces-os-models models list [--json] [--wide] [--local|--cloud] [--downloaded|...] [TEXT]
    pieces-os-models models create --file seeded.json      # or --file - for stdin
    pieces-os-models models delete MODEL
    pieces-os-models models delete-cache MODEL
    pieces-os-models models unload
    pieces-os-models models watch [--json]                 # until Ctrl-C
    pieces-os-models models show MODEL [--json]
    pieces-os-models models download MODEL [MODEL ...] [--json] [--load] [--stall-timeout SECONDS]
    pieces-os-models models load MODEL
    pieces-os-models models unload MODEL                   # one model
    pieces-os-models serve [--host 127.0.0.1] [--port PORT] [--download-seconds SECONDS]

MODEL is a model's id, its ``unique`` slug, its name (any case) or the first six or more
characters of its id (:func:`pieces_os_client.resolve_model`, on one snapshot).
``--url URL``, ``--timeout``, ``--retries``, ``--wait``, ``--verbose`` and ``--debug`` go
anywhere on the line. Without ``--url`` or ``PIECES_OS_URL`` the commands look for Pieces OS on
the ports it uses (``--verbose`` says where they found it); ``--wait SECONDS`` keeps looking
that long, for scripts that start Pieces OS and then use it.

Exit status: 0 on success, 1 when Pieces OS answered with an error, could not be reached or
has no model (or several) by the MODEL given, 2 on bad usage (unknown option, malformed URL,
unreadable or invalid JSON file), 130 when Ctrl-C ended a download (canceled on Pieces OS).
Errors are one line on stderr; ``--debug`` adds the traceback and logs every request.

Only the standard library is imported up front: the SDK is loaded by the command that
needs it, so ``--help`` and usage errors stay instant.

The package, a module per concern: ``parser`` builds the whole command line once (each command
group adds its own commands: ``models`` list/create/delete/delete-cache/unload, ``watch``,
``model`` show/download/load/unload MODEL, ``serve``); ``options`` holds the argument types and
shared options, ``connection`` where Pieces OS is and the client, ``output`` what commands print
with, ``download`` the multi-download display, ``errors`` the error-to-message mapping, ``exits``
the exit statuses.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from pieces_os_client import _coexist

_coexist.check_entry()  # before any other module of ours: in a mixed install, another SDK's

from pieces_os_client.cli.errors import describe  # noqa: E402
from pieces_os_client.cli.exits import (  # noqa: E402
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from pieces_os_client.cli.parser import build_parser  # noqa: E402

__all__ = ["EXIT_API_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]


def _detach_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


def main(argv: Optional[Sequence[str]] = None, *, prog: str = "pieces-os-models") -> int:
    """Run the command line and return its exit status (it never calls ``sys.exit``).

    Example::

        >>> from pieces_os_client.cli import main
        >>> main(["models", "list", "--timeout", "soon"])  # usage goes to stderr
        2
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error (already printed)
        code = exit_request.code
        return code if isinstance(code, int) else EXIT_USAGE
    from pieces_os_client._display.terminal import Terminal

    # With --debug every request is logged to stderr: a spinner would only garble it.
    args.terminal = terminal = Terminal(spinner=not args.debug)
    try:
        status: int = args.handler(args)
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, and keep the interpreter from
        # complaining when it flushes the dead pipe at exit.
        _detach_stdout()
        return EXIT_API_ERROR
    except Exception as error:
        code, message = describe(error, args)
        if args.debug:
            import traceback

            traceback.print_exc()
        terminal.error(message)
        return code
