"""Remake the screenshots of ``Models.to_html()`` in docs/images/ (docs/notebooks.md shows them).

    python docs/images/screenshots.py          # needs chromium (apt-get install chromium)

One snapshot of ``LocalPiecesOS``'s catalogue, in three pages, each shot by headless Chromium
in a 1000 x 800 window: no stylesheet at all (a report, a static site), JupyterLab's rules for
rendered HTML tables, and a dark page with VS Code's notebook-output rules. The two
stylesheets are written here after those projects' own; they are what the table must hold up
against: Jupyter right-aligns every cell and lets it wrap, VS Code adds borders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pieces_os_client.models import Models
from pieces_os_client.testing import builtin_catalogue

HERE = Path(__file__).resolve().parent

#: JupyterLab's rules for tables in rendered HTML (``.jp-RenderedHTMLCommon``), light theme.
JUPYTER = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif;
       font-size: 13px; color: rgba(0, 0, 0, 0.87); margin: 16px; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none;
       font-size: 12px; table-layout: fixed; margin-left: auto; margin-right: auto; }
.jp-RenderedHTMLCommon thead { border-bottom: 1px solid #bdbdbd; vertical-align: bottom; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr {
       text-align: right; vertical-align: middle; padding: 0.5em 0.5em; line-height: normal;
       white-space: normal; max-width: none; border: none; }
.jp-RenderedHTMLCommon th { font-weight: bold; }
.jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: #fff; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #f5f5f5; }
"""
#: VS Code's notebook output, dark theme: its fonts, bordered cells, no padding of its own.
VSCODE = """
body { font-family: -apple-system, BlinkMacSystemFont, 'Segoe WPC', 'Segoe UI', system-ui,
       Ubuntu, 'Droid Sans', sans-serif; font-size: 13px; background: #1f1f1f;
       color: #cccccc; margin: 16px; }
table { border-collapse: collapse; border-spacing: 0; }
table, th, td { border: 1px solid rgba(204, 204, 204, 0.2); }
th, td { padding: 0; text-align: right; }
code { font-family: Menlo, Monaco, Consolas, 'Droid Sans Mono', 'Courier New', monospace;
       font-size: 12px; color: #d7ba7d; }
"""


def pages() -> dict[str, str]:
    table = Models(iterable=builtin_catalogue()).to_html()
    head = "<!doctype html><meta charset=utf-8><title>Models.to_html()</title>"
    return {
        "table-plain": f"{head}<body>{table}</body>",
        "table-jupyter": (
            f"{head}<style>{JUPYTER}</style>"
            f"<body><div class='jp-RenderedHTMLCommon'>{table}</div></body>"
        ),
        "table-vscode": f"{head}<style>{VSCODE}</style><body>{table}</body>",
    }


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.stderr.write("needs chromium: apt-get install -y chromium\n")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        for name, page in pages().items():
            source = Path(scratch) / f"{name}.html"
            source.write_text(page, encoding="utf-8")
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    f"--screenshot={HERE / (name + '.png')}",
                    "--window-size=1000,800",
                    source.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            print(HERE / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
