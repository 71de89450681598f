"""The live progress bar ``ModelApi.download()`` shows in a notebook lives here (none yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import DownloadEvent


def notebook_progress(model_id: str) -> Optional[Callable[[DownloadEvent], None]]:
    return None


def finish_notebook_progress(
    callback: Optional[Callable[[DownloadEvent], None]], error: Optional[BaseException]
) -> None:
    return None
