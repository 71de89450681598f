"""In a real Jupyter kernel, a download refused before it started shows one line (the error's
first line), never a failed bar at 0%. See test_live_notebook.py for how the kernel runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_live_notebook import CELL_TIMEOUT, _notebook, _RecordingClient
from test_notebook import STARTUP_TIMEOUT, _kernel_name

from pieces_os_client.testing import LocalPiecesOS, builtin_id

GPT_4O = builtin_id("gpt-4o")
MISTRAL = builtin_id("mistral-7b-instruct-v0.3")


def test_a_refused_download_in_a_kernel_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalPiecesOS() as server:
        server.deny(MISTRAL)
        monkeypatch.setenv("PIECES_OS_URL", server.url)  # the kernel inherits it
        monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        notebook = _notebook(
            [
                "from pieces_os_client import ModelApi, ModelDownloadDenied, ModelNotFoundError\n"
                "from pieces_os_client import ServiceException",
                "try:\n    ModelApi().download('gpt-4o')\n"
                "except ServiceException:\n    print('refused')",
                "try:\n    ModelApi().download('mistrel 7b')\n"
                "except ModelNotFoundError:\n    print('unknown')",
                "try:\n    ModelApi().download('Mistral 7B Instruct')\n"
                "except ModelDownloadDenied:\n    print('denied')",
            ]
        )
        client = _RecordingClient(
            notebook,
            timeout=CELL_TIMEOUT,
            startup_timeout=STARTUP_TIMEOUT,
            kernel_name=_kernel_name(tmp_path, monkeypatch),
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
        cells = notebook.cells
        stdout = ["".join(o.get("text", "") for o in cell.outputs) for cell in cells]
        assert stdout[1:] == ["refused\n", "unknown\n", "denied\n"]
        lines = []
        for index in (1, 2, 3):
            (message,) = client.displays[index]  # shown once, never updated: no bar
            assert message["msg_type"] == "display_data"
            data = message["content"]["data"]
            assert "progressbar" not in data["text/html"] and "0%" not in data["text/plain"]
            lines.append(data["text/plain"])
        assert lines[0] == (
            f"Download of gpt-4o did not start: 500 Internal Server Error: model '{GPT_4O}' "
            f"(GPT-4o) runs in the cloud; there is nothing to download "
            f"(POST /model/{GPT_4O}/download)"
        )
        assert lines[1].startswith("Download of mistrel 7b did not start: no model has the id")
        assert "did you mean Mistral 7B Instruct" in lines[1]
        assert lines[2].startswith(
            f"Download of Mistral 7B Instruct did not start: model {MISTRAL} "
            "(Mistral 7B Instruct) is denied on this Pieces OS"
        )
        assert not any(r.method == "POST" and MISTRAL in r.path for r in server.requests)
