"""``models list`` to choose from: filters (combinable, also with ``--json``) and a state
column that an 80-column terminal always shows, against LocalPiecesOS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Set, Tuple

import pytest
from test_cli import _on_a_terminal, _screen_lines

from pieces_os_client import ModelApi
from pieces_os_client.cli import main
from pieces_os_client.testing import LocalPiecesOS, builtin_catalogue, builtin_id

MISTRAL = builtin_id("mistral-7b-instruct-v0.3")
STATES = ("cloud", "loaded", "downloaded", "not downloaded", "downloading")


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listed(capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, *filters: str) -> Set[str]:
    """The ids ``models list --json`` prints with ``filters``."""
    code, out, err = run(capsys, "--url", server.url, "models", "list", "--json", *filters)
    assert (code, err) == (0, "")
    return {model["id"] for model in json.loads(out)["iterable"]}


def ids(test: Any) -> Set[str]:
    return {m.id for m in builtin_catalogue() if test(m)}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ((), lambda m: True),
        (("--local",), lambda m: not m.cloud),
        (("--cloud",), lambda m: m.cloud),
        (("--downloaded",), lambda m: m.downloaded),
        (("--not-downloaded",), lambda m: not m.cloud and not m.downloaded),
        (("--loaded",), lambda m: m.loaded),
        (("--local", "--downloaded", "--loaded"), lambda m: m.loaded),
        (("llama",), lambda m: "llama" in m.name.lower()),
        (("LLAMA", "--not-downloaded"), lambda m: m.unique == "llama-3-8b-instruct-q4f32_1-cpu"),
        (("q4f16",), lambda m: m.unique == "llama-3-8b-instruct-q4f16_1-gpu"),  # slug only
        (("gpt", "--cloud"), lambda m: "gpt" in m.name.lower()),
        (("--cloud", "--loaded"), lambda m: False),
    ],
)
def test_filters_combine_and_json_prints_what_they_keep(
    capsys: pytest.CaptureFixture[str],
    server: LocalPiecesOS,
    filters: Tuple[str, ...],
    expected: Any,
) -> None:
    kept = listed(capsys, server, *filters)
    assert kept == ids(expected)
    if filters:
        assert kept != ids(lambda m: True)  # the filter did something


def test_a_model_downloading_is_neither_downloaded_nor_not_downloaded(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=3600.0, step=1.0)  # stays at 0 % for the test
    with server.client() as api_client:
        ModelApi(api_client).model_specific_model_download(MISTRAL)
    assert MISTRAL not in listed(capsys, server, "--not-downloaded")
    assert MISTRAL not in listed(capsys, server, "--downloaded")
    assert MISTRAL in listed(capsys, server, "--local", "mistral")


def test_the_piped_table_keeps_the_filtered_rows_and_a_state_column(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", "list", "--local", "code")
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["ID", "NAME", "VERSION", "STATE"]
    at = header.index("STATE")
    assert {row.split()[0] for row in rows} == ids(
        lambda m: not m.cloud and "code" in f"{m.name} {m.unique}".lower()
    )
    assert {row[at:].split("  ")[0] for row in rows} <= set(STATES)


def test_nothing_kept_is_a_note_not_an_error(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", "list", "--cloud", "--loaded")
    assert (code, out) == (0, "")
    assert err == "none of the 20 models passes the filters given\n"
    code, out, err = run(capsys, "--url", server.url, "models", "list", "--json", "zzz")
    assert (code, err, json.loads(out)) == (0, "", {"iterable": []})


@pytest.mark.parametrize(
    "argv", [["--local", "--cloud"], ["--downloaded", "--not-downloaded"]], ids=["where", "state"]
)
def test_opposite_filters_are_a_usage_error_and_send_nothing(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, argv: List[str]
) -> None:
    code, _, err = run(capsys, "--url", server.url, "models", "list", *argv)
    assert code == 2 and "not allowed with argument" in err
    assert server.requests == []


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("rich", [True, False], ids=["rich", "plain"])
def test_at_80_columns_every_row_says_where_the_model_stands(
    server: LocalPiecesOS, tmp_path: Path, rich: bool
) -> None:
    server.set_download_pace(interval=3600.0, step=1.0)  # stays at 0 % for the test
    with server.client() as api_client:
        ModelApi(api_client).model_specific_model_download(MISTRAL)
    env = {}
    if not rich:
        (tmp_path / "rich").mkdir()  # hides the installed rich: the plain fitted table
        (tmp_path / "rich" / "__init__.py").write_text("raise ImportError('hidden')\n")
        env["PYTHONPATH"] = str(tmp_path)
    code, output = _on_a_terminal(["--url", server.url, "models", "list"], 80, **env)
    assert code == 0, output
    lines = _screen_lines(output)
    assert max(len(line) for line in lines) <= 80
    header, *rows = lines
    assert header.split() == ["ID", "NAME", "STATE"]
    at = header.index("STATE")
    states = {row.split()[0]: row[at:].strip() for row in rows}
    expected = {
        m.id: "cloud"
        if m.cloud
        else "loaded"
        if m.loaded
        else "downloaded"
        if m.downloaded
        else "not downloaded"
        for m in builtin_catalogue()
    }
    expected[MISTRAL] = "downloading 0%"  # how far, from its progress stream
    assert states == expected


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_filters_on_a_terminal_keep_the_state_in_view(server: LocalPiecesOS) -> None:
    code, output = _on_a_terminal(
        ["--url", server.url, "models", "list", "--local", "--not-downloaded"], 80
    )
    assert code == 0, output
    header, *rows = _screen_lines(output)
    assert "STATE" in header
    assert [row.split()[0] for row in rows] == [
        m.id for m in builtin_catalogue() if not m.cloud and not m.downloaded
    ]
    at = header.index("STATE")
    assert {row[at : at + len("not downloaded")] for row in rows} == {"not downloaded"}
