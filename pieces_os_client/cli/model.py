"""``models show``, ``download``, ``load`` and ``unload MODEL``: one model (the Model API)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Callable, List

from pieces_os_client.cli.connection import (
    check_model_argument,
    chosen,
    find_models,
    with_model_api,
)
from pieces_os_client.cli.download import follow_downloads
from pieces_os_client.cli.exits import EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_OK
from pieces_os_client.cli.options import MODEL_HELP, model_argument, positive_float
from pieces_os_client.cli.output import named, out, plural, pretty_json, waiting

if TYPE_CHECKING:
    from pieces_os_client._display.terminal import Terminal
    from pieces_os_client.api.model_api import ModelApi


def add_commands(actions: Any, parents: List[argparse.ArgumentParser]) -> None:
    """``show``, ``download`` and ``load`` (``unload MODEL`` is in :mod:`.models`)."""
    show = actions.add_parser("show", parents=parents, help="show one model's fields")
    model_argument(show)
    show.add_argument("--json", action="store_true", help="print the model as JSON")
    show.set_defaults(handler=_show)

    download = actions.add_parser(
        "download",
        parents=parents,
        help="download local models, with progress bars",
        description=(
            "Download one or more models to this machine (several at once) and wait for the "
            "end, showing the progress: on a terminal a bar per model (and a total) with the "
            "percentage, bytes done of the size, speed and time left; a line per tenth of the "
            "way in a pipe; one JSON object per progress message with --json, the last of each "
            "model saying how it ended. A model that is already downloading is followed, not "
            "started again. Ctrl-C cancels every download on Pieces OS (exit status "
            f"{EXIT_INTERRUPTED}); exit status {EXIT_API_ERROR} when any download fails, is canceled elsewhere or stalls. Needs the "
            "stream extra (websockets)."
        ),
    )
    download.add_argument(
        "ids",
        metavar="MODEL",
        nargs="+",
        help=MODEL_HELP.replace("the model's", "each model's") + "; several download at once",
    )
    download.add_argument(
        "--json",
        action="store_true",
        help=(
            'one JSON object per progress message: {"model_id", "name", "status", "percentage", '
            '"done_bytes", "total_bytes", "speed", "eta", "final", "error"}; each model\'s last '
            'one has "final": true'
        ),
    )
    download.add_argument(
        "--load", action="store_true", help="load the model into memory once it is downloaded"
    )
    download.add_argument(
        "--stall-timeout",
        metavar="SECONDS",
        type=positive_float,
        default=60.0,
        help="give up (and cancel) when the download makes no progress for this long (default: 60)",
    )
    download.set_defaults(handler=_download)

    load = actions.add_parser("load", parents=parents, help="load a downloaded model into memory")
    model_argument(load)
    load.set_defaults(handler=_load)


def _on_one_model(
    args: argparse.Namespace, doing: str, call: Callable[[ModelApi, str], Any]
) -> Any:
    """The model MODEL names, then ``call(api, its id)`` under a spinner saying ``doing``."""
    check_model_argument(args)

    def run(api: ModelApi) -> Any:
        picked = chosen(args, api)
        with waiting(args, f"{doing} {named(picked)}"):
            return call(api, picked.id)

    return with_model_api(args, run)


def _show(args: argparse.Namespace) -> int:
    model = _on_one_model(args, "fetching", lambda api, id: api.models_specific_model_snapshot(id))
    if args.json:
        out(pretty_json(model.to_json()))
    else:
        from pieces_os_client._display.text import text_fields

        out(text_fields(model))
    return EXIT_OK


def _load(args: argparse.Namespace) -> int:
    model = _on_one_model(args, "loading", lambda api, id: api.model_specific_model_load(id))
    out(f"loaded {named(model)}")
    return EXIT_OK


def unload_one(args: argparse.Namespace) -> int:
    """``models unload MODEL``."""
    model = _on_one_model(args, "unloading", lambda api, id: api.model_specific_model_unload(id))
    out(f"unloaded {named(model)}")
    return EXIT_OK


def _download(args: argparse.Namespace) -> int:
    from pieces_os_client._core.resolve import check_model_text

    for argument in args.ids:
        check_model_text(argument)

    def run(api: ModelApi) -> int:
        terminal: Terminal = args.terminal
        # With --json, stdout is JSON lines only; what a person reads goes to stderr.
        say = terminal.note if args.json else out
        arguments = list(dict.fromkeys(args.ids))  # the same model twice is one download
        # Who each model is (and a clear error for an unknown one) before any bar is drawn.
        with waiting(args, f"fetching {plural(len(arguments), 'model')}"):
            found = find_models(api, arguments)
        wanted = list({model.id: model for model in found}.values())
        to_download = []
        for model in wanted:
            if not model.downloaded:
                to_download.append(model)
                continue
            if args.json:
                from pieces_os_client._display.download_bar import ending_json

                size = model.bytes.value if model.bytes is not None else None
                out(ending_json(model.id, model.name, "COMPLETED", None, total_bytes=size))
            if args.load:
                model = api.model_specific_model_load(model.id)
                say(f"{named(model)} was already downloaded; loaded it")
            else:
                say(f"{named(model)} is already downloaded; nothing to do")
        if not to_download:
            return EXIT_OK
        return follow_downloads(api, args, to_download)

    return with_model_api(args, run)
