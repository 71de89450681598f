"""``run.py --published``: this SDK next to the published SDK 5.0.1, measured in one run.

Opt-in, because it needs the network once: it installs ``pieces_os_client==5.0.1`` from PyPI
into a throwaway virtual environment (deleted afterwards) and measures both SDKs the same way,
each in fresh child processes with bytecode already cached:

- import: the seconds ``from ... import ModelsApi, ApiClient, Configuration`` takes inside a
  child (5.0.1's package ``__init__`` imports nothing, so there the names come from their
  modules, as 5.0.1's README shows), and the child's peak RSS after it;
- parse: ``Models.from_json`` of run.py's 1000-model snapshot, the median of several rounds.

In the table the "floor" column holds 5.0.1's figure and the ratio is this SDK's over it.
These rows are information only (no target): they back the figures the README and
docs/migrating.md quote for 5.0.1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any, Dict, List, Tuple

#: The release the README compares with.
PUBLISHED = "pieces_os_client==5.0.1"
OURS_IMPORT = "from pieces_os_client import ModelsApi, ApiClient, Configuration"
PUBLISHED_IMPORT = (
    "from pieces_os_client.api.models_api import ModelsApi; "
    "from pieces_os_client.api_client import ApiClient; "
    "from pieces_os_client.configuration import Configuration"
)
OURS_MODELS = "from pieces_os_client.models import Models"
PUBLISHED_MODELS = "from pieces_os_client.models.models import Models"

# Runs in the child: times the import, then reports its own peak RSS (ru_maxrss).
_IMPORT_CHILD = """
import json, resource, sys, time
started = time.perf_counter()
{statement}
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(json.dumps({{"seconds": seconds, "rss": rss}}))
"""

# Runs in the child: the median seconds of Models.from_json over the snapshot.
_PARSE_CHILD = """
import gc, json, statistics, sys, time
{statement}
text = open(sys.argv[1], encoding="utf-8").read()
Models.from_json(text)  # builds validators on first use
times = []
for _ in range({rounds}):
    gc.disable()
    started = time.perf_counter()
    Models.from_json(text)
    times.append(time.perf_counter() - started)
    gc.enable()
print(json.dumps({{"seconds": statistics.median(times)}}))
"""


def measure(
    rounds: int, snapshot: str
) -> List[Tuple[str, str, List[float], List[float], str, Any]]:
    """Rows for run.py's table: ``(figure, floor label, 5.0.1 samples, our samples, unit,
    target)``. Raises ``RuntimeError`` naming the step that failed (no network...)."""
    workdir = Path(tempfile.mkdtemp(prefix="pieces-bench-published-"))
    try:
        published_python = _install_published(workdir)
        snapshot_file = workdir / "snapshot.json"
        snapshot_file.write_text(snapshot, encoding="utf-8")
        # The published SDK runs from the throwaway folder, so this checkout cannot shadow it.
        published = (published_python, workdir)
        ours = (sys.executable, Path(__file__).resolve().parents[1])
        imports: Dict[str, List[Dict[str, float]]] = {"published": [], "ours": []}
        for python, statement in ((published, PUBLISHED_IMPORT), (ours, OURS_IMPORT)):
            _child(python, _IMPORT_CHILD.format(statement=statement))  # warm-up: .pyc files
        for _ in range(rounds):
            imports["published"].append(
                _child(published, _IMPORT_CHILD.format(statement=PUBLISHED_IMPORT))
            )
            imports["ours"].append(_child(ours, _IMPORT_CHILD.format(statement=OURS_IMPORT)))
        parse_rounds = max(3, rounds // 3)
        parse = {
            name: [
                _child(
                    python,
                    _PARSE_CHILD.format(statement=statement, rounds=parse_rounds),
                    str(snapshot_file),
                )["seconds"]
                for _ in range(3)
            ]
            for name, python, statement in (
                ("published", published, PUBLISHED_MODELS),
                ("ours", ours, OURS_MODELS),
            )
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    label = "published SDK 5.0.1 (PyPI)"
    return [
        (
            "vs 5.0.1: import ModelsApi, ApiClient, Configuration",
            label,
            [run["seconds"] for run in imports["published"]],
            [run["seconds"] for run in imports["ours"]],
            "s",
            None,
        ),
        (
            "vs 5.0.1: peak RSS after that import",
            label,
            [run["rss"] for run in imports["published"]],
            [run["rss"] for run in imports["ours"]],
            "B",
            None,
        ),
        (
            "vs 5.0.1: Models.from_json, 1000 models",
            label,
            parse["published"],
            parse["ours"],
            "s",
            None,
        ),
    ]


def _install_published(workdir: Path) -> Path:
    target = workdir / "venv"
    venv.create(target, with_pip=True)
    python = target / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PUBLISHED],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        raise RuntimeError(f"could not install {PUBLISHED}:\n{installed.stderr[-2000:]}")
    return python


def _child(where: Tuple[Any, Path], code: str, *args: str) -> Dict[str, float]:
    python, cwd = where
    done = subprocess.run([str(python), "-c", code, *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{python} -c ... failed:\n{done.stderr[-2000:]}")
    figures: Dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
