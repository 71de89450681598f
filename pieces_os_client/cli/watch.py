"""``models watch``: a line (or a JSON object) per change to the models, until Ctrl-C."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from typing import TYPE_CHECKING, Any, List, Sequence, Tuple

from pieces_os_client.cli.connection import with_api
from pieces_os_client.cli.exits import EXIT_OK
from pieces_os_client.cli.output import out, waiting

if TYPE_CHECKING:
    from pieces_os_client.api.models_api import ModelsApi


def add_command(actions: Any, parents: List[argparse.ArgumentParser]) -> None:
    """``models watch [--json]``."""
    watch = actions.add_parser(
        "watch",
        parents=parents,
        help="print each change to the models as it happens, until Ctrl-C",
        description=(
            "Follow GET /models/stream/identifiers: one line per change (added, updated, "
            "removed models), reconnecting after a dropped connection up to --retries times. "
            "Exit status 0 on Ctrl-C, 1 when the connection is lost for good. "
            "Needs the stream extra (websockets)."
        ),
    )
    watch.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per change: {"initial", "added", "updated", "removed", "models"}',
    )
    watch.set_defaults(handler=_watch)


def _watch(args: argparse.Namespace) -> int:
    def run(api: ModelsApi) -> int:
        names: dict[str, str] = {}
        try:
            with api.models_watch() as watcher:
                changes = iter(watcher)
                with waiting(args, "connecting to the model stream"):
                    first = next(changes, None)
                for change in itertools.chain([] if first is None else [first], changes):
                    if args.json:
                        out(_change_json(change))
                    else:
                        # Coloured labels on a terminal, plain text in a pipe (as models list).
                        args.terminal.styled_line(_change_parts(change, names))
                    sys.stdout.flush()
                    names = {model.id: model.name for model in change.models}
        except KeyboardInterrupt:
            return EXIT_OK  # Ctrl-C is how a watch ends
        return EXIT_OK

    return with_api(args, run)


def _change_json(change: Any) -> str:
    return json.dumps(
        {
            "initial": change.initial,
            "added": list(change.added),
            "updated": list(change.updated),
            "removed": list(change.removed),
            "models": len(change.models),
        }
    )


#: How each kind of change is coloured on a terminal.
_CHANGE_STYLES = {"added": "green", "updated": "yellow", "removed": "red"}


def _change_parts(change: Any, names: dict[str, str]) -> List[Tuple[str, str]]:
    """``12:00:01 added Phi-3 (id); updated Llama 3 (id); 16 models`` as ``(text, style)``
    parts for :meth:`Terminal.styled_line`."""
    import time

    clock = (f"{time.strftime('%H:%M:%S')} ", "dim")
    if change.initial:
        return [clock, (f"watching {len(change.models)} models", "")]

    def named(ids: Sequence[str], known: dict[str, str]) -> str:
        return ", ".join(f"{known[i]} ({i})" if i in known else i for i in ids)

    now = {model.id: model.name for model in change.models}
    parts: List[Tuple[str, str]] = [clock]
    for label, ids, known in (
        ("added", change.added, now),
        ("updated", change.updated, now),
        ("removed", change.removed, names),
    ):
        if ids:
            parts += [(label, _CHANGE_STYLES[label]), (f" {named(ids, known)}; ", "")]
    parts.append((f"{len(change.models)} models", ""))
    return parts
