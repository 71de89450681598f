"""Errors that read like a sentence: ``str(ApiException)`` leads with one line, and a download
refused before it started shows that line (no failed bar) in a notebook and a terminal."""

from __future__ import annotations

import asyncio
import pickle
import re
import sys

import pytest
from _scripted_server import Reply, ScriptedServer
from test_cli import _on_a_terminal, _screen_lines
from test_live import _FakeIPython, _Kernel

from pieces_os_client import (
    ApiClient,
    ApiException,
    Configuration,
    ModelApi,
    ModelsApi,
    NotFoundException,
    ServiceException,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi
from pieces_os_client.testing import LocalPiecesOS, builtin_id

GPT_4O = builtin_id("gpt-4o")  # in the cloud: Pieces OS refuses to download it


def test_the_first_line_is_status_reason_the_servers_text_and_the_request(
    server: LocalPiecesOS,
) -> None:
    with server.client() as api_client, pytest.raises(NotFoundException) as caught:
        ModelApi(api_client).models_specific_model_snapshot("x")
    error = caught.value
    first, *rest = str(error).splitlines()
    assert first == "410 Gone: no model with id 'x' (GET /model/x)"
    assert rest[0].startswith("HTTP response headers: {") and "Content-Type" in rest[0]
    assert rest[1] == "HTTP response body: no model with id 'x'"
    # What 5.0.1 code reads stays as it was.
    assert (error.status, error.reason, error.body, error.data) == (
        410,
        "Gone",
        "no model with id 'x'",
        "no model with id 'x'",
    )
    assert error.headers is not None and error.headers["Content-Type"].startswith("text/plain")
    assert (error.method, error.url) == ("GET", f"{server.url}/model/x")


def test_a_json_error_leads_with_its_message(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(422, {"error": "name  is\nmissing"}))
    client = ApiClient(Configuration(host=scripted_server.url))
    with client as api_client, pytest.raises(ApiException) as caught:
        ModelsApi(api_client).models_create_new_model()
    assert str(caught.value).splitlines()[0] == (
        "422 Unprocessable Entity: name is missing (POST /models/create)"
    )
    assert caught.value.data == {"error": "name  is\nmissing"}


def test_an_exception_made_by_hand_as_5_0_1_code_does_reads_alike() -> None:
    error = ApiException(status=500, reason="Internal Server Error", body="boom")
    assert str(error) == "500 Internal Server Error: boom\nHTTP response body: boom\n"
    assert str(ApiException(status=503)) == "503 Service Unavailable\n"  # the standard phrase
    assert str(ApiException(status=0, reason="Unsupported content type: x")).startswith(
        "Unsupported content type: x"
    )
    twin = pickle.loads(pickle.dumps(error))
    assert (twin.status, twin.reason, twin.body, str(twin)) == (
        500,
        error.reason,
        "boom",
        str(error),
    )


def test_an_async_error_names_its_request_too(server: LocalPiecesOS) -> None:
    async def main() -> str:
        async with AsyncApiClient(server.configuration()) as api_client:
            try:
                await AsyncModelApi(api_client).model_specific_model_download(GPT_4O)
            except ServiceException as error:
                return str(error).splitlines()[0]
        raise AssertionError("not refused")

    assert asyncio.run(main()) == (
        f"500 Internal Server Error: model '{GPT_4O}' (GPT-4o) runs in the cloud; there is "
        f"nothing to download (POST /model/{GPT_4O}/download)"
    )


# --- a download refused before it started ------------------------------------------------------
@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> _FakeIPython:
    return _FakeIPython(monkeypatch, _Kernel())


def test_a_notebook_shows_one_line_for_a_refused_download_not_a_failed_bar(
    kernel: _FakeIPython, server: LocalPiecesOS
) -> None:
    with server.client() as api_client, pytest.raises(ServiceException):
        ModelApi(api_client).download("GPT-4o")
    assert len(kernel.shown) == 1
    bundle = kernel.shown[0][1]
    assert bundle["text/plain"] == (
        f"Download of GPT-4o did not start: 500 Internal Server Error: model '{GPT_4O}' "
        f"(GPT-4o) runs in the cloud; there is nothing to download (POST /model/{GPT_4O}/download)"
    )
    assert "progressbar" not in bundle["text/html"] and "0%" not in bundle["text/plain"]


def test_a_notebook_shows_one_line_for_an_unknown_model_async_too(
    kernel: _FakeIPython, server: LocalPiecesOS
) -> None:
    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            await AsyncModelApi(api_client).download("mistrel 7b")

    with pytest.raises(ValueError):
        asyncio.run(main())
    assert len(kernel.shown) == 1
    text = kernel.shown[0][1]["text/plain"]
    assert text.startswith("Download of mistrel 7b did not start: no model has the id")
    assert "did you mean Mistral 7B Instruct" in text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_terminal_shows_one_error_line_and_no_bar_for_a_refused_download(
    server: LocalPiecesOS,
) -> None:
    code, output = _on_a_terminal(["--url", server.url, "models", "download", "gpt-4o"])
    assert code == 1
    lines = [line for line in _screen_lines(output) if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: 500 Internal Server Error: ")
    assert "runs in the cloud" in lines[0]
    assert not re.search(r"\d+%", output)  # no bar was drawn
