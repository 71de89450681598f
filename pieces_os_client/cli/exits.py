"""The command line's exit statuses, and the two errors that are not the API's."""

from __future__ import annotations

#: The command finished.
EXIT_OK = 0
#: Pieces OS answered with an error status, or could not be reached.
EXIT_API_ERROR = 1
#: The command line or an input file was wrong; nothing was sent.
EXIT_USAGE = 2
#: Ctrl-C during a download: the download was canceled on Pieces OS (128 + SIGINT, as a shell
#: reports a process that SIGINT ended).
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input found after parsing (an unreadable or invalid file): exit status 2."""


class CommandError(Exception):
    """A command failed for a reason that is not the API's (a port already taken): status 1."""
