"""The generated files are what ``tools/generate.py`` writes from the operations table.

Change ``pieces_os_client/_core/operations.py`` (or add a model module), then run
``nox -s generate``; this test names any file left stale.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_generate", ROOT / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_generate", module)
    spec.loader.exec_module(module)
    return module


def test_no_generated_file_is_stale() -> None:
    generate = _generator()
    stale = [str(path.relative_to(ROOT)) for path in generate.stale()]
    assert stale == [], "stale generated files; run `nox -s generate`: " + ", ".join(stale)


def test_a_changed_table_makes_the_check_fail(tmp_path: Path) -> None:
    generate = _generator()
    files = generate.outputs()
    api_file = ROOT / "pieces_os_client" / "api" / "models_api.py"
    files[api_file] = files[api_file].replace("def models_snapshot(", "def models_snapshot_(")
    assert generate.stale(files) == [api_file]
