"""The checks of ``download()`` / ``download_events()``'s arguments, made before anything is
sent (sync and async alike)."""

from __future__ import annotations

import inspect
import math
from typing import Any

from pieces_os_client._core.endpoint import encode_path_segment
from pieces_os_client.exceptions import ApiTypeError, ApiValueError

__all__ = ["check_download_arguments"]


def check_download_arguments(
    model: Any,
    on_progress: Any = None,
    stall_timeout: Any = 60.0,
    timeout: Any = None,
    load: Any = False,
    awaits: bool = False,
) -> None:
    """Refuse bad arguments of ``download()`` / ``download_events()`` before anything is sent.

    ``awaits``: the caller awaits what ``on_progress`` returns (the async ``download()``);
    elsewhere a coroutine function is refused, as its coroutines would never run.

    Raises ``ApiTypeError`` (a ``TypeError``) or ``ApiValueError`` (a ``ValueError``) saying
    what to pass instead.

    Example::

        >>> check_download_arguments("m1", stall_timeout=0)
        Traceback (most recent call last):
        ...
        pieces_os_client.exceptions.ApiValueError: stall_timeout must be a number of seconds > 0 (e.g. stall_timeout=60), not 0
    """
    encode_path_segment(model, "model")
    if on_progress is not None and not callable(on_progress):
        raise ApiTypeError(
            "on_progress must be a function taking a DownloadEvent "
            "(e.g. on_progress=lambda event: print(event.percentage)) or None, "
            f"not {type(on_progress).__name__}"
        )
    if not awaits and inspect.iscoroutinefunction(on_progress):
        raise ApiTypeError(
            "on_progress is an async function, which the sync download() cannot await; "
            "pass a plain function, or use AsyncModelApi.download()"
        )
    _check_seconds("stall_timeout", stall_timeout, 60)
    if timeout is not None:
        _check_seconds("timeout", timeout, 3600)
    if not isinstance(load, bool):
        raise ApiTypeError(f"load must be True or False, not {type(load).__name__}")


def _check_seconds(name: str, value: Any, example: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiTypeError(
            f"{name} must be a number of seconds (e.g. {name}={example}), "
            f"not {type(value).__name__}"
        )
    if math.isnan(value) or value <= 0:
        raise ApiValueError(
            f"{name} must be a number of seconds > 0 (e.g. {name}={example}), not {value!r}"
        )
