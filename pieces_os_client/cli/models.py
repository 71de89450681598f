"""``models list``, ``create``, ``delete``, ``delete-cache`` and ``unload``: the Models API."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Sequence

from pieces_os_client.cli.connection import check_model_argument, chosen, with_api
from pieces_os_client.cli.exits import EXIT_OK, UsageError
from pieces_os_client.cli.model import unload_one
from pieces_os_client.cli.options import model_argument
from pieces_os_client.cli.output import named, out, pretty_json, waiting

if TYPE_CHECKING:
    from pieces_os_client.api.models_api import ModelsApi
    from pieces_os_client.models.seeded_model import SeededModel


def add_commands(actions: Any, after: List[argparse.ArgumentParser]) -> None:
    """``list``, ``create``, ``delete``, ``delete-cache`` and ``unload [MODEL]``."""
    listing = actions.add_parser(
        "list",
        parents=after,
        help="show the models and where each stands; filters combine",
        # Short: the whole --help must fit one 80x24 screen.
        usage="%(prog)s [TEXT] [--local|--cloud] [options]\n"
        "       [--downloaded|--not-downloaded] [--loaded] [--json] [--wide]",
    )
    listing.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        default=None,
        help="only models whose name or unique slug has TEXT",
    )
    where = listing.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help="only models that run here")
    where.add_argument("--cloud", action="store_true", help="only models that run in the cloud")
    state = listing.add_mutually_exclusive_group()
    state.add_argument(
        "--downloaded", action="store_true", help="only models downloaded to this machine"
    )
    state.add_argument(
        "--not-downloaded",
        action="store_true",
        help="only local models not downloaded (nor downloading)",
    )
    listing.add_argument("--loaded", action="store_true", help="only models loaded in memory")
    listing.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    listing.add_argument(
        "--wide", action="store_true", help="every column in full, however wide the terminal"
    )
    listing.set_defaults(handler=_list)

    create = actions.add_parser("create", parents=after, help="register a custom model")
    create.add_argument(
        "--file",
        "-f",
        required=True,
        metavar="PATH",
        help="a SeededModel as JSON; - reads standard input",
    )
    create.add_argument("--json", action="store_true", help="print the model as JSON")
    create.set_defaults(handler=_create)

    delete = actions.add_parser("delete", parents=after, help="delete a custom model")
    model_argument(delete)
    delete.set_defaults(handler=_delete)

    delete_cache = actions.add_parser(
        "delete-cache", parents=after, help="delete what an LLM model downloaded"
    )
    model_argument(delete_cache)
    delete_cache.set_defaults(handler=_delete_cache)

    # `models unload` unloads every model; `models unload MODEL` one of them.
    unload = actions.add_parser("unload", parents=after, help="unload every model from memory")
    model_argument(
        unload, "unload only this model (its id, unique slug, name or id prefix)", optional=True
    )
    unload.set_defaults(handler=_unload)


def _list(args: argparse.Namespace) -> int:
    def run(api: ModelsApi) -> int:
        with waiting(args, "fetching the models"):
            snapshot = api.models_snapshot()
        kept = snapshot.find(_list_filter(args))
        if args.json:
            out(pretty_json(kept.to_json()))
            return EXIT_OK
        if not kept.iterable and snapshot.iterable:
            args.terminal.note(
                f"none of the {len(snapshot.iterable)} models passes the filters given"
            )
            return EXIT_OK
        with waiting(args, "asking how far the downloads are"):
            percentages = _download_percentages(api, kept.iterable)
        args.terminal.models_table(kept.iterable, wide=args.wide, percentages=percentages)
        return EXIT_OK

    return with_api(args, run)


def _list_filter(args: argparse.Namespace) -> Callable[[Any], bool]:
    """The test a model must pass to be listed: every filter given."""
    text = (args.text or "").strip().casefold()

    def keep(model: Any) -> bool:
        if (args.local and model.cloud) or (args.cloud and not model.cloud):
            return False
        if args.downloaded and not model.downloaded:
            return False
        if args.not_downloaded and (model.cloud or model.downloaded or model.downloading):
            return False
        if args.loaded and not model.loaded:
            return False
        return not text or text in model.name.casefold() or text in (model.unique or "").casefold()

    return keep


#: Seconds ``models list`` waits, in all, for the downloads running to say how far they are.
_PERCENTAGE_WAIT = 2.0


def _download_percentages(api: ModelsApi, models: Sequence[Any]) -> dict[str, float]:
    """How far each running download is, from the first message of its progress stream
    (Pieces OS sends where it stands when a client follows); empty without the stream
    extra, and for a download that says nothing within :data:`_PERCENTAGE_WAIT` seconds."""
    running = [model.id for model in models if model.downloading and not model.cloud]
    if not running:
        return {}
    try:
        import websockets  # noqa: F401
    except ImportError:  # the stream extra is missing: the state says "downloading"
        return {}
    import time

    from pieces_os_client._core.operations import by_name
    from pieces_os_client._core.watch import TIMED_OUT
    from pieces_os_client.stream import open_stream

    progress = by_name("model_specific_model_download_progress")
    deadline = time.monotonic() + _PERCENTAGE_WAIT
    found: dict[str, float] = {}
    for model_id in running:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with open_stream(api.api_client, progress, {"model": model_id}) as stream:
                message = stream._receive(left)
        except Exception:  # a stream that fails: the state says "downloading"
            continue
        percentage = getattr(message, "percentage", None) if message is not TIMED_OUT else None
        if isinstance(percentage, (int, float)) and percentage == percentage:  # not NaN
            found[model_id] = max(0.0, min(100.0, float(percentage)))
    return found


def _read_seed(path: str) -> SeededModel:
    from pydantic import ValidationError

    from pieces_os_client.models.seeded_model import SeededModel

    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot read {name}: {reason}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{name} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise UsageError(f"{name} must hold a JSON object (a SeededModel)")
    try:
        return SeededModel.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors()
        ]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise UsageError(
            f"{name} is not a valid SeededModel: {'; '.join(problems[:3])}{more}"
        ) from error


def _create(args: argparse.Namespace) -> int:
    seed = _read_seed(args.file)  # before connecting: a bad file is a usage error

    def run(api: ModelsApi) -> int:
        with waiting(args, "registering the model"):
            # Pieces OS answers 200 whether it made the model or found it: compare with before.
            known = {model.id for model in api.models_snapshot().iterable}
            model = api.models_create_new_model(seed)
        verdict = (
            f"already existed: model {model.id} ({model.name}); nothing was created"
            if model.id in known
            else f"created model {model.id} ({model.name})"
        )
        if args.json:
            args.terminal.note(verdict)  # stdout stays pure JSON
            out(pretty_json(model.to_json()))
        else:
            from pieces_os_client._display.text import text_fields

            out(verdict)
            out(text_fields(model))
        if model.id not in known:
            for change in _set_by_the_server(seed, model):
                args.terminal.note(change)
        return EXIT_OK

    return with_api(args, run)


def _set_by_the_server(seed: SeededModel, model: Any) -> List[str]:
    """A line for each field the file gave that the created model holds another value of
    (Pieces OS sets ``created`` to the time it registered the model, for one)."""
    from pieces_os_client.models._display import field_rows

    sent = dict(field_rows(seed))
    kept = dict(field_rows(model))
    fields = type(seed).model_fields
    wire = [
        fields[name].alias or name if name in fields else name for name in seed.model_fields_set
    ]
    return [
        f"Pieces OS set {name} to {kept.get(name, '-')} (the file said {sent[name]})"
        for name in wire
        if name in sent and kept.get(name) != sent[name]
    ]


def _delete(args: argparse.Namespace) -> int:
    check_model_argument(args)

    def run(api: ModelsApi) -> int:
        model = chosen(args, api)
        with waiting(args, f"deleting {named(model)}"):
            api.models_delete_specific_model(model.id)
        out(f"deleted model {model.id}")
        return EXIT_OK

    return with_api(args, run)


def _delete_cache(args: argparse.Namespace) -> int:
    check_model_argument(args)

    def run(api: ModelsApi) -> int:
        model = chosen(args, api)
        with waiting(args, f"deleting the cache of {named(model)}"):
            output = api.models_delete_specific_model_cache(model.id)
        out(f"deleted the cache of model {output.model.id}")
        return EXIT_OK

    return with_api(args, run)


def _unload(args: argparse.Namespace) -> int:
    if args.id is not None:
        return unload_one(args)

    def run(api: ModelsApi) -> int:
        with waiting(args, "unloading every model"):
            api.unload_models()
        out("unloaded every model")
        return EXIT_OK

    return with_api(args, run)
