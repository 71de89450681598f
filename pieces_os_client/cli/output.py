"""What every command prints with: stdout lines, pretty JSON, model names, the spinner."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pieces_os_client._display.terminal import Terminal


def out(text: str) -> None:
    sys.stdout.write(text + "\n")


def pretty_json(wire_json: str) -> str:
    return json.dumps(json.loads(wire_json), indent=2)


def waiting(args: argparse.Namespace, what: str) -> Any:
    """A spinner on stderr while ``what`` takes over half a second (see ``_terminal``)."""
    terminal: Terminal = args.terminal
    return terminal.progress(what)


def named(model: Any) -> str:
    return f"model {model.id} ({model.name})"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
