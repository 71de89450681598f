"""The ``pieces-os-models`` command line against a LocalPiecesOS on 127.0.0.1: output, exit
status (0 ok, 1 API/connection error, 2 bad usage) and one-line error messages."""

from __future__ import annotations

import io
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from _children import sigint_at_default
from _scripted_server import free_port
from hypothesis import given, settings
from hypothesis import strategies as st

from pieces_os_client._display.text import text_table
from pieces_os_client.cli import main
from pieces_os_client.models._display import COLUMNS, TEXT_COLUMNS
from pieces_os_client.testing import LocalPiecesOS

SEED: Dict[str, Any] = {
    "name": "my-llm",
    "version": "1.0",
    "cloud": False,
    "type": "BALANCED",
    "usage": "CODE_CONVERSATION",
    "created": {"value": "2024-05-01T12:00:00Z"},
    "provider": "META",
    "bytes": {"value": 123, "readable": "123 B"},
}


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def custom_model_id(server: LocalPiecesOS) -> str:
    with server.client() as api_client:
        from pieces_os_client import ModelsApi, SeededModel

        return ModelsApi(api_client).models_create_new_model(SeededModel.from_dict(SEED)).id


# --- models list -------------------------------------------------------------------------------
def test_list_prints_an_aligned_table_with_one_line_per_model(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "list")
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    models = local_pieces_os.models()

    assert header.split() == [c.upper() for c in TEXT_COLUMNS]
    assert len(rows) == len(models)
    name_column = header.index("NAME")
    for row, model in zip(rows, models):
        assert row.startswith(model.id + " ")
        assert row[name_column:].startswith(model.name)  # every row lines up under its header
        assert ("cloud" if model.cloud else "local") in row.split()
        assert model.version in row and model.created.value.date().isoformat() in row
    # Piped: every column in full, no colour, however narrow the terminal would be.
    assert "\x1b" not in out and "\N{HORIZONTAL ELLIPSIS}" not in out


def test_list_json_is_the_snapshot_as_json(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "list", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert [m["id"] for m in data["iterable"]] == [m.id for m in local_pieces_os.models()]


@pytest.mark.parametrize(
    "where",
    [
        ["--url", "URL", "--retries", "0", "models", "list", "--json"],
        ["models", "--url", "URL", "--retries", "0", "list", "--json"],
        ["models", "list", "--json", "--url", "URL", "--retries", "0"],
        ["--retries", "0", "models", "list", "--url", "URL", "--json"],
    ],
)
def test_options_go_before_or_after_each_command(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS, where: List[str]
) -> None:
    argv = [local_pieces_os.url if arg == "URL" else arg for arg in where]
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert json.loads(out)["iterable"]


def test_connection_options_work_after_the_command_and_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    local_pieces_os: LocalPiecesOS,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run(capsys, "models", "list", "--json", "--url", local_pieces_os.url)
    assert code == 0 and json.loads(out)["iterable"]

    monkeypatch.setenv("PIECES_OS_URL", local_pieces_os.url)
    code, out, _ = run(capsys, "models", "list", "--json")
    assert code == 0 and json.loads(out)["iterable"]
    assert len(local_pieces_os.requests) == 2


# --- models create ------------------------------------------------------------------------------
def test_create_says_created_then_already_existed_and_prints_the_model(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS, tmp_path: Path
) -> None:
    seed_file = tmp_path / "seeded.json"
    seed_file.write_text(json.dumps(SEED), encoding="utf-8")
    argv = ["--url", local_pieces_os.url, "models", "create", "--file", str(seed_file)]
    code, out, err = run(capsys, *argv)
    created = [m for m in local_pieces_os.models() if m.name == "my-llm"]
    assert len(created) == 1 and created[0].custom is True
    # The server's clock, not the file's, dates the model: the command says so.
    stamp = created[0].created.value.isoformat()
    assert (code, err) == (
        0,
        f"Pieces OS set created to {stamp} (the file said 2024-05-01T12:00:00+00:00)\n",
    )
    verdict, *fields = out.splitlines()
    assert verdict == f"created model {created[0].id} (my-llm)"
    # One "field  value" line each, id first.
    assert [line.split() for line in fields[:3]] == [
        ["id", created[0].id],
        ["name", "my-llm"],
        ["version", "1.0"],
    ]
    assert ["provider", "META"] in [line.split() for line in fields]

    code, out, err = run(capsys, *argv)  # the same seed again: Pieces OS returns the model
    assert (code, err) == (0, "")  # nothing was set: the model was already there
    assert out.splitlines()[0] == (
        f"already existed: model {created[0].id} (my-llm); nothing was created"
    )
    assert len([m for m in local_pieces_os.models() if m.name == "my-llm"]) == 1


def test_create_reads_standard_input_and_can_print_json(
    capsys: pytest.CaptureFixture[str],
    local_pieces_os: LocalPiecesOS,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(SEED)))
    code, out, err = run(
        capsys, "--url", local_pieces_os.url, "models", "create", "-f", "-", "--json"
    )
    created = json.loads(out)  # stdout is the JSON alone; the verdict goes to stderr
    verdict, note = err.splitlines()
    assert (code, verdict) == (0, f"created model {created['id']} (my-llm)")
    assert note.startswith("Pieces OS set created to ")
    assert created["name"] == "my-llm" and created["custom"] is True
    assert [r.path for r in local_pieces_os.requests] == ["/models", "/models/create"]
    assert json.loads(local_pieces_os.requests[-1].body)["name"] == "my-llm"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"name": "x"}), "not a valid SeededModel"),
        (json.dumps({**SEED, "cloud": "maybe"}), "cloud"),
    ],
)
def test_create_with_an_invalid_file_is_a_usage_error_and_sends_nothing(
    capsys: pytest.CaptureFixture[str],
    local_pieces_os: LocalPiecesOS,
    tmp_path: Path,
    content: str,
    expected: str,
) -> None:
    seed_file = tmp_path / "bad.json"
    seed_file.write_text(content, encoding="utf-8")
    code, out, err = run(
        capsys, "--url", local_pieces_os.url, "models", "create", "--file", str(seed_file)
    )
    assert code == 2 and out == ""
    line = assert_one_error_line(err)
    assert str(seed_file) in line and expected in line
    assert local_pieces_os.requests == []


def test_create_with_a_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.json"
    code, _, err = run(capsys, "models", "create", "--file", str(missing))
    assert code == 2
    assert "cannot read" in assert_one_error_line(err)


# --- models delete / delete-cache / unload --------------------------------------------------------
def test_delete_removes_a_custom_model(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    model_id = custom_model_id(local_pieces_os)
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "delete", model_id)
    assert (code, err) == (0, "")
    assert out == f"deleted model {model_id}\n"
    assert model_id not in [m.id for m in local_pieces_os.models()]


def test_deleting_a_built_in_model_prints_the_servers_reason_on_one_line(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    built_in = next(m for m in local_pieces_os.models() if not m.custom)
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "delete", built_in.id)
    assert code == 1 and out == ""
    line = assert_one_error_line(err)
    assert line.startswith("error: 500 Internal Server Error: ")
    assert built_in.id in line and "built in" in line  # the server's own message
    assert built_in.id in [m.id for m in local_pieces_os.models()]


def test_delete_cache_clears_a_local_llm(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    llm = next(
        m
        for m in local_pieces_os.models()
        if not m.cloud and m.downloaded and m.usage.value == "CODE_CONVERSATION"
    )
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "delete-cache", llm.id)
    assert (code, err) == (0, "")
    assert out == f"deleted the cache of model {llm.id}\n"
    assert next(m for m in local_pieces_os.models() if m.id == llm.id).downloaded is False


def test_delete_cache_of_an_unknown_model_is_an_api_error(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    code, _, err = run(capsys, "--url", local_pieces_os.url, "models", "delete-cache", "nope")
    assert code == 1
    assert "nope" in assert_one_error_line(err)


def test_unload_unloads_every_model(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    assert any(m.loaded for m in local_pieces_os.models())
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "unload")
    assert (code, out, err) == (0, "unloaded every model\n", "")
    assert not any(m.loaded for m in local_pieces_os.models())


# --- errors -------------------------------------------------------------------------------------
def test_a_server_error_shows_status_reason_and_message(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    local_pieces_os.fail_next(1, status=500, body=b'{"error": "disk on fire"}')
    code, out, err = run(capsys, "--url", local_pieces_os.url, "models", "list")
    assert code == 1 and out == ""
    assert assert_one_error_line(err) == "error: 500 Internal Server Error: disk on fire"


def test_a_multi_line_plain_text_error_body_still_gives_one_line(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    local_pieces_os.fail_next(1, status=418, body=b"line one\nline two\n" + b"x" * 2000)
    code, _, err = run(capsys, "--url", local_pieces_os.url, "models", "unload")
    assert code == 1
    line = assert_one_error_line(err)
    assert line.startswith("error: 418 ") and "line one line two" in line
    assert len(line) < 400


def test_nothing_listening_is_a_connection_error_with_the_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "--url", url, "--retries", "0", "models", "list")
    assert code == 1 and out == ""
    line = assert_one_error_line(err)
    assert line.startswith(f"error: cannot reach {url} ")
    # The address came from --url: the hint says so, and never to set what is set.
    assert line.endswith("is Pieces OS running at that address? check --url")
    assert "PIECES_OS_URL" not in line


def test_a_slow_server_is_a_timeout_error(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    local_pieces_os.delay_next(1, 2.0)
    code, _, err = run(
        capsys,
        "--url",
        local_pieces_os.url,
        "--timeout",
        "0.3",
        "--retries",
        "0",
        "models",
        "list",
    )
    assert code == 1
    assert "timed out" in assert_one_error_line(err)


def test_debug_adds_the_traceback_and_keeps_the_error_line(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    built_in = next(m for m in local_pieces_os.models() if not m.custom)
    code, _, err = run(
        capsys, "--url", local_pieces_os.url, "--debug", "models", "delete", built_in.id
    )
    assert code == 1
    assert "Traceback (most recent call last)" in err
    assert "ServiceException" in err
    assert err.splitlines()[-1].startswith("error: 500 ")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["models"],
        ["models", "delete"],
        ["models", "list", "--timeout", "soon"],
        ["models", "list", "--timeout", "0"],
        ["models", "list", "--retries", "-1"],
        ["models", "create"],
        ["serve", "--port", "70000"],
    ],
)
def test_bad_usage_exits_2_with_argparse_usage(
    capsys: pytest.CaptureFixture[str], argv: List[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "usage:" in err


def test_an_empty_id_is_a_usage_error_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], local_pieces_os: LocalPiecesOS
) -> None:
    code, _, err = run(capsys, "--url", local_pieces_os.url, "models", "delete", "")
    assert code == 2
    assert_one_error_line(err)
    assert local_pieces_os.requests == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("localhost:1000", "http://"),
        ("ftp://localhost:1000", "http://"),
        ("http://localhost:abc", "not a valid URL"),
        ("http://localhost:99999", "not a valid URL"),
        ("http://", "http://"),
        ("http://local host:1000", "http://"),
    ],
)
def test_a_malformed_url_is_a_usage_error_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    code, out, err = run(capsys, "models", "list", "--url", url)
    assert code == 2 and out == ""
    assert "usage:" in err and "argument --url" in err and expected in err


def test_a_malformed_pieces_os_url_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIECES_OS_URL", "localhost:1000")
    code, _, err = run(capsys, "models", "unload")
    assert code == 2
    assert "PIECES_OS_URL is not an http:// or https:// URL" in assert_one_error_line(err)


def test_host_outside_serve_names_the_option_to_use(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "models", "list", "--host", "http://localhost:1000")
    assert code == 2
    assert "--host is the address `serve` listens on" in err and "--url URL" in err


@pytest.mark.parametrize(
    "command",
    [[], ["models"], ["models", "list"], ["models", "create"], ["models", "watch"], ["serve"]],
    ids=lambda words: " ".join(words) or "top",
)
def test_every_help_fits_one_80_by_24_screen_and_speaks_of_the_command_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: List[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # what argparse wraps its help to
    code, out, _ = run(capsys, *command, "--help")
    lines = out.splitlines()
    assert code == 0
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80, out
    assert "discover()" not in out and "()" not in out  # no Python API in a command's help


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "models" in out and "serve" in out
    code, out, _ = run(capsys, "--version")
    from pieces_os_client import __version__

    assert code == 0 and __version__ in out


# --- serve --------------------------------------------------------------------------------------
def test_serve_on_a_taken_port_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        code, _, err = run(capsys, "serve", "--host", "127.0.0.1", "--port", port)
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in assert_one_error_line(err)


def _child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PIECES_OS_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")
def test_python_m_serve_serves_until_ctrl_c(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
        preexec_fn=sigint_at_default,
    )
    try:
        assert child.stdout is not None
        # The first line is printed once it accepts connections; never wait for it forever.
        ready, _, _ = select.select([child.stdout], [], [], 20)
        assert ready, "serve printed nothing within 20 s"
        first_line = child.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line
        code, out, _ = run(capsys, "--url", f"http://127.0.0.1:{port}", "models", "list", "--json")
        assert code == 0 and json.loads(out)["iterable"]
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()


def test_python_m_returns_the_exit_status() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pieces_os_client", "models", "delete"],
        capture_output=True,
        text=True,
        timeout=30,
        env=_child_env(),
    )
    assert result.returncode == 2
    assert "usage: python -m pieces_os_client" in result.stderr


def test_importing_the_cli_loads_neither_pydantic_nor_urllib3() -> None:
    probe = (
        "import sys, pieces_os_client.cli; "
        "print([m for m in ('pydantic', 'urllib3', 'pieces_os_client.models') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the text table ------------------------------------------------------------------------------
_cells = st.text(max_size=12)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(*[_cells] * len(TEXT_COLUMNS)), max_size=6))
def test_the_table_has_one_line_per_row_and_columns_line_up(rows: List[Tuple[str, ...]]) -> None:
    table = text_table(rows)
    lines = table.split("\n")
    assert len(lines) == len(rows) + 1  # a newline or escape in a value cannot add lines
    assert all(line.isprintable() for line in lines)
    header = lines[0]
    starts: List[int] = []
    searched_to = 0  # search left to right: "LOADED" is also inside "DOWNLOADED"
    for column in TEXT_COLUMNS:
        starts.append(header.index(column.upper(), searched_to))
        searched_to = starts[-1] + len(column)
    numeric = {column.name for column in COLUMNS if column.numeric}
    for line, row in zip(lines[1:], rows):
        for start, name, cell in zip(starts, TEXT_COLUMNS, row):
            shown = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in cell)
            if name in numeric:  # right-aligned: the cell ends where its header ends
                end = start + len(name)
                assert line.ljust(end)[:end].endswith(shown) or len(shown) > len(name)
                continue
            padded = line.ljust(start + len(shown))  # lines drop trailing blanks
            assert padded[start : start + len(shown)] == shown


# --- on a terminal ------------------------------------------------------------------------------
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_a_terminal(argv: List[str], columns: int = 80, **env: str) -> Tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal ``columns`` wide; return the
    exit status and everything written (escape sequences kept)."""
    import pty

    leader, follower = pty.openpty()
    child_env = {**_child_env(), "COLUMNS": str(columns), "LINES": "30", "TERM": "xterm-256color"}
    child_env.pop("NO_COLOR", None)
    child_env.update(env)
    child = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", *argv],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=child_env,
        preexec_fn=sigint_at_default,
    )
    os.close(follower)
    chunks: List[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 30)
            if not ready:
                raise AssertionError("the CLI wrote nothing for 30 s")
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


_CURSOR_UP = re.compile(r"\x1b\[(\d*)A")


def _screen_lines(output: str) -> List[str]:
    """The lines left on the screen: a carriage return rewrites its line and cursor-up moves
    back over earlier ones (a spinner shown on a slow machine is replaced by the table)."""
    screen: List[str] = []
    for raw in output.replace("\r\n", "\n").split("\n"):
        text = raw.rsplit("\r", 1)[-1]
        for up in _CURSOR_UP.finditer(text):
            del screen[len(screen) - int(up.group(1) or 1) :]
        line = _ANSI.sub("", text)
        if line:
            screen.append(line)
    return screen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("columns", [60, 80, 120])
def test_on_a_terminal_the_table_fits_its_width_in_colour(
    local_pieces_os: LocalPiecesOS, columns: int
) -> None:
    code, output = _on_a_terminal(["--url", local_pieces_os.url, "models", "list"], columns)
    assert code == 0, output
    lines = _screen_lines(output)
    assert max(len(line) for line in lines) <= columns
    header, *rows = lines
    # The state is never dropped; at 60 columns it leaves no room for the names.
    assert header.split()[:2] == (["ID", "NAME"] if columns >= 80 else ["ID", "STATE"])
    assert "STATE" in header
    models = local_pieces_os.models()
    assert [row.split()[0] for row in rows] == [m.id for m in models]  # ids whole: copyable
    assert "\x1b[" in output  # coloured
    if columns >= 120:
        assert "SIZE" in header and "USAGE" in header


def _rows_by_id(lines: List[str]) -> Dict[str, str]:
    """Each table row without its id, keyed by the id (the first word)."""
    return {line.split()[0]: line.split(None, 1)[1] for line in lines[1:]}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("rich", [True, False], ids=["rich", "plain"])
@pytest.mark.parametrize("columns", [80, 120])  # at 60 the state leaves no room for names
def test_rows_that_would_read_the_same_show_what_tells_them_apart(
    local_pieces_os: LocalPiecesOS, tmp_path: Path, columns: int, rich: bool
) -> None:
    # "Llama 3 8B Instruct" and "Llama 3 8B Instruct (CPU)" are both in the catalogue: cut to
    # the same width they would both read "Llama 3 8B Inst…".
    env = {}
    if not rich:
        (tmp_path / "rich").mkdir()  # hides the installed rich: the plain fitted table
        (tmp_path / "rich" / "__init__.py").write_text("raise ImportError('hidden')\n")
        env["PYTHONPATH"] = str(tmp_path)
    argv = ["--url", local_pieces_os.url, "models", "list"]
    code, output = _on_a_terminal(argv, columns, **env)
    assert code == 0, output
    lines = _screen_lines(output)
    assert max(len(line) for line in lines) <= columns
    rows = _rows_by_id(lines)
    llamas = [m.id for m in local_pieces_os.models() if m.name.startswith("Llama 3 8B Instruct")]
    assert len(llamas) == 2
    first, second = (rows[model_id].split("  ")[0] for model_id in llamas)
    assert first != second, rows
    assert first.startswith("Llama 3 8B Instruct") and second.startswith("Llama 3 8B Instruc")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_models_of_one_name_show_their_version_next_to_it(local_pieces_os: LocalPiecesOS) -> None:
    with local_pieces_os.client() as api_client:
        from pieces_os_client import ModelsApi, SeededModel

        api = ModelsApi(api_client)
        twins = [
            api.models_create_new_model(SeededModel.from_dict({**SEED, "version": version})).id
            for version in ("1.0", "2.0")
        ]
    # 100 columns: at 80 the id, the name and the state (never dropped) leave no room.
    code, output = _on_a_terminal(["--url", local_pieces_os.url, "models", "list"], 100)
    assert code == 0, output
    lines = _screen_lines(output)
    assert lines[0].split()[:3] == ["ID", "NAME", "VERSION"]
    rows = _rows_by_id(lines)
    assert [rows[twin].split()[:2] for twin in twins] == [["my-llm", "1.0"], ["my-llm", "2.0"]]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_wide_shows_every_column_and_no_color_turns_colour_off(
    local_pieces_os: LocalPiecesOS,
) -> None:
    code, output = _on_a_terminal(
        ["models", "list", "--wide", "--url", local_pieces_os.url], 80, NO_COLOR="1"
    )
    assert code == 0
    assert "\x1b[3" not in output and "\x1b[1m" not in output  # no colour, no bold
    flat = " ".join(_screen_lines(output))
    for column in TEXT_COLUMNS:
        assert column.upper() in flat
    assert "\N{HORIZONTAL ELLIPSIS}" not in flat  # nothing shortened


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_slow_call_shows_a_spinner_on_the_terminal(local_pieces_os: LocalPiecesOS) -> None:
    local_pieces_os.delay_next(1, 1.5, path="/models/unload")
    code, output = _on_a_terminal(["--url", local_pieces_os.url, "models", "unload"])
    assert code == 0
    assert "unloading every model" in output  # the spinner's line (cleared when done)
    assert _screen_lines(output)[-1].strip().endswith("unloaded every model")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_without_rich_the_terminal_gets_a_plain_fitted_table(
    local_pieces_os: LocalPiecesOS, tmp_path: Path
) -> None:
    (tmp_path / "rich").mkdir()  # a package that cannot be imported hides the installed rich
    (tmp_path / "rich" / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    code, output = _on_a_terminal(
        ["--url", local_pieces_os.url, "models", "list"], 80, PYTHONPATH=str(tmp_path)
    )
    assert code == 0, output
    lines = _screen_lines(output)
    assert max(len(line) for line in lines) <= 80
    assert [line.split()[0] for line in lines[1:]] == [m.id for m in local_pieces_os.models()]
    assert not re.search(r"\x1b\[[0-9;]*m", output)  # no colour (a slow call's note is erased)


def test_piped_retries_are_one_note_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "--url", url, "--retries", "1", "models", "list")
    assert code == 1
    retry, error = err.splitlines()
    assert retry.startswith("retrying GET /models after ") and "(0 retries left)" in retry
    assert error.startswith("error: cannot reach ")


# --- finding Pieces OS --------------------------------------------------------------------------
@pytest.mark.parametrize("verbose", [[], ["--verbose"], ["-v"]], ids=["quiet", "verbose", "v"])
def test_without_a_url_the_cli_finds_pieces_os_and_says_where_when_verbose(
    capsys: pytest.CaptureFixture[str],
    local_pieces_os: LocalPiecesOS,
    monkeypatch: pytest.MonkeyPatch,
    verbose: List[str],
) -> None:
    from pieces_os_client import discovery

    port = int(local_pieces_os.url.rsplit(":", 1)[1])
    # Only the test's own ports: the usual ones may belong to a real Pieces OS.
    monkeypatch.setattr(discovery, "DEFAULT_PORTS", (free_port(), port))
    monkeypatch.setattr(discovery, "DEFAULT_DISCOVERY_HOST", "localhost")
    code, out, err = run(capsys, "models", "list", "--json", *verbose)
    assert code == 0 and json.loads(out)["iterable"]
    assert err == (f"found Pieces OS at http://localhost:{port}\n" if verbose else "")


def test_when_nothing_is_found_the_error_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pieces_os_client import discovery

    monkeypatch.setattr(discovery, "DEFAULT_PORTS", (free_port(),))
    code, out, err = run(capsys, "models", "list")
    assert code == 1 and out == ""
    line = assert_one_error_line(err)
    assert "found no Pieces OS" in line and "pieces-os-models serve" in line and "--url" in line


# --- serve options --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [["serve", "--debug", "--port", "PORT"], ["--debug", "serve", "--port", "PORT"]],
)
def test_serve_takes_debug_before_or_after_it(
    capsys: pytest.CaptureFixture[str], argv: List[str]
) -> None:
    with socket.socket() as taken:  # a taken port ends serve at once, after parsing
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        code, _, err = run(capsys, *[port if arg == "PORT" else arg for arg in argv])
    assert code == 1  # not 2: the options were accepted
    assert "pass another --port" in err


# --- fitting columns --------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    widths=st.lists(st.integers(1, 40), min_size=len(TEXT_COLUMNS), max_size=len(TEXT_COLUMNS)),
    room=st.integers(20, 300),
)
def test_fitted_columns_keep_the_id_and_table_order_and_fit(widths: List[int], room: int) -> None:
    from pieces_os_client._display.terminal import fit_columns

    names = fit_columns(widths, TEXT_COLUMNS, room)
    assert "id" in names and "state" in names
    assert names == [name for name in TEXT_COLUMNS if name in names]
    natural = dict(zip(TEXT_COLUMNS, widths))
    counted = [min(natural[n], 12) if n == "name" else natural[n] for n in names]
    kept = natural["id"] + 2 + natural["state"]
    assert sum(counted) + 2 * (len(names) - 1) <= max(room, kept)


def test_piped_commands_do_not_import_rich(local_pieces_os: LocalPiecesOS) -> None:
    probe = (
        "import sys; from pieces_os_client.cli import main; "
        f"code = main(['--url', {local_pieces_os.url!r}, 'models', 'list', '--json']); "
        "sys.stderr.write(f'{code} {\"rich\" in sys.modules}')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stderr == "0 False"
    assert json.loads(result.stdout)["iterable"]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_escape_sequences_in_a_name_never_reach_the_terminal(
    local_pieces_os: LocalPiecesOS,
) -> None:
    with local_pieces_os.client() as api_client:
        from pieces_os_client import ModelsApi, SeededModel

        seed = SeededModel.from_dict({**SEED, "name": "\x1b]0;pwned\x07evil\x1b[2J"})
        ModelsApi(api_client).models_create_new_model(seed)
    code, output = _on_a_terminal(["--url", local_pieces_os.url, "models", "list", "--wide"])
    assert code == 0
    assert "\x1b]0;" not in output and "\x1b[2J" not in output
    assert "\N{REPLACEMENT CHARACTER}]0;pwned" in output
