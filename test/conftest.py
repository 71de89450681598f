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
