"""``download()`` in a real Jupyter kernel shows a live bar that updates in place.

A notebook is executed cell by cell with nbclient, in an ipykernel the test starts, against a
LocalPiecesOS on 127.0.0.1. Every message the kernel sends is recorded, so the test sees the
bar appear once (``display_data`` with a display id) and then change in place
(``update_display_data`` with the same id), as a front end would; the saved notebook keeps
the bar's final state. Starting a kernel takes seconds: noxfile.py runs this module in one
session only (see ``_LIVE_NOTEBOOK`` there).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import NotebookNode
from test_notebook import STARTUP_TIMEOUT, _kernel_name

from pieces_os_client.testing import LocalPiecesOS

CELL_TIMEOUT = 30
_PERCENT = re.compile(r"(\d+)%")


class _RecordingClient(NotebookClient):  # type: ignore[misc]
    """Runs the notebook as nbclient does, keeping each display message per cell."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.displays: Dict[int, List[Dict[str, Any]]] = {}

    def process_message(
        self, msg: Dict[str, Any], cell: NotebookNode, cell_index: int
    ) -> Optional[NotebookNode]:
        if msg["msg_type"] in ("display_data", "update_display_data"):
            self.displays.setdefault(cell_index, []).append(msg)
        return super().process_message(msg, cell, cell_index)


def _notebook(cells: List[str]) -> NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return notebook


def _display_id(msg: Dict[str, Any]) -> str:
    transient = msg["content"].get("transient") or {}
    display_id = transient.get("display_id")
    assert isinstance(display_id, str) and display_id
    return display_id


def _percentages(messages: List[Dict[str, Any]]) -> List[int]:
    found = []
    for msg in messages:
        match = _PERCENT.search(msg["content"]["data"]["text/plain"])
        assert match is not None, msg["content"]["data"]["text/plain"]
        found.append(int(match[1]))
    return found


def _one_bar(client: _RecordingClient, cell_index: int) -> List[Dict[str, Any]]:
    """The messages of the one bar a cell showed: a first display, then updates of it."""
    messages = client.displays.get(cell_index, [])
    assert messages, f"cell {cell_index} showed no bar"
    first, *updates = messages
    assert first["msg_type"] == "display_data"
    assert updates, "the bar was never updated in place"
    assert {m["msg_type"] for m in updates} == {"update_display_data"}
    assert {_display_id(m) for m in messages} == {_display_id(first)}
    return messages


def _final_output(cell: NotebookNode) -> Dict[str, Any]:
    """The one display a cell kept: nbclient replaces it in place with each update."""
    displays = [o for o in cell.outputs if o["output_type"] == "display_data"]
    assert len(displays) == 1, cell.outputs
    data: Dict[str, Any] = displays[0]["data"]
    return data


def test_download_in_a_kernel_shows_a_bar_that_updates_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalPiecesOS() as server:
        # 100 steps of 1% every 5 ms: a download sends about 100 messages in half a second,
        # of which the bar's throttle (10 updates a second) shows a handful.
        server.set_download_pace(interval=0.005, step=1.0)
        ready = [m.id for m in server.models() if not m.cloud and not m.downloaded]
        names = {m.id: m.name for m in server.models()}
        sizes = {m.id: m.bytes.readable for m in server.models() if m.bytes is not None}
        done, failing, asynchronous, quiet = ready[:4]
        server.script_download(failing, fail_at=30)
        monkeypatch.setenv("PIECES_OS_URL", server.url)  # the kernel inherits it
        monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        notebook = _notebook(
            [
                "from pieces_os_client import ModelApi\n"
                "from pieces_os_client.aio import AsyncModelApi\n"
                "from pieces_os_client.exceptions import ModelDownloadFailed",
                f"model = ModelApi().download({done!r})\nprint(model.downloaded)",
                "try:\n"
                f"    ModelApi().download({failing!r})\n"
                "except ModelDownloadFailed as error:\n"
                "    print('failed as expected')",
                f"model = await AsyncModelApi().download({asynchronous!r})\n"
                "print(model.downloaded)",
                # A callback of your own replaces the bar.
                "seen = []\n"
                f"ModelApi().download({quiet!r}, on_progress=seen.append)\n"
                "print(seen[-1].status)",
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

        # A completed download: the bar climbs in place to 100% and says it is done.
        assert stdout[1] == "True\n"
        messages = _one_bar(client, 1)
        shown = _percentages(messages)
        assert shown == sorted(shown) and shown[-1] == 100
        assert 3 <= len(messages) < 50  # throttled: far fewer updates than messages
        final = _final_output(cells[1])
        assert "Downloaded" in final["text/html"] and "100%" in final["text/html"]
        assert done in final["text/html"]  # the id, as the name's tooltip
        assert final["text/plain"].startswith(f"Downloaded: {names[done]}")
        # While it ran: bytes done of the model's size, the speed, the time left.
        texts = [m["content"]["data"]["text/plain"] for m in messages]
        assert any(f" / {sizes[done]} · " in text and "B/s · " in text for text in texts), texts

        # A failed download: the bar stops where it failed, in its failed state, with why.
        assert stdout[2] == "failed as expected\n"
        _one_bar(client, 2)
        final = _final_output(cells[2])
        assert "Download failed" in final["text/html"] and "30%" in final["text/plain"]

        # The async client shows the same bar.
        assert stdout[3] == "True\n"
        assert _percentages(_one_bar(client, 3))[-1] == 100

        # With on_progress there is no bar.
        assert stdout[4].strip() == "COMPLETED"
        assert 4 not in client.displays
        assert not any(o["output_type"] == "display_data" for o in cells[4].outputs)
