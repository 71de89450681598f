"""``pieces-os-models models download / show / load / unload ID`` against a LocalPiecesOS.

The download's displays, Ctrl-C and a failing download run the command as a child process,
as a user would (a pipe, a pseudo-terminal, SIGINT); the rest calls ``main()`` in-process.
Downloads are paced fast (LocalPiecesOS's ``set_download_pace``), so each test stays short.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from _children import sigint_at_default
from test_cli import _ANSI, _on_a_terminal, _screen_lines

from pieces_os_client.cli import main
from pieces_os_client.testing import LocalPiecesOS, builtin_id

#: A local model LocalPiecesOS has not downloaded yet.
MODEL = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")
NAME = "Llama 3 8B Instruct (CPU)"
CLOUD = builtin_id("gpt-4o")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and ptys")


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PIECES_OS_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _child(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pieces_os_client", *argv],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _model(server: LocalPiecesOS, model_id: str = MODEL) -> object:
    return next(m for m in server.models() if m.id == model_id)


def _posts(server: LocalPiecesOS, suffix: str) -> List[str]:
    return [r.path for r in server.requests if r.method == "POST" and r.path.endswith(suffix)]


# --- the displays -----------------------------------------------------------------------------
def test_piped_a_line_per_tenth_of_the_way_then_the_result(server: LocalPiecesOS) -> None:
    # 20 messages in about 0.5 s: far enough apart (> 20 ms) for each to give a rate
    server.set_download_pace(interval=0.025, step=5.0)
    result = _child("models", "download", MODEL, "--url", server.url)
    assert (result.returncode, result.stderr) == (0, "")
    *progress, verdict = result.stdout.splitlines()
    assert progress[0] == f"{NAME}: 0% · 0 B / 5.7 GB · ETA unknown (INITIALIZED)"
    assert progress[-1] == f"{NAME}: 100% · 5.7 GB (COMPLETED)"
    # Bytes done of the size while it runs, then the speed and time left once known.
    running = re.compile(
        rf"{re.escape(NAME)}: \d+% · [\d.]+ [KMG]?B / 5\.7 GB · "
        r"([\d.]+ [KMG]?B/s · \d+ s left|ETA unknown) \(IN-PROGRESS\)"
    )
    assert all(running.fullmatch(line) for line in progress[1:-1]), progress
    shown = [int(re.search(r": (\d+)%", line)[1]) for line in progress]  # type: ignore[index]
    assert shown == sorted(shown)
    assert 11 <= len(progress) <= 13  # 0, 1 (IN-PROGRESS), each ten, 100: not one per message
    # An ETA once the client has seen the rate (a loaded machine may bunch the first messages).
    assert all("left" in line or "ETA unknown" in line for line in progress[1:-1])
    assert "left" in progress[-2]
    assert re.fullmatch(rf"downloaded model {MODEL} \({re.escape(NAME)}\) in \d+ s", verdict)
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert _model(server).downloaded is True  # type: ignore[attr-defined]


def test_json_lines_one_object_per_event(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.025, step=10.0)
    result = _child("models", "download", MODEL, "--json", "--url", server.url)
    assert result.returncode == 0
    events = [json.loads(line) for line in result.stdout.splitlines()]
    keys = {"model_id", "name", "status", "percentage", "done_bytes", "total_bytes", "speed"}
    keys |= {"eta", "final", "error"}
    assert all(set(event) == keys for event in events)
    assert {(event["model_id"], event["name"]) for event in events} == {(MODEL, NAME)}
    assert [event["final"] for event in events] == [False] * 10 + [True]
    assert {event["total_bytes"] for event in events} == {5_670_000_000}
    assert [event["done_bytes"] for event in events] == [
        5_670_000_000 * p // 100 for p in range(0, 101, 10)
    ]
    speeds = [event["speed"] for event in events[1:-1]]
    assert all(speed is None or (isinstance(speed, int) and speed > 0) for speed in speeds)
    assert isinstance(speeds[-1], int) and events[-1]["speed"] is None
    assert [event["status"] for event in events] == (
        ["INITIALIZED"] + ["IN-PROGRESS"] * 9 + ["COMPLETED"]
    )
    assert [event["percentage"] for event in events] == [float(p) for p in range(0, 101, 10)]
    assert events[0]["eta"] is None and events[-1]["eta"] == 0
    etas = [event["eta"] for event in events[1:-1]]
    assert all(eta is None or (isinstance(eta, float) and eta >= 0) for eta in etas)
    assert isinstance(etas[-1], float)  # known by the end
    # stdout is JSON only: the verdict is on stderr.
    assert result.stderr.startswith(f"downloaded model {MODEL} ({NAME})")


@posix_only
def test_ctrl_c_cancels_the_download_on_the_server_and_exits_130(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.05, step=1.0)  # 5 s: far longer than the test
    argv = ["models", "download", MODEL, "--json", "--url", server.url]
    child = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=sigint_at_default,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        while True:  # wait until the download runs
            ready, _, _ = select.select([child.stdout], [], [], 20)
            assert ready, "no progress within 20 s"
            if json.loads(child.stdout.readline())["status"] == "IN-PROGRESS":
                break
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=20)
        err = child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert code == 130
    assert err.startswith(f"canceled: asked Pieces OS to cancel the download of model {MODEL}")
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert _posts(server, f"/model/{MODEL}/download/cancel")
    model = _model(server)
    assert model.downloading is False and model.downloaded is False  # type: ignore[attr-defined]


def test_a_failed_download_exits_1_naming_the_failure(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.005, step=10.0)
    server.script_download(MODEL, fail_at=30)
    result = _child("models", "download", MODEL, "--url", server.url)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == f"{NAME}: 30% · 1.7 GB / 5.7 GB (FAILED)"
    assert result.stderr == (
        f"error: the download of model {MODEL} ({NAME}) failed at 30%: Pieces OS reported FAILED\n"
    )
    assert _model(server).downloaded is False  # type: ignore[attr-defined]


@posix_only
def test_on_a_terminal_a_bar_with_percentage_and_time_left(server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.01, step=5.0)
    code, output = _on_a_terminal(["models", "download", MODEL, "--url", server.url], 80)
    assert code == 0, output
    lines = _screen_lines(output)
    bar = next(line for line in lines if line.startswith(NAME))
    assert "━" in bar and bar.rstrip().endswith("100% 5.7 GB") and len(bar) <= 80
    # Bytes done of the size, the speed and the time left, while it ran.
    shown = _ANSI.sub("", output)
    assert re.search(r"\d+% [\d.]+ [KMG]?B / 5\.7 GB · [\d.]+ [KMG]?B/s · \d+ s left", shown)
    assert lines[-1].startswith(f"downloaded model {MODEL}")


@posix_only
def test_on_a_terminal_without_rich_a_one_line_bar(server: LocalPiecesOS, tmp_path: Path) -> None:
    (tmp_path / "rich").mkdir()  # a package that cannot be imported hides the installed rich
    (tmp_path / "rich" / "__init__.py").write_text("raise ImportError('hidden for the test')\n")
    server.set_download_pace(interval=0.01, step=5.0)
    code, output = _on_a_terminal(
        ["models", "download", MODEL, "--url", server.url], 80, PYTHONPATH=str(tmp_path)
    )
    assert code == 0, output
    assert output.count("\r\x1b[K") >= 2  # redrawn in place
    lines = _screen_lines(output)
    drawn = re.fullmatch(r"(.+?) \[#{8,30}\] 100% 5\.7 GB", lines[-2])
    assert drawn is not None, lines[-2]
    name = drawn.group(1)  # cut to the room left by the figures, when it must be
    assert name == NAME or (name.endswith("…") and NAME.startswith(name[:-1]) and len(name) > 20)
    assert re.search(r"\d+% [\d.]+ [KMG]?B / 5\.7 GB · [\d.]+ [KMG]?B/s · \d+ s left", output)
    assert len(lines[-2]) < 80  # the last column is left free: no wrap
    assert lines[-1].startswith(f"downloaded model {MODEL}")


# --- download: the other endings (in-process) -------------------------------------------------
def test_a_stalled_download_is_canceled_and_exits_1(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    server.set_download_pace(interval=0.005, step=10.0)
    server.script_download(MODEL, stall_at=20)
    code, _, err = run(
        capsys, "--url", server.url, "models", "download", MODEL, "--stall-timeout", "0.3"
    )
    assert code == 1
    assert err.startswith(
        f"error: the download of model {MODEL} ({NAME}) stalled at 10%: "
    )  # its last message
    assert "no progress for 0.3 s" in err and "--stall-timeout" in err
    assert _posts(server, f"/model/{MODEL}/download/cancel")


def test_load_after_the_download(capsys: pytest.CaptureFixture[str], server: LocalPiecesOS) -> None:
    server.set_download_pace(interval=0.005, step=25.0)
    code, out, err = run(capsys, "--url", server.url, "models", "download", MODEL, "--load")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].endswith(" and loaded it")
    assert _model(server).loaded is True  # type: ignore[attr-defined]


def test_an_already_downloaded_model_is_not_downloaded_again(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    downloaded = builtin_id("phi-3-mini-4k-instruct")
    assert _model(server, downloaded).downloaded is True  # type: ignore[attr-defined]
    code, out, err = run(capsys, "--url", server.url, "models", "download", downloaded)
    assert (code, err) == (0, "")
    assert (
        out == f"model {downloaded} (Phi-3 Mini 4K Instruct) is already downloaded; nothing to do\n"
    )
    assert _posts(server, "/download") == []
    code, out, err = run(capsys, "--url", server.url, "models", "download", downloaded, "--json")
    assert json.loads(out) == {
        "model_id": downloaded,
        "name": "Phi-3 Mini 4K Instruct",
        "status": "COMPLETED",
        "percentage": 100.0,
        "done_bytes": 2_390_000_000,
        "total_bytes": 2_390_000_000,
        "speed": None,
        "eta": 0.0,
        "final": True,
        "error": None,
    }
    assert "already downloaded" in err


def test_a_cloud_model_cannot_be_downloaded(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", "download", CLOUD)
    assert code == 1 and out == ""
    assert err.startswith("error: 500 ") and "runs in the cloud" in err


# --- show, load, unload ID ---------------------------------------------------------------------
def test_show_prints_the_model_as_fields_or_json(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", "show", MODEL)
    assert (code, err) == (0, "")
    assert [line.split(None, 1) for line in out.splitlines()[:2]] == [["id", MODEL], ["name", NAME]]
    code, out, err = run(capsys, "--url", server.url, "models", "show", MODEL, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["id"] == MODEL and json.loads(out)["name"] == NAME


@pytest.mark.parametrize("action", ["show", "download", "load", "unload"])
def test_an_unknown_model_is_exit_1_with_what_to_try_and_sends_nothing_else(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, action: str
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", action, "no-such-model")
    assert code == 1 and out == ""
    assert err == (
        "error: no model has the id, unique slug or name 'no-such-model', and no id starts "
        "with it; `pieces-os-models models list` lists all 20\n"
    )
    assert [r.path for r in server.requests] == ["/models"]  # looked up; nothing else sent


@pytest.mark.parametrize("action", ["show", "download", "load", "unload"])
def test_an_empty_id_is_a_usage_error_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, action: str
) -> None:
    code, _, err = run(capsys, "--url", server.url, "models", action, "")
    assert code == 2 and err.startswith("error: ")
    assert server.requests == []


def test_load_then_unload_one_model(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, err = run(capsys, "--url", server.url, "models", "load", MODEL)
    assert code == 1 and out == ""  # not downloaded yet: Pieces OS refuses, and says why
    assert err.startswith("error: 500 ") and "not downloaded" in err

    downloaded = builtin_id("phi-3-mini-4k-instruct")
    code, out, err = run(capsys, "--url", server.url, "models", "load", downloaded)
    assert (code, err, out) == (0, "", f"loaded model {downloaded} (Phi-3 Mini 4K Instruct)\n")
    assert _model(server, downloaded).loaded is True  # type: ignore[attr-defined]

    code, out, err = run(capsys, "--url", server.url, "models", "unload", downloaded)
    assert (code, err, out) == (0, "", f"unloaded model {downloaded} (Phi-3 Mini 4K Instruct)\n")
    assert _model(server, downloaded).loaded is False  # type: ignore[attr-defined]
    assert [r.path for r in server.requests if r.method == "POST"] == [
        f"/model/{MODEL}/load",
        f"/model/{downloaded}/load",
        f"/model/{downloaded}/unload",
    ]


def test_unload_without_an_id_still_unloads_every_model(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS
) -> None:
    code, out, _ = run(capsys, "--url", server.url, "models", "unload")
    assert (code, out) == (0, "unloaded every model\n")
    assert [r.path for r in server.requests] == ["/models/unload"]
