"""Ctrl-C during ``ModelApi.download()`` in a Python script: the download is canceled on
Pieces OS, one line says so (a WARNING of the ``pieces_os_client`` logger: on stderr when the
script left logging alone, through the script's own handlers when it set them up), and the
``KeyboardInterrupt`` still propagates with a traceback that ends in the SDK's frame.

Each case runs the script as a child process and interrupts it with a real SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import List, Tuple

import pytest
from _children import sigint_at_default

from pieces_os_client.testing import LocalPiecesOS, builtin_id

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")

MODEL = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")
NAME = "Llama 3 8B Instruct (CPU)"

SCRIPT = """
import logging, sys
from pieces_os_client import ApiClient, Configuration, ModelApi
if sys.argv[3] == "logging":
    logging.basicConfig(format="app log: %(levelname)s %(message)s")
def show(event):
    print(event.percentage, flush=True)
with ApiClient(Configuration(host=sys.argv[1])) as api_client:
    try:
        ModelApi(api_client).download(sys.argv[2], on_progress=show)
    except KeyboardInterrupt:
        if sys.argv[3] != "catch":
            raise
        print("caught", flush=True)
"""


def interrupted(server: LocalPiecesOS, mode: str) -> Tuple[int, str, str]:
    """Run SCRIPT until its download reported progress twice, then SIGINT it."""
    server.set_download_pace(interval=0.05, step=0.5)  # 10 s: far longer than the test
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT, server.url, MODEL, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=sigint_at_default,
    ) as child:
        try:
            assert child.stdout is not None
            for _ in range(2):  # the download runs and is followed
                if not child.stdout.readline().strip():
                    pytest.fail(f"the child printed no progress: {child.communicate()[1]}")
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=20)
        finally:
            if child.poll() is None:
                child.kill()
    return child.returncode, out, err


def _canceled(server: LocalPiecesOS) -> List[str]:
    return [r.path for r in server.requests if r.path.endswith(f"/model/{MODEL}/download/cancel")]


def test_ctrl_c_says_the_download_was_canceled_and_the_traceback_ends_in_the_sdk(
    server: LocalPiecesOS,
) -> None:
    code, _, err = interrupted(server, "plain")
    assert code == -signal.SIGINT, err
    lines = err.splitlines()
    said = [line for line in lines if "canceled on Pieces OS" in line]
    assert len(said) == 1, err
    assert said[0].startswith(f"interrupted: the download of model {MODEL} ({NAME}) was canceled")
    assert said[0].split(" at ")[-1].rstrip("%").isdigit()
    # The traceback: the script's line, then download()'s, then the exception; nothing of
    # the WebSocket library or the SDK's internals.
    assert lines[-1] == "KeyboardInterrupt"
    frames = [line for line in lines if line.lstrip().startswith("File ")]
    assert len(frames) == 2, err
    assert frames[-1].strip().startswith("File ") and "pieces_os_client" in frames[-1]
    assert "in download" in frames[-1]
    assert "websockets" not in err and "During handling" not in err
    # Python 3.11+ underlines the expression of each frame with ^ and ~: not lines of their own.
    shown = [line for line in lines if line.strip(" ^~")]
    assert len(shown) <= 8, err  # was 22 to 25 lines
    assert _canceled(server)
    model = next(m for m in server.models() if m.id == MODEL)
    assert (model.downloading, model.downloaded) == (False, False)


def test_with_logging_set_up_the_line_goes_through_the_applications_handlers(
    server: LocalPiecesOS,
) -> None:
    code, _, err = interrupted(server, "logging")
    assert code == -signal.SIGINT, err
    said = [line for line in err.splitlines() if "canceled on Pieces OS" in line]
    assert len(said) == 1 and said[0].startswith("app log: WARNING interrupted: the download")


def test_the_keyboard_interrupt_can_still_be_caught(server: LocalPiecesOS) -> None:
    code, out, err = interrupted(server, "catch")
    assert code == 0, err
    assert out.splitlines()[-1] == "caught"
    assert "canceled on Pieces OS" in err and "Traceback" not in err
    assert _canceled(server)
