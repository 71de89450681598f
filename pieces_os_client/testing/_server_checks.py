"""What ``LocalPiecesOS``'s methods accept: each check turns a test's arguments into what the
state keeps (a :class:`Fault`, a :class:`DownloadScript`, a catalogue) or raises the error
naming the fix. The methods themselves, and their documentation, are in :mod:`._server`."""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union, cast

from pieces_os_client.models.model import Model
from pieces_os_client.testing._http import TEXT, reason_phrase
from pieces_os_client.testing._state_values import DownloadScript, Fault

__all__ = [
    "check_close_code",
    "check_model_id",
    "checked_pace",
    "delay_fault",
    "download_script",
    "drop_fault",
    "fail_fault",
    "validate_catalogue",
]

_JSON = "application/json"

# Close codes RFC 6455 reserves for what an endpoint observed, never to be sent.
_RESERVED_CLOSE_CODES = frozenset({1004, 1005, 1006, 1015})


def fail_fault(
    n: int,
    status: int,
    retry_after: Optional[Union[int, str]],
    path: Optional[str],
    body: Optional[Union[str, bytes, Mapping[str, Any], List[Any]]],
) -> Fault:
    """The fault :meth:`LocalPiecesOS.fail_next` queues."""
    _check_count(n)
    _check_path(path)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError(f"status must be an int from 200 to 599, not {status!r}")
    if retry_after is not None and not (
        (isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after >= 0)
        or (isinstance(retry_after, str) and retry_after.strip())
    ):
        raise ValueError(
            f"retry_after must be whole seconds (int >= 0) or an HTTP date, not {retry_after!r}"
        )
    content_type = _JSON
    if body is None:
        phrase = reason_phrase(status)
        payload = f"injected failure: {status} {phrase} (LocalPiecesOS.fail_next)".encode()
        content_type = TEXT
    elif isinstance(body, (dict, list)):
        payload = json.dumps(body).encode()
    else:
        payload = body.encode() if isinstance(body, str) else bytes(cast(bytes, body))
        if not _is_json(payload):
            content_type = TEXT
    return Fault(
        "fail",
        n,
        path,
        status=status,
        retry_after=None if retry_after is None else str(retry_after),
        body=payload,
        content_type=content_type,
    )


def delay_fault(n: int, seconds: float, path: Optional[str]) -> Fault:
    """The fault :meth:`LocalPiecesOS.delay_next` queues."""
    _check_count(n)
    _check_path(path)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError(f"seconds must be a number >= 0, not {seconds!r}")
    return Fault("delay", n, path, seconds=float(seconds))


def drop_fault(n: int, path: Optional[str]) -> Fault:
    """The fault :meth:`LocalPiecesOS.drop_next` queues."""
    _check_count(n)
    _check_path(path)
    return Fault("drop", n, path)


def checked_pace(interval: float, step: float) -> Tuple[float, float]:
    """The pace :meth:`LocalPiecesOS.set_download_pace` sets."""
    for name, value in (("interval", interval), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a number > 0, not {value!r}")
    if step > 100:
        raise ValueError(f"step is a percentage of the download (at most 100), not {step!r}")
    return float(interval), float(step)


def download_script(
    model_id: str,
    fail_at: Optional[float],
    stall_at: Optional[float],
    drop_at: Optional[float],
    instant: bool,
) -> DownloadScript:
    """The script :meth:`LocalPiecesOS.script_download` sets for ``model_id``."""
    check_model_id(model_id)
    for name, value in (("fail_at", fail_at), ("stall_at", stall_at), ("drop_at", drop_at)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a percentage (0 to 100), not {value!r}")
        if not 0 <= value <= 100:
            raise ValueError(f"{name} must be a percentage (0 to 100), not {value!r}")
    return DownloadScript(
        fail_at=fail_at, stall_at=stall_at, drop_at=drop_at, instant=bool(instant)
    )


def check_model_id(model_id: str) -> None:
    if not isinstance(model_id, str) or not model_id:
        raise ValueError(f"model_id must be a model's id (a non-empty str), not {model_id!r}")


def check_close_code(code: Optional[int]) -> None:
    """A close code :meth:`LocalPiecesOS.drop_streams` may send (None: no close frame)."""
    if code is not None and (
        isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 4999
    ):
        raise ValueError(f"code must be a WebSocket close code (1000 to 4999), not {code!r}")
    if code is not None and code in _RESERVED_CLOSE_CODES:
        raise ValueError(f"code {code} may not be sent in a close frame (RFC 6455 7.4.1)")


def validate_catalogue(catalogue: Iterable[Union[Model, Mapping[str, Any]]]) -> List[Model]:
    """The models of a ``catalogue`` passed to ``LocalPiecesOS``; two with one id are refused."""
    models: List[Model] = []
    seen = set()
    for entry in catalogue:
        model = entry if isinstance(entry, Model) else Model.model_validate(dict(entry))
        if model.id in seen:
            raise ValueError(f"the catalogue has two models with id {model.id!r}")
        seen.add(model.id)
        models.append(model)
    return models


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1 (how many requests), not {n!r}")


def _check_path(path: Optional[str]) -> None:
    if path is not None and (not isinstance(path, str) or not path.startswith("/")):
        raise ValueError(f"path must start with '/', e.g. '/models/create', not {path!r}")


def _is_json(payload: bytes) -> bool:
    try:
        json.loads(payload)
    except ValueError:
        return False
    return True
