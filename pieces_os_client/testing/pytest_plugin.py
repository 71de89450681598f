"""The pytest plugin installed with the package: the ``local_pieces_os`` fixture.

pytest loads it through the ``pytest11`` entry point, so any test suite in an environment
where ``pieces_os_client`` is installed can ask for the fixture without a ``conftest.py``.

Example::

    def test_lists_models(local_pieces_os):
        from pieces_os_client import ModelsApi

        with local_pieces_os.client() as api_client:
            assert ModelsApi(api_client).models_snapshot().iterable
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

from pieces_os_client._coexist import check_entry

check_entry()  # at pytest's start-up: a mixed install fails here, as one "ERROR:" line

if TYPE_CHECKING:
    from pieces_os_client.testing import LocalPiecesOS

__all__ = ["local_pieces_os"]


@pytest.fixture
def local_pieces_os() -> Iterator[LocalPiecesOS]:
    """A started :class:`~pieces_os_client.testing.LocalPiecesOS`, stopped after the test.

    Each test gets its own server (own port, seeded catalogue, empty request log), so tests
    never see each other's models or faults.
    """
    # Imported here so loading the plugin costs nothing for suites that never use it.
    from pieces_os_client.testing import LocalPiecesOS

    with LocalPiecesOS() as server:
        yield server
