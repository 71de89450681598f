"""Shared test fixture: ``scripted_server``, a byte-level scriptable HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Iterator

import pytest
from _scripted_server import ScriptedServer


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A started :class:`ScriptedServer`, closed after the test."""
    with ScriptedServer() as server:
        yield server
