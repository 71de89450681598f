"""The docs' download examples on a server that has run for a while: every local model is
downloaded already, so an example that looked for one not downloaded yet would end in a bare
``IndexError``. Each must pick its model so that it still downloads one."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest
from test_doc_examples import EXAMPLES, Block, _run

from pieces_os_client.models import Model
from pieces_os_client.testing import LocalPiecesOS
from pieces_os_client.testing._catalogue import builtin_catalogue

#: What an example that downloads a model calls.
_DOWNLOADS = (".download(", ".download_events(", "model_specific_model_download(")
#: What an example shows being refused before any download starts (nothing to download).
_REFUSALS = ("ModelNotFoundError", "AmbiguousModelError", "ModelDownloadDenied")
#: Examples that download, but not from a LocalPiecesOS of their own (they script its
#: failures) and not to show a refusal.
DOWNLOADING = [
    block
    for block in EXAMPLES
    if any(call in block.code for call in _DOWNLOADS)
    and "LocalPiecesOS(" not in block.code
    and not any(refusal in block.code for refusal in _REFUSALS)
]


def everything_downloaded() -> List[Model]:
    return [
        model if model.cloud else model.model_copy(update={"downloaded": True})
        for model in builtin_catalogue()
    ]


@pytest.fixture(scope="module")
def long_running() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS(everything_downloaded()) as server:
        yield server


def test_the_examples_that_download_are_found() -> None:
    pages = {block.path for block in DOWNLOADING}
    assert {"README.md", "docs/downloads.md", "docs/ModelApi.md", "docs/notebooks.md"} <= pages


@pytest.mark.parametrize("example", DOWNLOADING, ids=[block.name for block in DOWNLOADING])
def test_a_download_example_works_once_every_local_model_is_downloaded(
    example: Block,
    long_running: LocalPiecesOS,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    long_running.reset()
    assert all(model.downloaded for model in long_running.models() if not model.cloud)
    long_running.set_download_pace(interval=0.01, step=10.0)
    _run(example, long_running.url, monkeypatch, tmp_path)
    # It downloaded (or started) one: some model's download was asked for.
    assert any(
        request.method == "POST" and request.path.endswith("/download")
        for request in long_running.requests
    )
