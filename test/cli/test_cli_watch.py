"""``pieces-os-models models watch``: a line per change, JSON lines with ``--json``, exit 0 on
Ctrl-C and 1 when the connection is lost for good (run as a real child process, as a user
would, against LocalPiecesOS)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from typing import Dict, Iterator, List

import pytest
from _children import sigint_at_default

from pieces_os_client import ModelsApi, SeededModel
from pieces_os_client.testing import LocalPiecesOS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX")

SEED = {
    "name": "watched-llm",
    "version": "1.0",
    "cloud": False,
    "type": "BALANCED",
    "usage": "CODE_CONVERSATION",
    "created": {"value": "2024-05-01T12:00:00Z"},
}


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("PIECES_OS_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Watch:
    """``python -m pieces_os_client models watch ...`` in a child process."""

    def __init__(self, *argv: str) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "pieces_os_client", "models", "watch", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            preexec_fn=sigint_at_default,
        )

    def line(self) -> str:
        assert self.child.stdout is not None
        ready, _, _ = select.select([self.child.stdout], [], [], 20)
        assert ready, "watch printed nothing within 20 s"
        return self.child.stdout.readline()

    def finish(self) -> List[str]:
        """Wait for the exit; return [exit status, stderr]."""
        try:
            code = self.child.wait(timeout=20)
            assert self.child.stderr is not None
            return [str(code), self.child.stderr.read()]
        finally:
            self.close()

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
            self.child.wait(timeout=10)
        for stream in (self.child.stdout, self.child.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def local() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS() as server:
        yield server


def test_watch_prints_a_line_per_change_and_exits_0_on_ctrl_c(local: LocalPiecesOS) -> None:
    watch = Watch("--url", local.url)
    try:
        assert f"watching {len(local.models())} models" in watch.line()
        with local.client() as api_client:
            created = ModelsApi(api_client).models_create_new_model(SeededModel.from_dict(SEED))
            assert f"added watched-llm ({created.id})" in watch.line()
            ModelsApi(api_client).models_delete_specific_model(created.id)
            assert f"removed watched-llm ({created.id})" in watch.line()
        watch.child.send_signal(signal.SIGINT)
        code, err = watch.finish()
        assert code == "0" and "Traceback" not in err
    finally:
        watch.close()


def test_watch_json_lines(local: LocalPiecesOS) -> None:
    watch = Watch("--json", "--url", local.url)
    try:
        first = json.loads(watch.line())
        assert first["initial"] is True and len(first["added"]) == first["models"]
        with local.client() as api_client:
            created = ModelsApi(api_client).models_create_new_model(SeededModel.from_dict(SEED))
        change = json.loads(watch.line())
        assert change == {
            "initial": False,
            "added": [created.id],
            "updated": [],
            "removed": [],
            "models": first["models"] + 1,
        }
        watch.child.send_signal(signal.SIGINT)
        assert watch.finish()[0] == "0"
    finally:
        watch.close()


def test_watch_exits_1_when_the_connection_is_lost_for_good() -> None:
    local = LocalPiecesOS().start()
    watch = Watch("--json", "--retries", "1", "--url", local.url)
    try:
        assert json.loads(watch.line())["initial"] is True
        local.stop()  # Pieces OS went away and does not come back
        code, err = watch.finish()
        assert code == "1"
        assert err.startswith("error: cannot reach") and len(err.splitlines()) == 1
    finally:
        watch.close()
        local.stop()
