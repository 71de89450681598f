"""Ours beside the published SDK in one environment: what a user sees, in real virtual
environments.

The published SDK (distribution ``pieces_os_client``, 5.0.1; 4.1.0 is what pieces-cli 1.10
pins) installs the same import package as ours (``pieces-os-models``). Each test builds a
throwaway venv, installs both in some order (editable or not), sometimes uninstalls one, and
asserts what ``import pieces_os_client``, the ``pieces-os-models`` command and pytest (through
our plugin) then print, and that the commands the error names repair the environment.

Slow (a wheelhouse and a dozen venvs, about half a minute on 2 cores): only the README's test
command runs this module; noxfile.py deselects it in its sessions. Everything installs offline
from one wheelhouse: our wheel, built once, and the published SDK with every dependency,
downloaded once per run by pip from whatever index pip is configured with; every worker of a
pytest-xdist run shares it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
from test_doc_examples import EXEMPT, INSTALL_BLOCKS, Block, shell_commands

from pieces_os_client._version import __version__

ROOT = Path(__file__).resolve().parents[2]
OURS = f"pieces-os-models {__version__}"
#: What the wheelhouse holds besides our wheel: the published SDKs (and 5.0.1's dependencies),
#: pip (the venvs run the fix commands with it), setuptools (editable builds) and pytest.
DOWNLOADS = [
    "pieces_os_client==5.0.1",
    "pip",
    "setuptools>=77",
    "pytest",
    # The extras the docs' install commands name.
    "aiohttp>=3.13.5,<4",
    "rich>=13.4.0",
    "websockets>=15,<18",
]
#: The first words of each error, as tests match them.
MIXED = "two SDKs share the package pieces_os_client"
DAMAGED = "pieces_os_client is damaged"
#: A test file for pytest runs in the venvs: it needs our plugin's fixture.
USES_FIXTURE = "def test_fixture(local_pieces_os):\n    assert local_pieces_os.url\n"


@dataclass(frozen=True)
class Wheelhouse:
    path: Path
    source: Path  # a copy of the project's package sources, for editable installs


def _run(
    args: List[str], env: Dict[str, str], cwd: Optional[Path] = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=300, env=env, cwd=cwd, check=False
    )


def _offline_env(wheelhouse: Optional[Path] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    if wheelhouse is not None:
        env.update(
            PIP_NO_INDEX="1",
            PIP_FIND_LINKS=str(wheelhouse),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            UV_NO_INDEX="1",
            UV_FIND_LINKS=str(wheelhouse),
        )
    return env


def _copy_sources(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "pieces_os_client",
        target / "pieces_os_client",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return target


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert found, "uv is a dev dependency (pyproject.toml): pip install -e '.[dev]'"
    return found


def _build(target: Path) -> None:
    target.mkdir(parents=True)
    download = [sys.executable, "-m", "pip", "download", "-q", "-d", str(target), *DOWNLOADS]
    downloaded = _run(download, _offline_env())
    assert downloaded.returncode == 0, downloaded.stderr
    published_4 = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(target)]
    downloaded = _run([*published_4, "pieces_os_client==4.1.0"], _offline_env())
    assert downloaded.returncode == 0, downloaded.stderr
    sources = _copy_sources(target.parent / "sources")
    built = _run(
        [_uv(), "build", "-q", "--wheel", "--out-dir", str(target), str(sources)],
        _offline_env(target),
    )
    assert built.returncode == 0, built.stderr


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    base = tmp_path_factory.getbasetemp()
    # Under xdist the parent of each worker's basetemp belongs to this run alone.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    with open(shared / "coexist.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = shared / "coexist" / "wheels"
        if not (path / ".complete").exists():
            shutil.rmtree(path.parent, ignore_errors=True)
            _build(path)
            (path / ".complete").touch()
    return Wheelhouse(path, path.parent / "sources")


class Venv:
    """A throwaway environment; installs come from the wheelhouse only."""

    def __init__(self, root: Path, wheelhouse: Wheelhouse) -> None:
        self.root = root
        self.wheelhouse = wheelhouse
        self.env = _offline_env(wheelhouse.path)
        self.env["PATH"] = f"{root / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        made = _run(
            [_uv(), "venv", "-q", "--seed", str(root), "--python", sys.executable], self.env
        )
        assert made.returncode == 0, made.stderr
        self.python = str(root / "bin" / "python")
        (root / "test_uses_fixture.py").write_text(USES_FIXTURE, encoding="utf-8")

    @property
    def site_packages(self) -> Path:
        return next((self.root / "lib").glob("python3.*/site-packages"))

    def uv(self, *args: str) -> None:
        done = _run([_uv(), "pip", *args, "-q", "--python", self.python], self.env)
        assert done.returncode == 0, done.stderr

    def install_ours(self, *extra: str) -> None:
        # --refresh-package: uv's cache keys a local wheel by its name, and ours is rebuilt.
        self.uv("install", "--refresh-package", "pieces-os-models", "pieces-os-models", *extra)

    def install_published(self, version: str = "5.0.1") -> None:
        self.uv(
            "install",
            *(["--no-deps"] if version != "5.0.1" else []),
            f"pieces_os_client=={version}",
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run(list(args), self.env, cwd=self.root)

    def python_c(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-c", code)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.root / "bin" / "pieces-os-models"), *args)

    def pytest(self) -> subprocess.CompletedProcess[str]:
        return self.run(
            self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_uses_fixture.py"
        )

    def shell(self, command: str) -> subprocess.CompletedProcess[str]:
        return _run(["bash", "-c", command], self.env, cwd=self.root)


@pytest.fixture
def venv(tmp_path: Path, wheelhouse: Wheelhouse) -> Iterator[Venv]:
    yield Venv(tmp_path / "venv", wheelhouse)


def _fix_commands(message: str) -> Dict[str, str]:
    """The commands the error names: ``{"this SDK": ..., "the published SDK": ...}``."""
    commands = {}
    for line in message.splitlines():
        label, colon, command = line.strip().partition(": ")
        if colon and label in ("this SDK", "the published SDK"):
            commands[label] = command.strip()
    assert set(commands) == {"this SDK", "the published SDK"}, message
    return commands


def _assert_clean_cli_error(done: subprocess.CompletedProcess[str], first_words: str) -> str:
    """The console script failed with one clear message: no traceback, exit status 1."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {first_words}"), done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def _assert_pytest_usage_error(done: subprocess.CompletedProcess[str], first_words: str) -> None:
    """pytest stopped at start-up (our plugin) with one ``ERROR:`` message: exit status 4."""
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert done.stderr.startswith(f"ERROR: {first_words}"), done.stderr
    assert "Traceback" not in done.stderr


def _assert_names_both(message: str, published: str, venv: Venv) -> None:
    assert OURS in message and f"pieces_os_client {published}" in message
    commands = _fix_commands(message)
    clean = f"{venv.python} -m pip uninstall -y pieces_os_client pieces-os-models && "
    assert commands["this SDK"].startswith(clean)
    assert (
        commands["the published SDK"]
        == f"{clean}{venv.python} -m pip install pieces_os_client=={published}"
    )


def _assert_ours_works(venv: Venv) -> None:
    assert venv.cli("--version").stdout.strip() == OURS
    imported = venv.python_c("import pieces_os_client as p; p.Configuration; print(p.__version__)")
    assert imported.stdout.strip() == __version__, imported.stderr
    passed = venv.pytest()
    assert passed.returncode == 0, passed.stdout + passed.stderr


def _assert_published_works(venv: Venv) -> None:
    done = venv.python_c(
        "import pieces_os_client as p\n"
        "from pieces_os_client.api.models_api import ModelsApi\n"
        "from pieces_os_client.wrapper import PiecesClient\n"
        "print(p.__version__)"
    )
    assert done.stdout.strip() == "5.0.1", done.stderr


# --- the install commands the docs show ---------------------------------------------------------
_LOCAL_INSTALL = re.compile(r"pip install (\.|'\.\[\w+\]')")


def _commands(block: Block) -> List[str]:
    return [c.text for c in shell_commands(block) if c.text not in EXEMPT]


def _is_local_install(block: Block) -> bool:
    return all(_LOCAL_INSTALL.fullmatch(command) for command in _commands(block))


#: ``pip install .`` and ``pip install '.[extra]'`` of every page: run once each, in one venv.
LOCAL_INSTALLS = sorted({c for b in INSTALL_BLOCKS if _is_local_install(b) for c in _commands(b)})
#: The other blocks (switching, separate venvs, the repair), each once (pages share some).
OTHER_INSTALLS = list(
    {tuple(_commands(b)): b for b in INSTALL_BLOCKS if not _is_local_install(b)}.values()
)


def _in_a_clone(venv: Venv, tmp_path: Path, commands: List[str], where: str) -> None:
    """Run ``commands`` as a reader does: in the SDK's directory (``.``), in ``venv``."""
    clone = _copy_sources(tmp_path / "clone")
    (tmp_path / "home").mkdir()
    env = {**venv.env, "HOME": str(tmp_path / "home")}
    for command in commands:
        done = _run(["bash", "-c", command], env, cwd=clone)
        assert done.returncode == 0, f"{where}: {command!r}\n{done.stdout}{done.stderr}"


def test_every_install_from_the_source_the_docs_show_works(venv: Venv, tmp_path: Path) -> None:
    assert "pip install ." in LOCAL_INSTALLS and len(LOCAL_INSTALLS) >= 3  # the extras too
    _in_a_clone(venv, tmp_path, LOCAL_INSTALLS, "the docs' pip install .")
    extras = venv.python_c("import aiohttp, rich, websockets")
    assert extras.returncode == 0, extras.stderr
    # Ours alone: nothing to complain about, at import, in the CLI or under pytest.
    venv.uv("install", "pytest")
    _assert_ours_works(venv)


@pytest.mark.parametrize("block", OTHER_INSTALLS, ids=[block.name for block in OTHER_INSTALLS])
def test_every_other_install_block_the_docs_show_works(
    block: Block, venv: Venv, tmp_path: Path
) -> None:
    """Switching (from the published SDK, so it starts there), separate venvs, the repair."""
    commands = _commands(block)
    if "pieces_os_client" in " ".join(commands):
        venv.install_published()
    _in_a_clone(venv, tmp_path, commands, block.name)


# --- ours installed last ---------------------------------------------------------------------------
@pytest.mark.parametrize("published", ["5.0.1", "4.1.0"])
def test_ours_installed_over_the_published_sdk_fails_at_import(venv: Venv, published: str) -> None:
    venv.install_published(published)
    venv.install_ours("pytest")

    imported = venv.python_c("import pieces_os_client")
    assert imported.returncode == 1
    last_words = imported.stderr[imported.stderr.index("pieces_os_client._coexist.") :]
    assert last_words.startswith(f"pieces_os_client._coexist.ConflictingInstallError: {MIXED}")
    _assert_names_both(last_words, published, venv)

    message = _assert_clean_cli_error(venv.cli("models", "list"), MIXED)
    _assert_names_both(message, published, venv)
    _assert_clean_cli_error(
        venv.run(venv.python, "-m", "pieces_os_client", "models", "list"), MIXED
    )
    _assert_pytest_usage_error(venv.pytest(), MIXED)

    if published != "5.0.1":
        return  # the repair is the same as for 5.0.1, checked once
    # The first command the message names gives a working SDK (ours) back.
    fixed = venv.shell(_fix_commands(message)["this SDK"])
    assert fixed.returncode == 0, fixed.stderr
    _assert_ours_works(venv)


def test_uninstalling_the_published_sdk_from_under_ours_is_named_damage(venv: Venv) -> None:
    venv.install_published()
    venv.install_ours("pytest")
    venv.uv("uninstall", "pieces_os_client")

    # Python alone sees a namespace package (our __init__.py went with the published SDK).
    imported = venv.python_c("from pieces_os_client import ModelsApi")
    assert (
        "cannot import name 'ModelsApi' from 'pieces_os_client' (unknown location)"
        in imported.stderr
    )
    message = _assert_clean_cli_error(venv.cli("models", "list"), DAMAGED)
    assert OURS in message
    _assert_pytest_usage_error(venv.pytest(), DAMAGED)

    fixed = venv.shell(_fix_commands(message)["this SDK"])
    assert fixed.returncode == 0, fixed.stderr
    _assert_ours_works(venv)


# --- the published SDK installed last ---------------------------------------------------------------
def test_the_published_sdk_over_ours_keeps_its_import_but_our_entry_points_fail(venv: Venv) -> None:
    venv.install_ours("pytest")
    venv.install_published()

    # Its __init__.py won: our code does not run at import (docs/migrating.md says so)...
    assert (
        venv.python_c("import pieces_os_client as p; print(p.__version__)").stdout.strip()
        == "5.0.1"
    )
    # ...but everything of ours that still runs says what happened, and how to fix it.
    message = _assert_clean_cli_error(venv.cli("models", "list"), MIXED)
    _assert_names_both(message, "5.0.1", venv)
    _assert_pytest_usage_error(venv.pytest(), MIXED)
    testing = venv.python_c("import pieces_os_client.testing")
    assert f"ConflictingInstallError: {MIXED}" in testing.stderr

    fixed = venv.shell(_fix_commands(message)["the published SDK"])
    assert fixed.returncode == 0, fixed.stderr
    _assert_published_works(venv)
    assert not (venv.root / "bin" / "pieces-os-models").exists()


def test_uninstalling_ours_from_under_the_published_sdk_and_the_repair(venv: Venv) -> None:
    venv.install_ours()
    venv.install_published()
    venv.uv("uninstall", "pieces-os-models")

    # Our files are gone, and with them the published SDK's that ours had overwritten first:
    # what docs/migrating.md tells a user to expect, and the command it gives.
    broken = venv.python_c("from pieces_os_client.api.models_api import ModelsApi")
    assert "No module named 'pieces_os_client.api.models_api'" in broken.stderr
    repaired = venv.shell("pip install --force-reinstall --no-deps 'pieces_os_client==5.0.1'")
    assert repaired.returncode == 0, repaired.stderr
    _assert_published_works(venv)


# --- editable installs -----------------------------------------------------------------------------
@pytest.mark.parametrize("published_first", [True, False], ids=["published-first", "ours-first"])
def test_an_editable_install_beside_the_published_sdk_fails_at_our_entry_points(
    venv: Venv, tmp_path: Path, published_first: bool
) -> None:
    source = _copy_sources(tmp_path / "clone")
    steps = [venv.install_published, lambda: venv.uv("install", "-e", str(source), "pytest")]
    for step in steps if published_first else steps[::-1]:
        step()

    # An editable install's finder comes after site-packages: the published __init__.py wins.
    assert (
        venv.python_c("import pieces_os_client as p; print(p.__version__)").stdout.strip()
        == "5.0.1"
    )
    message = _assert_clean_cli_error(venv.cli("models", "list"), MIXED)
    _assert_names_both(message, "5.0.1", venv)
    assert f"{venv.site_packages / 'pieces_os_client'} and {source / 'pieces_os_client'}" in message
    assert _fix_commands(message)["this SDK"].endswith(f"pip install -e {source}")
    _assert_pytest_usage_error(venv.pytest(), MIXED)

    # An editable install shares no file: uninstalling the published SDK leaves ours whole.
    venv.uv("uninstall", "pieces_os_client")
    _assert_ours_works(venv)
    here = venv.python_c("import pieces_os_client as p; print(p.__file__)").stdout.strip()
    assert here == str(source / "pieces_os_client" / "__init__.py")
