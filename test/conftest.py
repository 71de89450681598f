"""Shared test fixtures: ``scripted_server`` (a byte-level scriptable HTTP server on 127.0.0.1)
and ``server`` (a ``LocalPiecesOS`` shared by a module, reset before each test)."""

from __future__ import annotations

import os
import time
from typing import Iterator

# jupyter_core before 6 (the last releases for Python 3.9) warns, when first imported, that
# its directories will move to platformdirs; under filterwarnings=error that warning stops
# the notebook tests from being collected. Opting in to the new directories, as the warning
# asks, removes it (the kernel the notebook test starts inherits the setting).
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")


def _private_loopback_address() -> str:
    """A loopback address of this test run and worker alone (Linux answers all of 127/8).

    LocalPiecesOS takes ports of 39300-39333 on 127.0.0.1, as Pieces OS does, in every worker
    at once; a search for Pieces OS there would find another test's server. So every search
    in this run (in-process, and in the processes tests start, through the environment)
    probes this address instead, where only the tests that mean to be found listen.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")[2:]
    run = os.getppid() if worker != "-1" else os.getpid()
    return f"127.{run % 250 + 1}.{(run // 250) % 250 + 1}.{int(worker) + 2}"


os.environ["PIECES_OS_DISCOVERY_HOST"] = _private_loopback_address()

import pytest
from _scripted_server import ScriptedServer

from pieces_os_client.testing import LocalPiecesOS


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
