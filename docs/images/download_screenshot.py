"""Remake docs/images/notebook-download.png: the notebook's download bar (docs/notebooks.md).

    python docs/images/download_screenshot.py   # needs chromium (apt-get install chromium)

Three downloads from a ``LocalPiecesOS`` paced like a real one (no real sleeps: the pace only
spaces the messages), each event kept: the bar while one runs, once it completed, and one
that failed at 40%. Each bar is what ``_live.render`` gives the notebook, set in cells drawn
after JupyterLab's, and shot by headless Chromium.
"""

from __future__ import annotations

import contextlib
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List

from pieces_os_client import DownloadEvent, ModelApi
from pieces_os_client._display.notebook_bar import render
from pieces_os_client.exceptions import ModelDownloadFailed
from pieces_os_client.testing import LocalPiecesOS, builtin_id

HERE = Path(__file__).resolve().parent
RUNNING = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")
FAILING = builtin_id("mistral-7b-instruct-v0.3")

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif;
       font-size: 13px; color: rgba(0, 0, 0, 0.87); margin: 24px 16px; width: 820px; }
.note { color: #616161; margin: 14px 0 4px 80px; }
.cell { display: flex; gap: 8px; }
.prompt { width: 72px; color: #307fc1; font-family: monospace; text-align: right;
          padding-top: 6px; }
.input { flex: 1; background: #f5f5f5; border: 1px solid #e0e0e0; padding: 6px 8px;
         font-family: monospace; white-space: pre; }
.output { margin: 10px 0 4px 88px; }
.error { background: #fdd; font-family: monospace; padding: 4px 8px; margin: 6px 0 0 88px; }
"""


def _events(server: LocalPiecesOS, model_id: str) -> List[DownloadEvent]:
    events: List[DownloadEvent] = []
    # The failing one raises: its events stay.
    with server.client() as api_client, contextlib.suppress(ModelDownloadFailed):
        ModelApi(api_client).download(model_id, on_progress=events.append)
    return events


def page() -> str:
    with LocalPiecesOS() as server:
        # 50 messages 50 ms apart: a steady rate, as a real download's.
        server.set_download_pace(interval=0.05, step=2.0)
        ran = _events(server, RUNNING)
        server.script_download(FAILING, fail_at=40)
        failed = _events(server, FAILING)
    midway = next(event for event in ran if event.percentage >= 42)
    call = f"model = ModelApi().download({RUNNING!r})"
    why = f"the download of model {FAILING!r} failed at 40.0% (Pieces OS reported FAILED)"
    cells = [
        (
            "while the download runs: the bar moves in place",
            1,
            call,
            render("running", RUNNING, midway),
            "",
        ),
        ("once it completed", 1, call, render("done", RUNNING, ran[-1]), ""),
        (
            "a download that failed at 40%",
            2,
            f"ModelApi().download({FAILING!r})",
            render("failed", FAILING, failed[-1], why),
            f"ModelDownloadFailed: {why}",
        ),
    ]
    body = "".join(
        f"<div class='note'>{html.escape(note)}</div>"
        f"<div class='cell'><div class='prompt'>In [{number}]:</div>"
        f"<div class='input'>from pieces_os_client import ModelApi\n\n{html.escape(code)}"
        "</div></div>"
        f"<div class='output'>{bundle['text/html']}</div>"
        + (f"<div class='error'>{html.escape(error)}</div>" if error else "")
        for note, number, code, bundle, error in cells
    )
    return f"<!doctype html><meta charset=utf-8><style>{STYLE}</style><body>{body}</body>"


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.stderr.write("needs chromium: apt-get install -y chromium\n")
        return 1
    target = HERE / "notebook-download.png"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "download.html"
        source.write_text(page(), encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--screenshot={target}",
                "--window-size=880,520",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
