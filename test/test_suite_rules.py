"""Rules the suite keeps about itself, checked on its own source."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List

HERE = Path(__file__).resolve().parent


def test_every_child_process_starts_with_sigint_at_its_default() -> None:
    # Started with SIGINT ignored (a background job, nohup), the suite passes that on to every
    # child: one that a test interrupts would never see the signal (see _children.py).
    missing: List[str] = []
    for path in sorted(HERE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "Popen"
            ):
                given = {keyword.arg: keyword.value for keyword in node.keywords}
                value = given.get("preexec_fn")
                if not (isinstance(value, ast.Name) and value.id == "sigint_at_default"):
                    missing.append(f"{path.relative_to(HERE)}:{node.lineno}")
    assert not missing, "Popen without preexec_fn=sigint_at_default: " + ", ".join(missing)
