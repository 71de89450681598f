"""Where Pieces OS is (``--url``, ``PIECES_OS_URL``, ``--wait``, the search) and the client
each command runs with (its :class:`Configuration` from ``--timeout``/``--retries``/``--debug``)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any, Callable, List

from pieces_os_client.cli.exits import UsageError
from pieces_os_client.cli.options import url_argument
from pieces_os_client.cli.output import waiting

if TYPE_CHECKING:
    from pieces_os_client.api.model_api import ModelApi
    from pieces_os_client.api.models_api import ModelsApi


def resolve_url(args: argparse.Namespace) -> str:
    """``--url``, else ``PIECES_OS_URL``, else wherever ``discover()`` finds Pieces OS."""
    if args.url:
        if args.wait is not None:
            from pieces_os_client import discovery

            with waiting(args, f"waiting for Pieces OS at {args.url}"):
                discovery.find([str(args.url)], wait=args.wait)
        return str(args.url)
    from pieces_os_client import discovery
    from pieces_os_client.configuration import HOST_ENV_VAR

    env_url = os.environ.get(HOST_ENV_VAR, "").strip()
    if env_url:
        try:
            url = url_argument(env_url)
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"{HOST_ENV_VAR} is {error}") from None
        if args.wait is not None:  # Pieces OS may still be starting there
            with waiting(args, f"waiting for Pieces OS at {url}"):
                discovery.find([url], wait=args.wait, env_checked=True)
        return url

    with waiting(args, "looking for Pieces OS"):
        found = discovery.discover(ports=discovery.DEFAULT_PORTS, wait=args.wait).host
    if args.verbose:
        args.terminal.note(f"found Pieces OS at {found}")
    return found


def with_api(args: argparse.Namespace, command: Callable[[ModelsApi], int]) -> int:
    from pieces_os_client.api.models_api import ModelsApi
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.configuration import Configuration

    settings: dict[str, Any] = {"debug": args.debug}
    if args.timeout is not None:
        settings["timeout"] = args.timeout
    if args.retries is not None:
        settings["retries"] = args.retries
    configuration = Configuration(host=resolve_url(args), **settings)
    args.resolved_host = configuration.host
    with ApiClient(configuration) as api_client:
        return command(ModelsApi(api_client))


def chosen(args: argparse.Namespace, api: Any) -> Any:
    """The model ``args.id`` names (id, unique slug, name, id prefix), from one snapshot;
    nothing else is sent before it is found (:func:`pieces_os_client.resolve_model`)."""
    with waiting(args, f"looking up model {args.id}"):
        return find_models(api, [args.id])[0]


def check_model_argument(args: argparse.Namespace) -> None:
    """An empty MODEL is a usage error, found before anything is sent."""
    from pieces_os_client._core.resolve import check_model_text

    check_model_text(args.id)


def with_model_api(args: argparse.Namespace, command: Callable[[ModelApi], int]) -> int:
    from pieces_os_client.api.model_api import ModelApi

    return with_api(args, lambda api: command(ModelApi(api.api_client)))


def find_models(api: ModelApi, arguments: List[str]) -> List[Any]:
    """The models command-line arguments name (id, unique slug, name, id prefix), all from
    one snapshot (:func:`pieces_os_client.resolve_model`)."""
    from pieces_os_client._core.resolve import resolve_model
    from pieces_os_client.api.models_api import ModelsApi

    snapshot = ModelsApi(api.api_client).models_snapshot()
    return [resolve_model(snapshot, argument) for argument in arguments]
