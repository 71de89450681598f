"""What ``LocalPiecesOS`` does for each operation of the table: a handler per HTTP operation,
a feed per stream, and the strict reading of request bodies (a server refuses what the SDK
tolerates in an answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Type, TypeVar, Union

from pydantic import ValidationError

from pieces_os_client.models._base import WireEnum, WireModel
from pieces_os_client.models.model import Model
from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput
from pieces_os_client.models.referenced_model import ReferencedModel
from pieces_os_client.testing._guard import MAX_JSON_DEPTH, too_deep
from pieces_os_client.testing._reply import (
    JSON,
    HttpReply,
    Rejected,
    error_reply,
    ok_reply,
    text_reply,
)
from pieces_os_client.testing._state import State
from pieces_os_client.testing._stream import Subscriber

_W = TypeVar("_W", bound=WireModel)


@dataclass
class Call:
    """One request as a handler sees it: path parameters decoded, body parsed."""

    state: State
    params: Dict[str, str]
    body: Any


def _unknown(model_id: str) -> HttpReply:
    return error_reply(410, f"no model with id {model_id!r}")


def _model_or_refusal(model_id: str, result: Union[Model, str, None]) -> HttpReply:
    if result is None:
        return _unknown(model_id)
    return error_reply(500, result) if isinstance(result, str) else ok_reply(result)


def _create(call: Call) -> HttpReply:
    if call.body is None:
        return error_reply(500, "POST /models/create needs a SeededModel body; none was sent")
    return ok_reply(call.state.create(call.body))


def _delete(call: Call) -> HttpReply:
    refused = call.state.delete(call.params["model"])
    return HttpReply(204) if refused is None else error_reply(500, refused)


def _delete_cache(call: Call) -> HttpReply:
    result = call.state.delete_cache(call.params["model"])
    if isinstance(result, str):
        return error_reply(500, result)
    output = ModelDeleteCacheOutput(
        model=ReferencedModel(id=result.id, schema=result.var_schema),
        schema=call.body.var_schema if call.body is not None else None,
    )
    return ok_reply(output)


def _unload_all(call: Call) -> HttpReply:
    call.state.unload()
    return HttpReply(204)


def _get_model(call: Call) -> HttpReply:
    found = call.state.model_json(call.params["model"])
    return _unknown(call.params["model"]) if found is None else HttpReply(200, found)


def _update(call: Call) -> HttpReply:
    if call.body is None:
        return error_reply(500, "POST /model/update needs a Model body; none was sent")
    return _model_or_refusal(call.body.id, call.state.update(call.body))


def _increment(call: Call) -> HttpReply:
    model_id = call.params["model"]
    if call.state.increment_scores(model_id, call.body) == "unknown":
        return _unknown(model_id)
    return HttpReply(204)


def _on_model(
    action: Callable[[State, str], Union[Model, str, None]],
) -> Callable[[Call], HttpReply]:
    def handle(call: Call) -> HttpReply:
        model_id = call.params["model"]
        return _model_or_refusal(model_id, action(call.state, model_id))

    return handle


#: What LocalPiecesOS does for each HTTP operation of the table, by method name.
HANDLERS: Dict[str, Callable[[Call], HttpReply]] = {
    "models_snapshot": lambda call: HttpReply(200, call.state.snapshot_json()),
    "models_create_new_model": _create,
    "models_delete_specific_model": _delete,
    "models_delete_specific_model_cache": _delete_cache,
    "unload_models": _unload_all,
    "models_specific_model_snapshot": _get_model,
    "model_specific_model_download": _on_model(State.download),
    "model_specific_model_download_cancel": _on_model(State.cancel_download),
    "model_specific_model_load": _on_model(State.load),
    "model_specific_model_unload": _on_model(State.unload_one),
    "model_update": _update,
    "model_scores_increment": _increment,
    # The well-known endpoints: GET and HEAD (the port scan's probe), plain text.
    "get_well_known_health": lambda call: text_reply(call.state.health),
    "get_well_known_version": lambda call: text_reply(call.state.version),
    "get_installation_path": lambda call: text_reply(call.state.installation_path),
}

#: What feeds each stream operation's subscribers: given the state, the path parameters and
#: the subscriber, start sending and return the undo.
STREAMS: Dict[str, Callable[[State, Dict[str, str], Subscriber], Callable[[], None]]] = {
    "models_stream_identifiers": lambda state, params, sub: state.watch(sub.send),
    "model_specific_model_download_progress": lambda state, params, sub: state.follow_download(
        params["model"], sub
    ),
    "get_well_known_stream_health": lambda state, params, sub: state.follow_health(sub),
}


def parse_body(model_class: Type[_W], content_type: Optional[str], body: bytes) -> Optional[_W]:
    """The body as ``model_class``; ``None`` when there is none. Rejects bad ones with 4xx."""
    if not body.strip():
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON and not media_type.endswith("+json"):
        raise Rejected(
            error_reply(415, f"send the body as application/json, not {content_type or 'untyped'}")
        )
    if too_deep(body):
        raise Rejected(error_reply(400, f"the body nests deeper than {MAX_JSON_DEPTH} levels"))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Rejected(error_reply(400, f"the body is not valid JSON: {error}")) from None
    if not isinstance(data, dict):
        raise Rejected(
            error_reply(
                422,
                f"the body must be a JSON object ({model_class.__name__}), "
                f"not {type(data).__name__}",
            )
        )
    try:
        # Strict: a server takes "2024-05-01T12:00:00Z" for a timestamp, not the number 0.
        parsed = model_class.model_validate_json(body, strict=True)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        raise Rejected(_invalid_body(model_class, problems)) from None
    # The SDK keeps enum values it does not know (a newer server may send them) and
    # parses an answer without a field the published SDK read as optional; a server knows
    # its own values and fields, so either in a request is an error.
    lax = list(_lax_parts(parsed, ""))
    if lax:
        raise Rejected(_invalid_body(model_class, lax))
    return parsed


def _invalid_body(model_class: Type[WireModel], problems: List[str]) -> HttpReply:
    return error_reply(
        422, f"the body is not a valid {model_class.__name__}: {'; '.join(problems)}"
    )


def _lax_parts(value: Any, where: str) -> Iterator[str]:
    """What the SDK tolerates in an answer but a server refuses in a request: enum values
    it does not know, and fields the wire facts require that are absent."""
    if isinstance(value, WireEnum):
        if not value.is_known:
            yield f"{where}: unknown value {value.value!r}"
    elif isinstance(value, WireModel):
        fields = type(value).model_fields
        for name in sorted(type(value)._required_on_wire - value.model_fields_set):
            alias = fields[name].alias or name
            yield f"{where}.{alias}: Field required" if where else f"{alias}: Field required"
        for name, field_info in fields.items():
            alias = field_info.alias or name
            yield from _lax_parts(getattr(value, name), f"{where}.{alias}" if where else alias)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _lax_parts(item, f"{where}[{index}]")
