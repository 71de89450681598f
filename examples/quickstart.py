"""Quickstart: the five Models API calls, against Pieces OS or a local stand-in.

    python examples/quickstart.py

Uses a running Pieces OS wherever it listens (``PIECES_OS_URL`` when set, else the ports Pieces OS
uses: 39300-39333 since version 11, 1000 or 5323 before) when one answers its health check;
otherwise starts ``LocalPiecesOS`` (the server bundled with the SDK). It says which. Then it lists the models, registers a custom model, deletes that model's
cache, deletes the model and unloads every model, printing each step.

Only the model this script registers is deleted, so running it against your real Pieces OS
leaves your own models and downloads alone (the last step does unload models from memory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from typing import Iterator, List, Sequence

from pieces_os_client import (
    ApiClient,
    ApiException,
    Configuration,
    GroupedTimestamp,
    Model,
    ModelsApi,
    SeededModel,
)
from pieces_os_client.discovery import DiscoveryError, discover
from pieces_os_client.testing import LocalPiecesOS

HEALTH_TIMEOUT = 0.5


@contextlib.contextmanager
def pieces_os() -> Iterator[Configuration]:
    """A running Pieces OS if there is one, else a LocalPiecesOS for the duration."""
    try:
        configuration = discover(timeout=HEALTH_TIMEOUT)
    except DiscoveryError:
        with LocalPiecesOS() as server:
            print(
                "No Pieces OS answered on its ports (1000, 5323, 39300-39333); "
                f"started LocalPiecesOS at {server.url} instead."
            )
            yield server.configuration()
        return
    print(f"Using the Pieces OS running at {configuration.host}.")
    yield configuration


def table(models: Sequence[Model]) -> str:
    """The models as a plain-text table, one row each."""
    header = ("name", "version", "provider", "where", "usage", "size", "loaded")
    rows: List[Sequence[str]] = [header]
    for m in models:
        rows.append(
            (
                m.name,
                m.version,
                m.provider.value if m.provider else "-",
                "cloud" if m.cloud else "local",
                m.usage.value,
                m.bytes.readable if m.bytes else "-",
                "yes" if m.loaded else "no",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    with pieces_os() as configuration, ApiClient(configuration) as client:
        api = ModelsApi(client)

        print("\n1. GET /models")
        models = api.models_snapshot().iterable
        print(table(models))
        print(f"{len(models)} models")

        print("\n2. POST /models/create")
        seed = SeededModel(
            name="Quickstart Example",
            version="1.0",
            unique="pieces-os-client-quickstart",
            cloud=False,
            type="BALANCED",
            usage="CODE_GENERATION",
            created=GroupedTimestamp(value=dt.datetime.now(dt.timezone.utc)),
        )
        custom = api.models_create_new_model(seed)
        print(f"created {custom.name!r}: id={custom.id} custom={custom.custom}")

        print(f"\n3. POST /models/{custom.id}/delete/cache")
        try:
            output = api.models_delete_specific_model_cache(custom.id)
            print(f"cache deleted for model {output.model.id}")
        except ApiException as error:
            print(f"refused ({error.status}): {error.data or error.body}")

        print(f"\n4. POST /models/{custom.id}/delete")
        response = api.models_delete_specific_model_with_http_info(custom.id)
        print(f"deleted: HTTP {response.status_code}")

        print("\n5. POST /models/unload")
        response = api.unload_models_with_http_info()
        print(f"unloaded: HTTP {response.status_code}")

        remaining = api.models_snapshot().iterable
        still_there = any(m.id == custom.id for m in remaining)
        loaded = sum(1 for m in remaining if m.loaded)
        print(
            f"\n{len(remaining)} models now; custom model gone: {not still_there}; loaded: {loaded}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
