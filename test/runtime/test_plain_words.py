"""What the SDK and the command line say reads plainly and tells the truth: retry lines
without library class names ("1 retry left"), a connection hint that never asks for a
setting already made, ``models show`` in wire names, a ``--help`` naming every command."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
from typing import List, Tuple

import pytest
from _scripted_server import QuickRetries, free_port

from pieces_os_client import ApiClient, ApiConnectionError, Configuration, ModelsApi
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.cli import main
from pieces_os_client.exceptions import CONNECTION_HINT
from pieces_os_client.testing import LocalPiecesOS, builtin_id

#: A class name such as NewConnectionError or ClientConnectorError.
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:Error|Exception)\b")


def retry_lines(caplog: pytest.LogCaptureFixture) -> List[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "pieces_os_client" and r.getMessage().startswith("retrying")
    ]


# --- retry lines -----------------------------------------------------------------------------
def test_retry_lines_say_what_failed_and_count_retries_in_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    configuration = Configuration(host=url, retries=QuickRetries.from_count(2))
    logs = caplog.at_level(logging.INFO, logger="pieces_os_client")
    with logs, ApiClient(configuration) as c, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(c).models_snapshot()
    assert retry_lines(caplog) == [
        "retrying GET /models after a failed connection (connection refused) (1 retry left)",
        "retrying GET /models after a failed connection (connection refused) (0 retries left)",
    ]
    assert not CLASS_NAME.search(str(caught.value)), str(caught.value)
    assert "could not connect (connection refused)" in str(caught.value)


def test_the_async_client_words_its_retries_alike(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    async def main() -> None:
        configuration = Configuration(host=url, retries=QuickRetries.from_count(1))
        async with AsyncApiClient(configuration) as api_client:
            await AsyncModelsApi(api_client).models_snapshot()

    logs = caplog.at_level(logging.INFO, logger="pieces_os_client")
    with logs, pytest.raises(ApiConnectionError):
        asyncio.run(main())
    (line,) = retry_lines(caplog)
    assert line.startswith("retrying GET /models after a failed connection (")
    assert line.endswith(" (0 retries left)") and not CLASS_NAME.search(line), line


def test_a_piped_cli_notes_each_retry_in_the_same_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["--url", url, "--retries", "1", "models", "list"]) == 1
    retry, error = capsys.readouterr().err.splitlines()
    assert (
        retry
        == "retrying GET /models after a failed connection (connection refused) (0 retries left)"
    )
    assert error.startswith(f"error: cannot reach {url} (Connection refused)")


# --- the connection hint ---------------------------------------------------------------------
def _refused(monkeypatch: pytest.MonkeyPatch, env: str, host: str) -> str:
    if env:
        monkeypatch.setenv("PIECES_OS_URL", env)
    else:
        monkeypatch.delenv("PIECES_OS_URL", raising=False)
    configuration = Configuration(host=host, retries=0) if host else Configuration(retries=0)
    with ApiClient(configuration) as api_client, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(api_client).models_snapshot()
    return str(caught.value)


def test_the_hint_asks_for_pieces_os_url_only_while_it_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    assert _refused(monkeypatch, "", dead).endswith(CONNECTION_HINT)
    from_env = _refused(monkeypatch, dead, "")
    assert "set PIECES_OS_URL" not in from_env
    assert from_env.endswith(
        "is Pieces OS running at that address? it is the one PIECES_OS_URL names: start "
        "Pieces OS there, or change PIECES_OS_URL to where it listens"
    )
    given = _refused(monkeypatch, f"http://127.0.0.1:{free_port()}", dead)
    assert "set PIECES_OS_URL" not in given
    assert given.endswith("pass Configuration(host=...) where Pieces OS listens")


def test_the_cli_hint_follows_where_the_address_came_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("PIECES_OS_URL", dead)
    assert main(["--retries", "0", "models", "list"]) == 1
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"error: cannot reach {dead} ")
    assert "set PIECES_OS_URL" not in line and "PIECES_OS_URL names" in line


# --- models show in wire names ---------------------------------------------------------------
def test_models_show_prints_wire_names(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    assert main(["--url", server.url, "models", "show", "mistral-7b-instruct-v0.3"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "schema" in names and "maxTokens" in names
    assert "var_schema" not in names and "max_tokens" not in names
    assert names[:3] == ["id", "name", "version"]
    model = next(m for m in server.models() if m.id == builtin_id("mistral-7b-instruct-v0.3"))
    assert "maxTokens" in str(model).split() and "var_schema" not in str(model)


# --- --help --------------------------------------------------------------------------------------
def test_the_top_level_help_names_every_models_command_and_exit_130() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "pieces_os_client", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    text = " ".join(done.stdout.split())
    actions: Tuple[str, ...] = (
        "list",
        "show",
        "download",
        "load",
        "unload",
        "watch",
        "create",
        "delete",
        "delete-cache",
    )
    listed = text.split("models ", 1)[1].split(" serve ")[0]
    assert [a for a in actions if re.search(rf"(^|[ ,]){re.escape(a)}(,|$| )", listed)] == list(
        actions
    )
    assert "130 Ctrl-C" in text
