"""A model by what people call it: ``resolve_model``, ``ModelsApi.resolve_model``, and every
command and ``download()`` that takes a model, against LocalPiecesOS."""

from __future__ import annotations

import asyncio
import copy
import os
import pickle
import subprocess
import sys
from typing import Any, Dict, Iterator, List

import pytest

from pieces_os_client import (
    AmbiguousModelError,
    ApiTypeError,
    ApiValueError,
    Model,
    ModelApi,
    ModelLookupError,
    ModelNotFoundError,
    ModelsApi,
    resolve_model,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi, AsyncModelsApi
from pieces_os_client.cli import main
from pieces_os_client.testing import LocalPiecesOS, builtin_catalogue, builtin_id

CPU = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")  # "Llama 3 8B Instruct (CPU)", not downloaded
MISTRAL = builtin_id("mistral-7b-instruct-v0.3")  # "Mistral 7B Instruct", not downloaded


def _entry(model_id: str, name: str, unique: str, version: str = "1.0") -> Dict[str, Any]:
    return {
        "id": model_id,
        "unique": unique,
        "name": name,
        "version": version,
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
        "downloaded": False,
        "downloading": False,
        "loaded": False,
    }


#: Names that collide on purpose: one id is another's name, one slug another's name, two ids
#: share their first eight characters, two models share a name.
TRICKY = [
    _entry("abcdef01-0000-0000-0000-000000000001", "Alpha", "alpha"),
    _entry("abcdef01-0000-0000-0000-000000000002", "Beta", "beta"),
    _entry("alpha", "Third", "gamma"),  # its id is Alpha's slug
    _entry("12345678-0000-0000-0000-000000000004", "gamma", "delta"),  # its name is a slug
    _entry("99999999-0000-0000-0000-000000000005", "Twin", "twin-1", "1"),
    _entry("99999999-0000-0000-0000-000000000006", "twin", "twin-2", "2"),
]


def tricky() -> List[Model]:
    return [Model.from_dict(entry) for entry in TRICKY]


@pytest.fixture
def tricky_server() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS(TRICKY) as server:
        yield server


# --- the order: id, unique slug, name (any case), id prefix -----------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpha", "alpha"),  # an id before a slug
        ("gamma", "alpha"),  # a slug before a name
        ("GAMMA", "12345678-0000-0000-0000-000000000004"),  # not a slug (case): the name
        ("  Beta ", "abcdef01-0000-0000-0000-000000000002"),  # blanks around are ignored
        ("123456", "12345678-0000-0000-0000-000000000004"),  # six characters of an id
        ("ABCDEF01-0000-0000-0000-000000000002", "abcdef01-0000-0000-0000-000000000002"),
    ],
)
def test_the_first_step_that_matches_decides(text: str, expected: str) -> None:
    assert resolve_model(tricky(), text).id == expected


def test_a_name_several_models_share_is_ambiguous_and_lists_them_with_ids() -> None:
    with pytest.raises(AmbiguousModelError) as caught:
        resolve_model(tricky(), "TWIN")
    error = caught.value
    assert [m.id for m in error.candidates] == [
        "99999999-0000-0000-0000-000000000005",
        "99999999-0000-0000-0000-000000000006",
    ]
    text = str(error)
    assert text.startswith("2 models have the name 'TWIN': ")
    assert all(m.id in text for m in error.candidates)
    assert isinstance(error, ModelLookupError) and isinstance(error, ValueError)
    assert isinstance(error, LookupError) and error.query == "TWIN"


def test_an_id_prefix_several_ids_share_is_ambiguous() -> None:
    with pytest.raises(AmbiguousModelError, match="2 models have the id prefix 'abcdef01'"):
        resolve_model(tricky(), "abcdef01")


def test_an_unknown_name_suggests_the_closest_and_the_command_that_lists_them() -> None:
    models = builtin_catalogue()
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model(models, "mistral")
    error = caught.value
    assert [m.id for m in error.suggestions] == [MISTRAL]
    assert str(error) == (
        "no model has the id, unique slug or name 'mistral', and no id starts with it; did you "
        f"mean Mistral 7B Instruct (id {MISTRAL})? `pieces-os-models models list` lists all 20"
    )
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model(models, "Lama 3 8B Instruct")  # a typo
    assert caught.value.suggestions[0].name == "Llama 3 8B Instruct"
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model(models, "xyzzy")
    assert caught.value.suggestions == [] and "did you mean" not in str(caught.value)


def test_an_id_prefix_shorter_than_six_characters_is_no_prefix_and_says_so() -> None:
    with pytest.raises(ModelNotFoundError, match="too short: give at least 6 characters"):
        resolve_model(tricky(), "12345")


@pytest.mark.parametrize(
    ("text", "kind"), [("", ApiValueError), ("  ", ApiValueError), (7, ApiTypeError)]
)
def test_what_cannot_name_a_model_is_refused(text: Any, kind: type) -> None:
    with pytest.raises(kind):
        resolve_model(tricky(), text)


def test_lookup_errors_copy_and_pickle_with_their_models() -> None:
    with pytest.raises(AmbiguousModelError) as caught:
        resolve_model(tricky(), "twin")
    for twin in (copy.copy(caught.value), pickle.loads(pickle.dumps(caught.value))):
        assert type(twin) is AmbiguousModelError and str(twin) == str(caught.value)
        assert [m.id for m in twin.candidates] == [m.id for m in caught.value.candidates]


# --- the APIs: one GET of the snapshot --------------------------------------------------------
def test_models_api_resolve_model_reads_one_snapshot(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        api = ModelsApi(api_client)
        assert api.resolve_model("llama 3 8b instruct (cpu)").id == CPU
        with pytest.raises(ApiValueError):
            api.resolve_model("")
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/models")]


def test_async_models_api_resolve_model_matches(server: LocalPiecesOS) -> None:
    async def main() -> str:
        async with AsyncApiClient(server.configuration()) as api_client:
            model = await AsyncModelsApi(api_client).resolve_model(CPU[:8])
            return model.id

    assert asyncio.run(main()) == CPU
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/models")]


@pytest.mark.parametrize(
    "text", ["Llama 3 8B Instruct (CPU)", "llama-3-8b-instruct-q4f32_1-cpu", CPU[:8]]
)
def test_download_takes_a_name_a_slug_or_an_id_prefix(server: LocalPiecesOS, text: str) -> None:
    server.set_download_pace(interval=0.01, step=25.0)
    with server.client() as api_client:
        model = ModelApi(api_client).download(text)
    assert model.id == CPU and model.downloaded
    assert [r.path for r in server.requests if r.method == "POST"] == [f"/model/{CPU}/download"]


def test_download_events_take_a_name_and_yield_the_id(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=25.0)
    with (
        server.client() as api_client,
        ModelApi(api_client).download_events("mistral 7b instruct") as events,
    ):
        seen = list(events)
    assert {event.model_id for event in seen} == {MISTRAL}
    assert events.model is not None and events.model.id == MISTRAL


def test_an_unknown_or_ambiguous_download_sends_only_the_snapshot_get(
    tricky_server: LocalPiecesOS,
) -> None:
    with tricky_server.client() as api_client:
        api = ModelApi(api_client)
        with pytest.raises(ModelNotFoundError, match="did you mean Alpha"):
            api.download("alphq")
        with pytest.raises(AmbiguousModelError, match="twin"):
            api.download("Twin")
    assert [(r.method, r.path) for r in tricky_server.requests] == [("GET", "/models")] * 2


def test_the_async_download_takes_a_name_and_refuses_the_unknown(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=25.0)

    async def main() -> Model:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelApi(api_client)
            with pytest.raises(ModelNotFoundError):
                await api.download("no such model")
            async with api.download_events("MISTRAL 7B INSTRUCT") as events:
                ids = {event.model_id async for event in events}
            assert ids == {MISTRAL}
            return await api.download("Llama 3 8B Instruct (CPU)")

    model = asyncio.run(main())
    assert model.id == CPU and model.downloaded
    assert [r.path for r in server.requests if r.method == "POST"] == [
        f"/model/{MISTRAL}/download",
        f"/model/{CPU}/download",
    ]


def test_a_peer_we_did_not_write_is_downloaded_from_by_name() -> None:
    from test_downloads_peer import MODEL, Peer, client

    with Peer() as peer:
        name = str(peer.model["name"]).upper()  # a name matches in any case
        with client(peer) as api_client:
            model = ModelApi(api_client).download(name)
        assert model.id == MODEL and model.downloaded
        assert peer.snapshots == 1 and peer.log.count("POST /download") == 1


def test_the_generated_operations_still_take_ids_only(server: LocalPiecesOS) -> None:
    from pieces_os_client import NotFoundException

    with server.client() as api_client, pytest.raises(NotFoundException):
        ModelApi(api_client).models_specific_model_snapshot("Mistral 7B Instruct")


# --- the command line -------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)


def test_every_model_command_takes_a_name(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    phi = builtin_id("phi-3-mini-4k-instruct")
    code, out, err = run(capsys, "--url", server.url, "models", "show", "phi-3 mini 4k instruct")
    assert (code, err) == (0, "") and out.splitlines()[0].split() == ["id", phi]
    code, out, err = run(capsys, "--url", server.url, "models", "load", "Phi-3 Mini 4K Instruct")
    assert (code, err, out) == (0, "", f"loaded model {phi} (Phi-3 Mini 4K Instruct)\n")
    code, out, err = run(capsys, "--url", server.url, "models", "unload", phi[:6])
    assert (code, err, out) == (0, "", f"unloaded model {phi} (Phi-3 Mini 4K Instruct)\n")
    code, out, err = run(
        capsys, "--url", server.url, "models", "delete-cache", "phi-3-mini-4k-instruct"
    )
    assert (code, err, out) == (0, "", f"deleted the cache of model {phi}\n")
    server.set_download_pace(interval=0.01, step=50.0)
    code, out, err = run(
        capsys, "--url", server.url, "models", "download", "phi-3 MINI 4k instruct"
    )
    assert code == 0, err
    assert out.splitlines()[-1].startswith(f"downloaded model {phi} (Phi-3 Mini 4K Instruct)")
    assert [r.path for r in server.requests if r.method == "POST"] == [
        f"/model/{phi}/load",
        f"/model/{phi}/unload",
        f"/models/{phi}/delete/cache",
        f"/model/{phi}/download",
    ]


def test_delete_takes_a_name_and_an_ambiguous_one_is_exit_1_with_the_ids(
    capsys: pytest.CaptureFixture[str], tricky_server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", tricky_server.url, "models", "delete", "twin")
    assert (code, out) == (1, "")
    assert err.startswith("error: 2 models have the name 'twin': Twin (id 99999999-")
    assert err.count("\n") == 1 and "000000000006" in err
    assert [r.path for r in tricky_server.requests] == ["/models"]


def test_the_command_in_a_subprocess_names_the_closest_model(server: LocalPiecesOS) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PIECES_OS_URL"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pieces_os_client",
            "--url",
            server.url,
            "models",
            "show",
            "mistral",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: no model has the id, unique slug or name 'mistral', and no id starts with it; "
        f"did you mean Mistral 7B Instruct (id {MISTRAL})? `pieces-os-models models list` "
        "lists all 20\n"
    )
