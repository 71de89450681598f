"""Shared test fixtures: ``scripted_server`` (a byte-level scriptable HTTP server on 127.0.0.1),
``server`` (a ``LocalPiecesOS`` shared by a module, reset before each test) and ``client`` (the
sync or the async runtime: a test using it runs against both, see ``_both.py``)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterator

# jupyter_core before 6 (the last releases for Python 3.9) warns, when first imported, that
# its directories will move to platformdirs; under filterwarnings=error that warning stops
# the notebook tests from being collected. Opting in to the new directories, as the warning
# asks, removes it (the kernel the notebook test starts inherits the setting).
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")


# LocalPiecesOS takes ports of 39300-39333 on 127.0.0.1, as Pieces OS does, in every worker at
# once, so a search for Pieces OS there would find another test's server. Every search of this
# run (in-process, and in the processes tests start, through the environment) probes a
# loopback address of this run and worker alone instead (Linux answers all of 127/8), where
# only the tests that mean to be found listen.
os.environ["PIECES_OS_DISCOVERY_HOST"] = "127.{}.{}.{}".format(
    (os.getppid() if "PYTEST_XDIST_WORKER" in os.environ else os.getpid()) % 250 + 1,
    (os.getppid() if "PYTEST_XDIST_WORKER" in os.environ else os.getpid()) // 250 % 250 + 1,
    int(os.environ.get("PYTEST_XDIST_WORKER", "gw-1")[2:]) + 2,
)

import pytest
from _both import Runtime
from _scripted_server import ScriptedServer

from pieces_os_client.testing import LocalPiecesOS

# The folders mirror the package (core, runtime, local_server, cli, display, docs, install);
# test modules import helpers from one another by name (``from test_cli import ...``) and from
# the shared ``_*.py`` modules here, so every folder is on sys.path (module names are unique).
_HERE = Path(__file__).resolve().parent
for _folder in sorted(_HERE.iterdir()):
    if _folder.is_dir() and any(_folder.glob("test_*.py")) and str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))


def _ports_of_this_worker() -> tuple[int, ...]:
    """A slice of 39300-39333 for this xdist worker's LocalPiecesOS servers.

    LocalPiecesOS takes the first free port of the range, as Pieces OS does. With every worker
    drawing from the whole range on 127.0.0.1, a port one test's server just gave up is taken
    at once by another worker's, and anything still talking to the first reaches the second.
    Each worker gets ports no other worker uses (the main process, without xdist, all of them).
    """
    from pieces_os_client.testing._server import PIECES_OS_PORTS

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if worker is None or count <= 1:
        return PIECES_OS_PORTS
    size = len(PIECES_OS_PORTS) // count
    index = int(worker[2:]) % count
    return PIECES_OS_PORTS[index * size : (index + 1) * size]


@pytest.fixture(autouse=True, scope="session")
def _worker_ports() -> Iterator[None]:
    from pieces_os_client.testing import _server

    saved = _server.PIECES_OS_PORTS
    _server.PIECES_OS_PORTS = _ports_of_this_worker()
    yield
    _server.PIECES_OS_PORTS = saved


@pytest.fixture(autouse=True)
def _no_remembered_search() -> Iterator[None]:
    """Each test starts as a fresh process would: no Pieces OS found by an earlier search."""
    from pieces_os_client._core.locator import LOCATOR

    LOCATOR._forget()
    yield
    LOCATOR._forget()


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """The runtime under test: the sync ``ApiClient`` or the async ``AsyncApiClient``, behind
    one synchronous face (``_both.Runtime``); a test using it runs once with each."""
    runtime = Runtime(request.param)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A started :class:`ScriptedServer`, closed after the test."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def shared() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS() as server:
        yield server


@pytest.fixture
def server(shared: LocalPiecesOS) -> LocalPiecesOS:
    shared.reset()
    # A stream the previous test closed may still be winding down on the server's side
    # (its close handshake runs on the server's thread); start every test with none open.
    deadline = time.monotonic() + 5.0
    while shared.open_streams and time.monotonic() < deadline:
        time.sleep(0.005)
    shared.drop_streams()
    return shared
