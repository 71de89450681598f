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
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple

from pieces_os_client import _coexist
from pieces_os_client._version import __version__

_coexist.check_entry()  # before any other module of ours: in a mixed install, another SDK's

if TYPE_CHECKING:
    from pieces_os_client._terminal import Terminal
    from pieces_os_client.api.model_api import ModelApi
    from pieces_os_client.api.models_api import ModelsApi
    from pieces_os_client.models.seeded_model import SeededModel

__all__ = ["EXIT_API_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]

#: The command finished.
EXIT_OK = 0
#: Pieces OS answered with an error status, or could not be reached.
EXIT_API_ERROR = 1
#: The command line or an input file was wrong; nothing was sent.
EXIT_USAGE = 2

_CLI_CONNECTION_HINT = "is Pieces OS running? set PIECES_OS_URL or pass --url URL"
#: Longest server message quoted in an error line.
_MESSAGE_LIMIT = 300
#: Longest "no such model" line: it names candidates or suggestions with their ids.
_LOOKUP_LIMIT = 800


class _UsageError(Exception):
    """Bad input found after parsing (an unreadable or invalid file): exit status 2."""


class _CommandError(Exception):
    """A command failed for a reason that is not the API's (a port already taken): status 1."""


# --- argument parsing ------------------------------------------------------------------------
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _wait_seconds(text: str) -> float:
    """``--wait``: a number of seconds >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, not {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535: {text!r}")
    return value


def _url(text: str) -> str:
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


def _debug_option(parent: Any, *, suppress: bool) -> None:
    parent.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="log every request to stderr and show tracebacks",
    )


def _connection_options(*, suppress: bool) -> argparse.ArgumentParser:
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
        type=_url,
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
        type=_positive_float,
        default=default(None),
        help="per attempt (default: connect 5 s, answer 120 s)",
    )
    group.add_argument(
        "--retries",
        metavar="N",
        type=_count,
        default=default(None),
        help="after connection failures and 429/502/503/504 (default 2)",
    )
    group.add_argument(
        "--wait",
        metavar="SECONDS",
        type=_wait_seconds,
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
    _debug_option(group, suppress=suppress)
    return parent


def _build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        usage="%(prog)s [options] COMMAND ...",
        description="Manage the machine-learning models of a running Pieces OS.",
        epilog="exit status: 0 success, 1 API or connection error, 2 bad usage, 130 Ctrl-C",
        parents=[_connection_options(suppress=False)],
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
    after = [_connection_options(suppress=True)]

    models = commands.add_parser(
        "models",
        parents=after,
        usage="%(prog)s [options] ACTION ...",
        help="list, show, download, load, unload, watch, create, delete, delete-cache",
    )
    actions = models.add_subparsers(
        title="actions",
        dest="action",
        metavar="ACTION",
        required=True,
        help=f"{prog} models ACTION --help for more",
        prog=f"{prog} models",
    )

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
    _model_argument(delete)
    delete.set_defaults(handler=_delete)

    delete_cache = actions.add_parser(
        "delete-cache", parents=after, help="delete what an LLM model downloaded"
    )
    _model_argument(delete_cache)
    delete_cache.set_defaults(handler=_delete_cache)

    unload = actions.add_parser("unload", parents=after, help="unload every model from memory")
    unload.set_defaults(handler=_unload)

    _add_watch(actions, after)
    _add_model_commands(actions, after)

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
        type=_port,
        default=None,
        help="port to listen on (default: the first free one of 39300-39333, as "
        "Pieces OS; 0: any free port)",
    )
    serve.add_argument(
        "--download-seconds",
        metavar="SECONDS",
        type=_positive_float,
        default=None,
        help="how long a model's download takes (default: 2), to watch progress at a real pace",
    )
    _debug_option(serve, suppress=True)
    serve.set_defaults(handler=_serve)
    return parser


#: How a command's MODEL argument is described.
_MODEL_HELP = (
    "the model's id, unique slug, name (any case) or the first 6+ characters of its id "
    "(see: models list)"
)


def _model_argument(
    parser: argparse.ArgumentParser, help: str = _MODEL_HELP, *, optional: bool = False
) -> None:
    """The MODEL a command takes, as ``args.id`` (what :func:`_chosen` looks up)."""
    parser.add_argument(
        "id", metavar="MODEL", nargs="?" if optional else None, default=None, help=help
    )


# --- commands ----------------------------------------------------------------------------------
def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _pretty_json(wire_json: str) -> str:
    return json.dumps(json.loads(wire_json), indent=2)


def _resolve_url(args: argparse.Namespace) -> str:
    """``--url``, else ``PIECES_OS_URL``, else wherever ``discover()`` finds Pieces OS."""
    if args.url:
        if args.wait is not None:
            from pieces_os_client import discovery

            with _waiting(args, f"waiting for Pieces OS at {args.url}"):
                discovery.find([str(args.url)], wait=args.wait)
        return str(args.url)
    from pieces_os_client import discovery
    from pieces_os_client.configuration import HOST_ENV_VAR

    env_url = os.environ.get(HOST_ENV_VAR, "").strip()
    if env_url:
        try:
            url = _url(env_url)
        except argparse.ArgumentTypeError as error:
            raise _UsageError(f"{HOST_ENV_VAR} is {error}") from None
        if args.wait is not None:  # Pieces OS may still be starting there
            with _waiting(args, f"waiting for Pieces OS at {url}"):
                discovery.find([url], wait=args.wait, env_checked=True)
        return url

    with _waiting(args, "looking for Pieces OS"):
        found = discovery.discover(ports=discovery.DEFAULT_PORTS, wait=args.wait).host
    if args.verbose:
        args.terminal.note(f"found Pieces OS at {found}")
    return found


def _with_api(args: argparse.Namespace, command: Callable[[ModelsApi], int]) -> int:
    from pieces_os_client.api.models_api import ModelsApi
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.configuration import Configuration

    settings: dict[str, Any] = {"debug": args.debug}
    if args.timeout is not None:
        settings["timeout"] = args.timeout
    if args.retries is not None:
        settings["retries"] = args.retries
    configuration = Configuration(host=_resolve_url(args), **settings)
    args.resolved_host = configuration.host
    with ApiClient(configuration) as api_client:
        return command(ModelsApi(api_client))


def _chosen(args: argparse.Namespace, api: Any) -> Any:
    """The model ``args.id`` names (id, unique slug, name, id prefix), from one snapshot;
    nothing else is sent before it is found (:func:`pieces_os_client.resolve_model`)."""
    from pieces_os_client._core.resolve import resolve_model
    from pieces_os_client.api.models_api import ModelsApi

    with _waiting(args, f"looking up model {args.id}"):
        snapshot = ModelsApi(api.api_client).models_snapshot()
    return resolve_model(snapshot, args.id)


def _check_model_argument(args: argparse.Namespace) -> None:
    """An empty MODEL is a usage error, found before anything is sent."""
    from pieces_os_client._core.resolve import check_model_text

    check_model_text(args.id)


def _waiting(args: argparse.Namespace, what: str) -> Any:
    """A spinner on stderr while ``what`` takes over half a second (see ``_terminal``)."""
    terminal: Terminal = args.terminal
    return terminal.progress(what)


def _list(args: argparse.Namespace) -> int:
    def run(api: ModelsApi) -> int:
        with _waiting(args, "fetching the models"):
            snapshot = api.models_snapshot()
        kept = snapshot.find(_list_filter(args))
        if args.json:
            _out(_pretty_json(kept.to_json()))
            return EXIT_OK
        if not kept.iterable and snapshot.iterable:
            args.terminal.note(
                f"none of the {len(snapshot.iterable)} models passes the filters given"
            )
            return EXIT_OK
        with _waiting(args, "asking how far the downloads are"):
            percentages = _download_percentages(api, kept.iterable)
        args.terminal.models_table(kept.iterable, wide=args.wide, percentages=percentages)
        return EXIT_OK

    return _with_api(args, run)


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
        raise _UsageError(f"cannot read {name}: {reason}") from error
    try:
        data = json.loads(text)
    except ValueError as error:
        raise _UsageError(f"{name} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise _UsageError(f"{name} must hold a JSON object (a SeededModel)")
    try:
        return SeededModel.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors()
        ]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise _UsageError(
            f"{name} is not a valid SeededModel: {'; '.join(problems[:3])}{more}"
        ) from error


def _create(args: argparse.Namespace) -> int:
    seed = _read_seed(args.file)  # before connecting: a bad file is a usage error

    def run(api: ModelsApi) -> int:
        with _waiting(args, "registering the model"):
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
            _out(_pretty_json(model.to_json()))
        else:
            from pieces_os_client.models._display import text_fields

            _out(verdict)
            _out(text_fields(model))
        if model.id not in known:
            for change in _set_by_the_server(seed, model):
                args.terminal.note(change)
        return EXIT_OK

    return _with_api(args, run)


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
    _check_model_argument(args)

    def run(api: ModelsApi) -> int:
        model = _chosen(args, api)
        with _waiting(args, f"deleting {_named(model)}"):
            api.models_delete_specific_model(model.id)
        _out(f"deleted model {model.id}")
        return EXIT_OK

    return _with_api(args, run)


def _delete_cache(args: argparse.Namespace) -> int:
    _check_model_argument(args)

    def run(api: ModelsApi) -> int:
        model = _chosen(args, api)
        with _waiting(args, f"deleting the cache of {_named(model)}"):
            output = api.models_delete_specific_model_cache(model.id)
        _out(f"deleted the cache of model {output.model.id}")
        return EXIT_OK

    return _with_api(args, run)


def _unload(args: argparse.Namespace) -> int:
    def run(api: ModelsApi) -> int:
        with _waiting(args, "unloading every model"):
            api.unload_models()
        _out("unloaded every model")
        return EXIT_OK

    return _with_api(args, run)


def _add_watch(actions: Any, parents: List[argparse.ArgumentParser]) -> None:
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
                with _waiting(args, "connecting to the model stream"):
                    first = next(changes, None)
                for change in itertools.chain([] if first is None else [first], changes):
                    if args.json:
                        _out(_change_json(change))
                    else:
                        # Coloured labels on a terminal, plain text in a pipe (as models list).
                        args.terminal.styled_line(_change_parts(change, names))
                    sys.stdout.flush()
                    names = {model.id: model.name for model in change.models}
        except KeyboardInterrupt:
            return EXIT_OK  # Ctrl-C is how a watch ends
        return EXIT_OK

    return _with_api(args, run)


# --- one model: show, download, load, unload ID (the Model API) ------------------------------
#: Ctrl-C during a download: the download was canceled on Pieces OS (128 + SIGINT, as a shell
#: reports a process that SIGINT ended).
EXIT_INTERRUPTED = 130


def _add_model_commands(actions: Any, parents: List[argparse.ArgumentParser]) -> None:
    show = actions.add_parser("show", parents=parents, help="show one model's fields")
    _model_argument(show)
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
            "started again. Ctrl-C cancels every download on Pieces OS (exit status 130); exit "
            "status 1 when any download fails, is canceled elsewhere or stalls. Needs the "
            "stream extra (websockets)."
        ),
    )
    download.add_argument(
        "ids",
        metavar="MODEL",
        nargs="+",
        help=_MODEL_HELP.replace("the model's", "each model's") + "; several download at once",
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
        type=_positive_float,
        default=60.0,
        help="give up (and cancel) when the download makes no progress for this long (default: 60)",
    )
    download.set_defaults(handler=_download)

    load = actions.add_parser("load", parents=parents, help="load a downloaded model into memory")
    _model_argument(load)
    load.set_defaults(handler=_load)

    # `models unload` unloads every model; `models unload ID` one of them.
    unload = actions.choices["unload"]
    _model_argument(
        unload, "unload only this model (its id, unique slug, name or id prefix)", optional=True
    )
    unload.set_defaults(handler=_unload_some)


def _with_model_api(args: argparse.Namespace, command: Callable[[ModelApi], int]) -> int:
    from pieces_os_client.api.model_api import ModelApi

    return _with_api(args, lambda api: command(ModelApi(api.api_client)))


def _named(model: Any) -> str:
    return f"model {model.id} ({model.name})"


def _show(args: argparse.Namespace) -> int:
    _check_model_argument(args)

    def run(api: ModelApi) -> int:
        chosen = _chosen(args, api)
        with _waiting(args, f"fetching {_named(chosen)}"):
            model = api.models_specific_model_snapshot(chosen.id)
        if args.json:
            _out(_pretty_json(model.to_json()))
        else:
            from pieces_os_client.models._display import text_fields

            _out(text_fields(model))
        return EXIT_OK

    return _with_model_api(args, run)


def _load(args: argparse.Namespace) -> int:
    _check_model_argument(args)

    def run(api: ModelApi) -> int:
        chosen = _chosen(args, api)
        with _waiting(args, f"loading {_named(chosen)}"):
            model = api.model_specific_model_load(chosen.id)
        _out(f"loaded {_named(model)}")
        return EXIT_OK

    return _with_model_api(args, run)


def _unload_some(args: argparse.Namespace) -> int:
    if args.id is None:
        return _unload(args)
    _check_model_argument(args)

    def run(api: ModelApi) -> int:
        chosen = _chosen(args, api)
        with _waiting(args, f"unloading {_named(chosen)}"):
            model = api.model_specific_model_unload(chosen.id)
        _out(f"unloaded {_named(model)}")
        return EXIT_OK

    return _with_model_api(args, run)


def _find_models(api: ModelApi, arguments: List[str]) -> List[Any]:
    """The models command-line arguments name (id, unique slug, name, id prefix), all from
    one snapshot (:func:`pieces_os_client.resolve_model`)."""
    from pieces_os_client._core.resolve import resolve_model
    from pieces_os_client.api.models_api import ModelsApi

    snapshot = ModelsApi(api.api_client).models_snapshot()
    return [resolve_model(snapshot, argument) for argument in arguments]


def _download(args: argparse.Namespace) -> int:
    from pieces_os_client._core.resolve import check_model_text

    for argument in args.ids:
        check_model_text(argument)

    def run(api: ModelApi) -> int:
        terminal: Terminal = args.terminal
        # With --json, stdout is JSON lines only; what a person reads goes to stderr.
        say = terminal.note if args.json else _out
        arguments = list(dict.fromkeys(args.ids))  # the same model twice is one download
        # Who each model is (and a clear error for an unknown one) before any bar is drawn.
        with _waiting(args, f"fetching {_plural(len(arguments), 'model')}"):
            found = _find_models(api, arguments)
        wanted = list({model.id: model for model in found}.values())
        to_download = []
        for model in wanted:
            if not model.downloaded:
                to_download.append(model)
                continue
            if args.json:
                from pieces_os_client._download_bar import ending_json

                size = model.bytes.value if model.bytes is not None else None
                _out(ending_json(model.id, model.name, "COMPLETED", None, total_bytes=size))
            if args.load:
                model = api.model_specific_model_load(model.id)
                say(f"{_named(model)} was already downloaded; loaded it")
            else:
                say(f"{_named(model)} is already downloaded; nothing to do")
        if not to_download:
            return EXIT_OK
        return _follow_downloads(api, args, to_download)

    return _with_model_api(args, run)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _follow_downloads(api: ModelApi, args: argparse.Namespace, models: List[Any]) -> int:
    """Download ``models`` at once, a thread each, showing them in one display.

    Threads rather than an event loop: the command line uses the sync client (the asyncio
    one needs the ``async`` extra), and each download spends its time waiting on its own
    socket. The workers only follow; this thread draws every event (from a queue), so the
    displays are never drawn from two threads, and takes Ctrl-C: it stops the workers, then
    asks Pieces OS to cancel every download that had not ended.
    """
    import contextlib
    import queue
    import threading

    from pieces_os_client._download_bar import CANCELED, FAILED, STALLED, download_display
    from pieces_os_client._progress_text import elapsed_text, percent_text
    from pieces_os_client.exceptions import ModelDownloadError, ModelDownloadStalled

    terminal: Terminal = args.terminal
    say = terminal.note if args.json else _out
    display = download_display(
        terminal, {model.id: model.name or model.id for model in models}, json_lines=args.json
    )
    inbox: queue.Queue[Tuple[str, str, Any]] = queue.Queue()
    followers = {
        model.id: api.download_events(model.id, stall_timeout=args.stall_timeout)
        for model in models
    }

    def follow(model_id: str) -> None:
        try:
            with followers[model_id] as events:
                for event in events:
                    inbox.put(("event", model_id, event))
                result = events.model
            if result is None:  # stopped by Ctrl-C: the main thread cancels it
                inbox.put(("stopped", model_id, None))
                return
            if args.load:
                result = api.model_specific_model_load(model_id)
            inbox.put(("done", model_id, result))
        except BaseException as error:  # handed to the main thread, which reports it
            inbox.put(("error", model_id, error))

    workers = [
        threading.Thread(target=follow, args=(model.id,), name=f"download {model.id}", daemon=True)
        for model in models
    ]
    last: dict[str, Any] = {}
    results: dict[str, Any] = {}
    pending = {model.id for model in models}

    def where(model_id: str) -> str:
        event = last.get(model_id)
        return f" at {percent_text(event.percentage)}" if event is not None else ""

    try:
        for worker in workers:
            worker.start()
        while pending:
            try:
                # A bounded wait keeps Ctrl-C prompt where a signal cannot wake a lock.
                kind, model_id, value = inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            if kind == "event":
                last[model_id] = value
                display(value)
                continue
            pending.discard(model_id)
            results[model_id] = value
            if isinstance(value, BaseException):
                status = STALLED if isinstance(value, ModelDownloadStalled) else FAILED
                display.ended(model_id, status, _one_line(str(value)))
    except KeyboardInterrupt:
        for events in followers.values():
            events.close()
        for worker in workers:
            worker.join(timeout=10)  # each ends at its next step; none starts a download after
        for model in models:
            if model.id in pending:
                with contextlib.suppress(Exception):  # best effort: the user asked to stop
                    api.model_specific_model_download_cancel(model.id)
                display.ended(model.id, CANCELED, "interrupted (Ctrl-C)")
        display.close()
        for model in models:
            if model.id in pending:
                terminal.note(
                    f"canceled: asked Pieces OS to cancel the download of {_named(model)}"
                    f"{where(model.id)}"
                )
        return EXIT_INTERRUPTED
    except BaseException:
        for events in followers.values():
            events.close()
        display.close()
        raise
    display.close()
    failed = False
    for model in models:
        result = results[model.id]
        if isinstance(result, ModelDownloadError):
            failed = True
            failure = _download_failure(result, where(model.id), args.stall_timeout)
            terminal.error(_one_line(f"the download of {_named(model)} {failure}"))
        elif isinstance(result, Exception):
            failed = True
            _, message = _describe(result, args)
            if len(models) > 1:
                message = f"{_named(model)}: {message}"
            terminal.error(message)
        elif isinstance(result, BaseException):
            raise result
        elif result is None:  # stopped following without an ending (not reached today)
            failed = True
            terminal.error(f"stopped following the download of {_named(model)}{where(model.id)}")
        else:
            event = last.get(model.id)
            took = f" in {elapsed_text(event.elapsed)}" if event is not None else ""
            loaded = " and loaded it" if args.load else ""
            say(f"downloaded {_named(result)}{took}{loaded}")
    return EXIT_API_ERROR if failed else EXIT_OK


def _download_failure(error: Exception, where: str, stall_timeout: float) -> str:
    """What went wrong, in words that follow "the download of model X (NAME)"."""
    from pieces_os_client.exceptions import (
        ModelDownloadCanceled,
        ModelDownloadDenied,
        ModelDownloadStalled,
    )

    if isinstance(error, ModelDownloadDenied):
        return (
            "was refused before it started: the model is denied on this Pieces OS (its "
            "organization does not allow it); pick another model"
        )
    if isinstance(error, ModelDownloadStalled):
        return (
            f"stalled{where}: no progress for {stall_timeout:g} s; asked Pieces OS to cancel it "
            "(raise --stall-timeout for a slow connection)"
        )
    if isinstance(error, ModelDownloadCanceled):
        return f"was canceled{where} on Pieces OS (by another client or Pieces OS itself)"
    return f"failed{where}: Pieces OS reported FAILED"


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
        raise _CommandError(f"cannot listen on {where}: {reason}{hint}") from error
    return EXIT_OK


# --- errors ------------------------------------------------------------------------------------
def _one_line(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _server_message(error: Any) -> str:
    """What the server said, from a JSON body's usual keys or the plain body."""
    from pieces_os_client.exceptions import server_text

    return server_text(error.data, error.body)


def _connection_cause(error: BaseException) -> str:
    """The root cause of a connection failure in a few words ("Connection refused")."""
    from urllib3.exceptions import ProtocolError

    seen: List[BaseException] = []
    current: Optional[BaseException] = error
    while current is not None and current not in seen:
        seen.append(current)
        if isinstance(current, ProtocolError):
            return "the connection broke before the answer was complete"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        nested = getattr(current, "reason", None)
        current = nested if isinstance(nested, BaseException) else current.__cause__
    return _one_line(str(seen[-1]) or type(seen[-1]).__name__, 120)


def _cli_connection_hint(args: argparse.Namespace) -> str:
    """What to try, never what was already done: the address came from --url, from
    PIECES_OS_URL, or from neither."""
    if getattr(args, "url", None):
        return "is Pieces OS running at that address? check --url"
    if os.environ.get("PIECES_OS_URL", "").strip():
        return (
            "is Pieces OS running at that address? it is the one PIECES_OS_URL names: start "
            "Pieces OS there, or change PIECES_OS_URL (or pass --url URL)"
        )
    return _CLI_CONNECTION_HINT


def _describe(error: Exception, args: argparse.Namespace) -> tuple[int, str]:
    """The exit status and the one-line message for an error a command raised."""
    if isinstance(error, _UsageError):
        return EXIT_USAGE, _one_line(str(error))
    if isinstance(error, _CommandError):
        return EXIT_API_ERROR, _one_line(str(error))
    from pieces_os_client._core.host import redact_url
    from pieces_os_client.discovery import DiscoveryError
    from pieces_os_client.exceptions import (
        ApiConnectionError,
        ApiException,
        ApiResponseValidationError,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        ModelLookupError,
    )

    host = redact_url(getattr(args, "resolved_host", None) or getattr(args, "url", None) or "")
    host = host or "Pieces OS"
    if isinstance(error, DiscoveryError):
        from pieces_os_client.discovery import describe_places

        if error.waited is None:
            within, wait = "", "--wait SECONDS while it starts"
        else:
            within, wait = f" within {error.waited:g} s", "or a longer --wait"
        return EXIT_API_ERROR, (
            f"found no Pieces OS{within} at {describe_places(error.tried)}: start Pieces OS "
            f"(or `pieces-os-models serve` for a local stand-in; {wait}), or pass --url URL"
        )
    if isinstance(error, ApiTimeoutError):
        return EXIT_API_ERROR, (
            f"timed out waiting for {host}: raise --timeout or check that Pieces OS is healthy"
        )
    if isinstance(error, ApiConnectionError):
        return EXIT_API_ERROR, (
            f"cannot reach {host} ({_connection_cause(error)}): {_cli_connection_hint(args)}"
        )
    if isinstance(error, ApiResponseValidationError):
        return EXIT_API_ERROR, (
            f"{error.status} {error.reason}: the answer is not a valid {error.expected}: "
            f"{_one_line(error.problem)}"
        )
    if isinstance(error, ApiException):
        from http import HTTPStatus

        reason = error.reason
        status = error.status
        if not reason and status is not None and status in HTTPStatus._value2member_map_:
            reason = HTTPStatus(status).phrase
        message = _server_message(error)
        head = f"{error.status} {reason}".strip()
        return EXIT_API_ERROR, f"{head}: {message}" if message else head
    if isinstance(error, ModelLookupError):  # Pieces OS has no such model: as its 410 was
        return EXIT_API_ERROR, _one_line(str(error), _LOOKUP_LIMIT)
    if isinstance(error, (ApiValueError, ApiTypeError)):
        return EXIT_USAGE, _one_line(str(error))
    return EXIT_API_ERROR, _one_line(f"{type(error).__name__}: {error}")


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
    parser = _build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error (already printed)
        code = exit_request.code
        return code if isinstance(code, int) else EXIT_USAGE
    from pieces_os_client._terminal import Terminal

    # With --debug every request is logged to stderr: a spinner would only garble it.
    args.terminal = terminal = Terminal(spinner=not args.debug)
    try:
        status: int = args.handler(args)
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, and keep the interpreter from
        # complaining when it flushes the dead pipe at exit.
        _detach_stdout()
        return EXIT_API_ERROR
    except Exception as error:
        code, message = _describe(error, args)
        if args.debug:
            import traceback

            traceback.print_exc()
        terminal.error(message)
        return code
