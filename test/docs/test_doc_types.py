"""Every fenced ```python block in README.md and docs/**/*.md type-checks under ``mypy --strict``.

Users copy the examples into projects checked by mypy or pyright (Pylance in VS Code), so an
example that only runs is not enough: ``type="BALANCED"`` where a ``ModelTypeEnum`` is declared
runs, but fails the user's type check. Each block becomes a module of its own, padded with blank
lines so that mypy's line numbers are those of the Markdown file, and one mypy run checks them
all with the project's configuration (pyproject.toml: strict, the pydantic plugin).

pyright is checked by hand (it fetches its Node.js package on first use, so it is not a unit
test): ``nox -s doc_types_pyright``, which writes the same modules with
``python test/docs/test_doc_types.py DIR`` and runs ``pyright`` in strict mode on them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

# Run as a script (nox -s doc_types_pyright), the shared helpers in test/ are not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_doc_examples import EXAMPLES, ROOT, Block

#: Seconds the one mypy run may take (a cold cache checks pydantic, urllib3 and aiohttp too).
MYPY_TIME_LIMIT = 600


def module_name(block: Block) -> str:
    """``README.md:37`` -> ``README_md_L37``: a file name mypy accepts as a module."""
    return re.sub(r"\W", "_", block.path) + f"_L{block.line}"


def write_modules(directory: Path) -> Dict[str, Block]:
    """One ``.py`` file per example in ``directory``; file name -> the example it holds."""
    directory.mkdir(parents=True, exist_ok=True)
    written: Dict[str, Block] = {}
    for block in EXAMPLES:
        name = module_name(block) + ".py"
        # Blank lines in front keep the Markdown line numbers in mypy's messages.
        (directory / name).write_text("\n" * block.line + block.code, encoding="utf-8")
        written[name] = block
    return written


def _errors(output: str, written: Dict[str, Block]) -> List[str]:
    """mypy's error lines, each pointing at the Markdown page and line."""
    found = []
    for line in output.splitlines():
        match = re.match(r"^(?:.*[/\\])?(?P<file>[^/\\:]+\.py):(?P<rest>\d+: error: .*)$", line)
        if match and match["file"] in written:
            found.append(f"{written[match['file']].path}:{match['rest']}")
    return found


def test_every_docs_example_passes_mypy_strict(tmp_path: Path) -> None:
    written = write_modules(tmp_path / "examples")
    assert written, "no examples found: is test_doc_examples looking in the right place?"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--no-error-summary",
            # As for a user: the SDK's own modules are read for their types, not re-checked
            # (with the lowest dependency versions, the SDK's internals do not pass mypy).
            "--follow-imports=silent",
            "--hide-error-context",
            *sorted(str(tmp_path / "examples" / name) for name in written),
        ],
        cwd=ROOT,  # mypy finds pieces_os_client here, also when it is installed editable
        capture_output=True,
        text=True,
        timeout=MYPY_TIME_LIMIT,
    )
    errors = _errors(result.stdout, written)
    assert errors == [], "\n".join(errors)
    # Anything else mypy says (a crash, a bad configuration) must not pass as "no errors".
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_type_error_in_an_example_is_reported_at_its_markdown_line(tmp_path: Path) -> None:
    written = {"docs_bad_md_L4.py": Block("docs/bad.md", 4, "python", "")}
    output = f"{tmp_path}/examples/docs_bad_md_L4.py:6: error: Incompatible types  [assignment]\n"
    assert _errors(output, written) == ["docs/bad.md:6: error: Incompatible types  [assignment]"]


def test_module_names_are_unique_and_importable() -> None:
    names = [module_name(block) for block in EXAMPLES]
    assert len(set(names)) == len(names)
    assert all(name.isidentifier() for name in names)


if __name__ == "__main__":  # used by ``nox -s doc_types_pyright``
    target = Path(sys.argv[1])
    print(f"{len(write_modules(target))} examples written to {target}")
