"""The test suite on every CPython the package supports, and once on its lowest dependencies.

    nox                    # every session below, in order
    nox -s tests-3.12      # one interpreter
    nox -s lowest          # the lowest versions pyproject.toml allows, on the lowest Python
    nox -s tests-3.9 -- -x test/cli/test_cli.py   # arguments after -- go to pytest
    nox -s doc_types_pyright   # by hand: the docs examples under pyright's strict mode
    nox -s generate        # by hand: rewrite the files the operations table produces

Each session is a fresh virtual environment made by uv, with the package installed from a
built wheel (not editable), so the tests see what ``pip install`` gives a user: package data,
``py.typed``, the console script and the pytest plugin. Interpreters are found on ``PATH``
(``.ci/run`` puts pyenv's there); a missing one is an error, never a silent skip.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - nox itself runs on 3.11+ in CI; tomli is nox's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

#: Every CPython the package supports, lowest first (the classifiers list the same).
PYTHONS = [
    classifier.rsplit(" :: ", 1)[1]
    for classifier in PROJECT["classifiers"]
    if classifier.startswith("Programming Language :: Python :: 3.")
]
#: Every extra pyproject.toml declares (``dev`` brings the test tools), so a new extra is
#: installed and tested without touching this file.
INSTALL_TARGET = ".[{}]".format(",".join(PROJECT["optional-dependencies"]))
#: pytest's arguments when none are given after ``--``: four workers, because most of the
#: suite's time is spent waiting on sockets and backoffs, not computing.
PYTEST_DEFAULTS = ["-q", "-n", "4", "--dist", "worksteal"]
#: The docs examples' mypy run costs half a minute of CPU and its verdict does not depend on
#: the interpreter running it (pyproject.toml fixes mypy's python_version), only on the
#: versions of mypy and the libraries: the README's test command (latest versions) and the
#: "lowest" session (oldest versions) run it; the other interpreters leave it out.
_DOC_TYPES = "test/docs/test_doc_types.py::test_every_docs_example_passes_mypy_strict"
#: The notebook bar's test starts a Jupyter kernel (about 3 s); what it checks (IPython's
#: display messages) does not depend on the interpreter either: run where _DOC_TYPES runs.
_LIVE_NOTEBOOK = "test/display/test_live_notebook.py::test_download_in_a_kernel_shows_a_bar_that_updates_in_place"
#: Ours beside the published SDK in a dozen throwaway venvs (half a minute): what it checks
#: (pip's file handling) is the same on every interpreter, so only the README's test command
#: runs it, on the latest versions.
_COEXIST = "test/install/test_coexist.py"
#: Waits out the default stream_close_timeout (2 s) against a server that never answers; the
#: other close tests use 0.2 s and run everywhere. Run where the docs' mypy run is.
_DEFAULT_CLOSE = (
    "test/runtime/test_stream_close.py::test_by_default_leaving_a_stream_takes_at_most_two_seconds"
)

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests", "lowest"]


def _pytest_args(session: nox.Session, *defaults: str) -> List[str]:
    return list(session.posargs) or [*PYTEST_DEFAULTS, *defaults]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite on one interpreter."""
    session.install(INSTALL_TARGET)
    session.run(
        "pytest",
        *_pytest_args(
            session,
            "--deselect",
            _DOC_TYPES,
            "--deselect",
            _LIVE_NOTEBOOK,
            "--deselect",
            _DEFAULT_CLOSE,
            "--ignore",
            _COEXIST,
        ),
    )


@nox.session(python=PYTHONS[0])
def lowest(session: nox.Session) -> None:
    """The whole suite with the lowest version of every direct dependency pyproject.toml
    allows (runtime and extras alike), on the lowest supported Python."""
    session.install("--resolution=lowest-direct", INSTALL_TARGET)
    session.run("uv", "pip", "freeze", external=True, silent=False)  # what was actually tested
    session.run("pytest", *_pytest_args(session, "--ignore", _COEXIST))
    if not session.posargs:
        # The test tools need a newer rich than the cli extra allows; its lowest is tried here,
        # with the tests that use it.
        session.install(*_lower_bounds("cli"))
        session.run(
            "pytest",
            *PYTEST_DEFAULTS,
            "test/cli/test_cli.py",
            "test/cli/test_cli_watch.py",
            "test/cli/test_cli_download.py::test_on_a_terminal_a_bar_with_percentage_and_time_left",
        )


def _lower_bounds(extra: str) -> List[str]:
    """``name==version`` for every ``name>=version`` requirement of an extra."""
    pins = []
    for requirement in PROJECT["optional-dependencies"][extra]:
        name, _, rest = requirement.partition(">=")
        pins.append(f"{name.strip()}=={rest.split(',')[0].strip()}")
    return pins


@nox.session(python=False)
def generate(session: nox.Session) -> None:
    """Rewrite the files produced from the operations table (``tools/generate.py``); by hand,
    after changing ``pieces_os_client/_core/operations.py`` or adding a model module.
    ``test/core/test_generated.py`` fails while one is stale."""
    session.run(sys.executable, str(ROOT / "tools" / "generate.py"), *session.posargs)


@nox.session(python=PYTHONS[0])
def doc_types_pyright(session: nox.Session) -> None:
    """Every python block of README.md and docs/ under pyright's strict mode (what Pylance
    uses), on the lowest supported Python. Not in the default run: pyright fetches its Node.js
    package from the npm registry the first time. ``test/docs/test_doc_types.py`` does the same
    with mypy --strict in every test run."""
    session.install(INSTALL_TARGET, "pyright")
    target = Path(session.create_tmp()).resolve() / "doc-examples"
    session.run("python", "test/docs/test_doc_types.py", str(target))
    config = {"typeCheckingMode": "strict", "pythonVersion": PYTHONS[0]}
    (target / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    python = Path(session.bin) / "python"
    session.run("pyright", "--pythonpath", str(python), "--project", str(target), str(target))
