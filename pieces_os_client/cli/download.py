"""Following several downloads at once, one display, Ctrl-C canceling them on Pieces OS."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, List, Tuple

from pieces_os_client.cli.errors import describe, one_line
from pieces_os_client.cli.exits import EXIT_API_ERROR, EXIT_INTERRUPTED, EXIT_OK
from pieces_os_client.cli.output import named, out

if TYPE_CHECKING:
    from pieces_os_client._display.terminal import Terminal
    from pieces_os_client.api.model_api import ModelApi


def follow_downloads(api: ModelApi, args: argparse.Namespace, models: List[Any]) -> int:
    """Download ``models`` at once, a thread each, showing them in one display.

    Threads rather than an event loop: the command line uses the sync client (the asyncio
    one needs the ``async`` extra), and each download spends its time waiting on its own
    socket. The workers only follow; this thread draws every event (from a queue), so the
    displays are never drawn from two threads, and takes Ctrl-C: it stops the workers, then
    asks Pieces OS to cancel every download that had not ended.
    """
    import contextlib
    import queue
    import threading

    from pieces_os_client._display.download_bar import CANCELED, FAILED, STALLED, download_display
    from pieces_os_client._display.progress_text import elapsed_text, percent_text
    from pieces_os_client.exceptions import ModelDownloadError, ModelDownloadStalled

    terminal: Terminal = args.terminal
    say = terminal.note if args.json else out
    display = download_display(
        terminal, {model.id: model.name or model.id for model in models}, json_lines=args.json
    )
    inbox: queue.Queue[Tuple[str, str, Any]] = queue.Queue()
    followers = {
        model.id: api.download_events(model.id, stall_timeout=args.stall_timeout)
        for model in models
    }

    def follow(model_id: str) -> None:
        try:
            with followers[model_id] as events:
                for event in events:
                    inbox.put(("event", model_id, event))
                result = events.model
            if result is None:  # stopped by Ctrl-C: the main thread cancels it
                inbox.put(("stopped", model_id, None))
                return
            if args.load:
                result = api.model_specific_model_load(model_id)
            inbox.put(("done", model_id, result))
        except BaseException as error:  # handed to the main thread, which reports it
            inbox.put(("error", model_id, error))

    workers = [
        threading.Thread(target=follow, args=(model.id,), name=f"download {model.id}", daemon=True)
        for model in models
    ]
    last: dict[str, Any] = {}
    results: dict[str, Any] = {}
    pending = {model.id for model in models}

    def where(model_id: str) -> str:
        event = last.get(model_id)
        return f" at {percent_text(event.percentage)}" if event is not None else ""

    try:
        for worker in workers:
            worker.start()
        while pending:
            try:
                # A bounded wait keeps Ctrl-C prompt where a signal cannot wake a lock.
                kind, model_id, value = inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            if kind == "event":
                last[model_id] = value
                display(value)
                continue
            pending.discard(model_id)
            results[model_id] = value
            if isinstance(value, BaseException):
                status = STALLED if isinstance(value, ModelDownloadStalled) else FAILED
                display.ended(model_id, status, one_line(str(value)))
    except KeyboardInterrupt:
        for events in followers.values():
            events.close()
        for worker in workers:
            worker.join(timeout=10)  # each ends at its next step; none starts a download after
        for model in models:
            if model.id in pending:
                with contextlib.suppress(Exception):  # best effort: the user asked to stop
                    api.model_specific_model_download_cancel(model.id)
                display.ended(model.id, CANCELED, "interrupted (Ctrl-C)")
        display.close()
        for model in models:
            if model.id in pending:
                terminal.note(
                    f"canceled: asked Pieces OS to cancel the download of {named(model)}"
                    f"{where(model.id)}"
                )
        return EXIT_INTERRUPTED
    except BaseException:
        for events in followers.values():
            events.close()
        display.close()
        raise
    display.close()
    failed = False
    for model in models:
        result = results[model.id]
        if isinstance(result, ModelDownloadError):
            failed = True
            failure = _download_failure(result, where(model.id), args.stall_timeout)
            terminal.error(one_line(f"the download of {named(model)} {failure}"))
        elif isinstance(result, Exception):
            failed = True
            _, message = describe(result, args)
            if len(models) > 1:
                message = f"{named(model)}: {message}"
            terminal.error(message)
        elif isinstance(result, BaseException):
            raise result
        elif result is None:  # stopped following without an ending (not reached today)
            failed = True
            terminal.error(f"stopped following the download of {named(model)}{where(model.id)}")
        else:
            event = last.get(model.id)
            took = f" in {elapsed_text(event.elapsed)}" if event is not None else ""
            loaded = " and loaded it" if args.load else ""
            say(f"downloaded {named(result)}{took}{loaded}")
    return EXIT_API_ERROR if failed else EXIT_OK


def _download_failure(error: Exception, where: str, stall_timeout: float) -> str:
    """What went wrong, in words that follow "the download of model X (NAME)"."""
    from pieces_os_client.exceptions import (
        ModelDownloadCanceled,
        ModelDownloadDenied,
        ModelDownloadStalled,
    )

    if isinstance(error, ModelDownloadDenied):
        return (
            "was refused before it started: the model is denied on this Pieces OS (its "
            "organization does not allow it); pick another model"
        )
    if isinstance(error, ModelDownloadStalled):
        return (
            f"stalled{where}: no progress for {stall_timeout:g} s; asked Pieces OS to cancel it "
            "(raise --stall-timeout for a slow connection)"
        )
    if isinstance(error, ModelDownloadCanceled):
        return f"was canceled{where} on Pieces OS (by another client or Pieces OS itself)"
    return f"failed{where}: Pieces OS reported FAILED"
