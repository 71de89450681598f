"""``examples/models.ipynb`` runs top to bottom in a real Jupyter kernel against LocalPiecesOS."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import nbformat
import pytest
from nbclient import NotebookClient

from pieces_os_client.testing import LocalPiecesOS

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "models.ipynb"
#: Seconds any one cell may run; the kernel's start-up has its own limit.
CELL_TIMEOUT = 60
STARTUP_TIMEOUT = 60


class _Rows(HTMLParser):
    """Counts tables and collects the ids (the text of each ``<code>`` in a cell)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.ids: List[str] = []
        self._code: Optional[List[str]] = None

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        if tag == "table":
            self.tables += 1
        elif tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._code is not None:
            self.ids.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)


def _row_ids(markup: str) -> List[str]:
    parser = _Rows()
    parser.feed(markup)
    parser.close()
    assert parser.tables == 1
    return parser.ids


def _kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``python3`` when Jupyter can find it; otherwise install ipykernel's spec (pointing at
    this interpreter) into a scratch Jupyter path for this test only."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(prefix=str(tmp_path / "jupyter"), kernel_name="python3")
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    return "python3"


def test_the_example_notebook_runs_top_to_bottom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    with LocalPiecesOS() as server:
        # The kernel is a child process: it inherits this environment.
        monkeypatch.setenv("PIECES_OS_URL", server.url)
        monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT,
            startup_timeout=STARTUP_TIMEOUT,
            kernel_name=_kernel_name(tmp_path, monkeypatch),
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()  # raises CellExecutionError on the first failing cell

        code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
        outputs = [output for cell in code_cells for output in cell.get("outputs", [])]
        assert not [output for output in outputs if output.get("output_type") == "error"]
        assert all(cell.get("execution_count") for cell in code_cells)

        # The first cell found the server through discover().
        assert _plain(code_cells[0]) == repr(server.url)

        # The snapshot is shown as an HTML table with a row per model, ids copyable.
        models = server.models()
        assert _row_ids(_html(code_cells[1])) == [m.id for m in models]
        # A slice is a table too.
        assert _row_ids(_html(code_cells[2])) == [m.id for m in models[:3]]
        # print(snapshot): a count line, a header, a line per model.
        printed = "".join(o["text"] for o in code_cells[3]["outputs"] if o.get("name") == "stdout")
        assert printed.splitlines()[0].startswith(f"Models: {len(models)} models: ")
        assert len(printed.splitlines()) == 2 + len(models)
        # Filters give tables.
        local_loaded = [m.id for m in models if not m.cloud and m.loaded]
        assert _row_ids(_html(code_cells[4])) == local_loaded
        # One model is a field/value table, id first.
        assert _row_ids(_html(code_cells[6])) == [models[0].id]

        # The custom model was created, then deleted: the server is back to its catalogue.
        created = [r for r in server.requests if r.path == "/models/create"]
        deleted = [r for r in server.requests if r.path.endswith("/delete")]
        assert len(created) == 1 and len(deleted) == 1
        assert "notebook-demo-llm" not in [m.name for m in server.models()]


def _result(cell: Dict[str, Any]) -> Dict[str, Any]:
    results = [o for o in cell["outputs"] if o["output_type"] == "execute_result"]
    assert len(results) == 1, cell["source"]
    data: Dict[str, Any] = results[0]["data"]
    return data


def _html(cell: Dict[str, Any]) -> str:
    return str(_result(cell)["text/html"])


def _plain(cell: Dict[str, Any]) -> str:
    return str(_result(cell)["text/plain"])
