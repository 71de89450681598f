"""The live progress bar of a download in a Jupyter notebook.

``ModelApi.download()`` (and its async twin) called without ``on_progress`` asks
:func:`notebook_progress` for a callback. Inside a Jupyter kernel (JupyterLab, Notebook, VS
Code, Colab: any front end of ipykernel) it gets one that shows a bar under the cell and
updates it in place, through IPython's display ids; anywhere else (a script, a terminal,
plain IPython) it gets None and nothing is shown. When the download ends,
:func:`finish_notebook_progress` leaves the bar in its final state: done, failed (and why) or
canceled.

Nothing here imports IPython unless IPython is already loaded, so scripts pay nothing, and a
display that breaks never breaks the download: the bar just stops updating.

Example (in a notebook cell; the bar appears under it)::

    from pieces_os_client import ModelApi

    model = ModelApi().download(model_id)
"""

from __future__ import annotations

import html
import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from pieces_os_client._display.progress_text import (
    details_text,
    elapsed_text,
    eta_text,
    percent_text,
    text_bar,
)

if TYPE_CHECKING:
    from pieces_os_client._core.downloads import DownloadEvent

__all__ = ["finish_notebook_progress", "notebook_progress"]

_log = logging.getLogger("pieces_os_client")

#: Fewest seconds between two updates of a bar: a front end re-renders each one, and a
#: download can send hundreds of messages a second.
UPDATE_INTERVAL = 0.1

#: The bar's colour in each final state (and while running).
_COLOURS = {
    "running": "#2f7ed8",
    "done": "#2e9e4f",
    "failed": "#d1343e",
    "canceled": "#8a8a8a",
}
_HEADINGS = {
    "running": "Downloading",
    "done": "Downloaded",
    "failed": "Download failed",
    "canceled": "Download canceled",
}


def _kernel_shell() -> Any:
    """IPython's shell when this process is a Jupyter kernel, else None.

    Only looks at what is already imported: a script that never loaded IPython costs one dict
    lookup. Terminal IPython has a shell but no kernel, and cannot update a display in place.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return None
    try:
        shell = get_ipython()
    except Exception:  # a half-initialised or foreign IPython: no bar rather than an error
        return None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def notebook_progress(model_id: str) -> Optional[Callable[[DownloadEvent], None]]:
    """A callback that shows ``model_id``'s download as a live bar in a Jupyter notebook, or
    None outside a Jupyter kernel.

    Example::

        >>> from pieces_os_client._display.notebook_bar import notebook_progress
        >>> notebook_progress("some-model-id") is None  # not in a notebook
        True
    """
    if _kernel_shell() is None:
        return None
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - a kernel always has IPython
        return None
    return _NotebookBar(model_id, display)


def finish_notebook_progress(
    callback: Optional[Callable[[DownloadEvent], None]], error: Optional[BaseException]
) -> None:
    """Leave the bar ``callback`` shows in its final state: done (``error`` None), canceled
    (a ``ModelDownloadCanceled``, or Ctrl-C / the kernel's interrupt), else failed with the
    reason. Does nothing for a callback :func:`notebook_progress` did not make.

    Example::

        >>> from pieces_os_client._display.notebook_bar import finish_notebook_progress
        >>> finish_notebook_progress(None, None)  # nothing was shown: nothing to do
    """
    if isinstance(callback, _NotebookBar):
        callback.finish(error)


class _NotebookBar:
    """One download's bar: a display created at the first event, updated in place."""

    def __init__(self, model_id: str, display: Callable[..., Any]) -> None:
        self.model_id = model_id
        self._display = display
        self._handle: Any = None
        self._lock = threading.Lock()
        self._last: Optional[DownloadEvent] = None
        self._shown_at = float("-inf")
        self._shown_status: Any = None
        self._broken = False
        self._finished = False

    def __call__(self, event: DownloadEvent) -> None:
        with self._lock:
            if self._finished:
                return
            self._last = event
            now = time.monotonic()
            # Status changes and the end are always shown; progress at most 10 times a second.
            due = now - self._shown_at >= UPDATE_INTERVAL
            if not (due or event.done or event.status != self._shown_status):
                return
            self._shown_at = now
            self._shown_status = event.status
            self._show(render("running", self.model_id, event))

    def finish(self, error: Optional[BaseException]) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
            state, reason = _final_state(error)
            if state == "failed" and self._last is None and error is not None:
                # Refused before it started (a cloud model, an unknown name): one line,
                # not a failed bar at 0 %.
                self._show(render_not_started(self.model_id, error))
                return
            self._show(render(state, self.model_id, self._last, reason))

    def _show(self, bundle: Dict[str, str]) -> None:
        if self._broken:
            return
        try:
            if self._handle is None:
                self._handle = self._display(bundle, raw=True, display_id=True)
            else:
                self._handle.update(bundle, raw=True)
        except Exception:  # the front end is gone or refuses: the download goes on unseen
            self._broken = True
            _log.debug("the notebook progress bar stopped updating", exc_info=True)


def _final_state(error: Optional[BaseException]) -> Tuple[str, str]:
    """("done" | "canceled" | "failed", why) for how a download ended."""
    if error is None:
        return "done", ""
    from pieces_os_client.exceptions import ModelDownloadCanceled

    if isinstance(error, ModelDownloadCanceled):
        return "canceled", str(error)
    if isinstance(error, KeyboardInterrupt):
        return "canceled", "interrupted; Pieces OS was asked to cancel it"
    return "failed", str(error) or type(error).__name__


def render_not_started(model_id: str, error: BaseException) -> Dict[str, str]:
    """The one line shown for a download refused before it started: the error's first line
    (``500 Internal Server Error: ... runs in the cloud ... (POST /model/x/download)``).

    Example::

        >>> from pieces_os_client._display.notebook_bar import render_not_started
        >>> render_not_started("m1", ValueError("no model has the name 'x'"))["text/plain"]
        "Download of m1 did not start: no model has the name 'x'"
    """
    lines = str(error).splitlines()
    first = lines[0] if lines and lines[0].strip() else type(error).__name__
    plain = f"Download of {model_id} did not start: {first}"
    markup = (
        '<div class="pieces-os-download" style="font-family: var(--jp-ui-font-family, '
        f'system-ui, sans-serif); font-size: 13px; line-height: 1.4; color: {_COLOURS["failed"]};">'
        f"<b>Download of</b> <code>{html.escape(model_id)}</code> <b>did not start:</b> "
        f"{html.escape(first)}</div>"
    )
    return {"text/plain": plain, "text/html": markup}


def render(
    state: str,
    model_id: str,
    event: Optional[DownloadEvent],
    reason: str = "",
) -> Dict[str, str]:
    """The bar as a display bundle: ``text/html`` for notebooks, ``text/plain`` for the rest.

    The bar names the model by its name once an event carried it (the id until then, and in
    a tooltip); while it runs it shows bytes done of the size, the speed and the time left
    where the size is known. Every text is escaped: a model's name or a server's reason
    cannot inject markup.

    Example::

        >>> from pieces_os_client._display.notebook_bar import render
        >>> render("failed", "m<1>", None, "disk full")["text/plain"]
        'Download failed: m<1>  [..............................]  0%: disk full'
    """
    percentage = 100.0 if state == "done" else (event.percentage if event is not None else 0.0)
    heading = _HEADINGS[state]
    label = event.model_name if event is not None and event.model_name else model_id
    if state == "running":
        detail = details_text(event) if event is not None else eta_text(None)
    elif state == "done":
        detail = ""
        if event is not None:
            size = details_text(event) if event.total_bytes is not None else ""
            detail = f"{size} in {elapsed_text(event.elapsed)}".strip()
    else:
        detail = reason
    shown = percent_text(percentage)
    plain = f"{heading}: {label}  [{text_bar(percentage, 30)}]  {shown}"
    if detail:
        plain += f" · {detail}" if state in ("running", "done") else f": {detail}"
    width = f"{max(0.0, min(100.0, percentage)):.1f}"
    colour = _COLOURS[state]
    markup = (
        '<div class="pieces-os-download" style="font-family: var(--jp-ui-font-family, '
        "system-ui, sans-serif); font-size: 13px; line-height: 1.4; max-width: 44em; "
        'padding: 2px 0;">'
        '<div style="display: flex; justify-content: space-between; gap: 1em;">'
        f'<span><b>{heading}</b> <span title="{html.escape(model_id)}">'
        f"{html.escape(label)}</span></span>"
        f'<span style="white-space: nowrap; font-variant-numeric: tabular-nums;">{shown}'
        + (f" · {html.escape(detail)}" if detail and state in ("running", "done") else "")
        + "</span></div>"
        f'<div role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{width}" '
        'style="height: 8px; margin-top: 4px; background: rgba(127, 127, 127, 0.25); '
        'border-radius: 4px; overflow: hidden;">'
        f'<div style="width: {width}%; height: 100%; background: {colour};"></div></div>'
        + (
            f'<div style="margin-top: 3px; color: {colour};">{html.escape(detail)}</div>'
            if detail and state in ("failed", "canceled")
            else ""
        )
        + "</div>"
    )
    return {"text/plain": plain, "text/html": markup}
