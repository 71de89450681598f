"""The published SDK's way of naming value types, kept for code written against it: type-name
strings (``"Models"``, ``"List[str]"``, ``"datetime"``), collection formats of parameters, and
bodies read by their media type. :class:`~pieces_os_client.ApiClient`'s ``deserialize``,
``response_deserialize`` and ``parameters_to_*`` methods use these.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import re
from enum import Enum
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote

from pieces_os_client.exceptions import ApiException, ApiResponseValidationError, ApiValueError

__all__ = [
    "NATIVE_TYPES",
    "collection_pairs",
    "convert",
    "is_model_name",
    "model_class",
    "parse_text",
    "query_quote",
    "query_text",
    "unchanged",
]

#: Type names understood besides the model names.
NATIVE_TYPES: Dict[str, type] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "decimal": decimal.Decimal,
    "object": object,
}


def parse_text(text: str, type_name: str, content_type: Optional[str]) -> Any:
    """``text`` read as its ``content_type`` says (JSON, text, or JSON-or-text when None),
    then converted as ``type_name`` says."""
    if content_type is None:
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError, MemoryError):
            data = text
    elif JSON_MEDIA_TYPE.match(content_type):
        data = parse_json(text, type_name) if text else ""
    elif TEXT_MEDIA_TYPE.match(content_type):
        data = text
    else:
        raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
    return convert(data, type_name)


def is_model_name(type_name: str) -> bool:
    from pieces_os_client import models
    from pieces_os_client.models._base import WireModel

    found = getattr(models, type_name, None) if type_name in models.__all__ else None
    return isinstance(found, type) and issubclass(found, WireModel)


def model_class(type_name: str) -> Any:
    from pieces_os_client import models

    found = getattr(models, type_name, None)
    if found is None:
        raise ApiValueError(f"unknown response type {type_name!r}")
    return found


JSON_MEDIA_TYPE = re.compile(r"^application/(json|[\w!#$&.+\-^_]+\+json)\s*(;|$)", re.IGNORECASE)
TEXT_MEDIA_TYPE = re.compile(r"^text/[a-z.+\-]+\s*(;|$)", re.IGNORECASE)
_LIST_TYPE = re.compile(r"List\[(.*)\]$")
_DICT_TYPE = re.compile(r"Dict\[([^,]*), (.*)\]$")
#: How each collection format joins a list value (``multi`` repeats the pair instead).
_DELIMITERS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}


def parse_json(text: str, expected: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError, MemoryError) as error:  # nesting or size past limits
        raise ApiResponseValidationError(
            body=text, expected=expected, problem=f"not JSON: {error}"
        ) from error


def convert(data: Any, type_name: str) -> Any:
    """``data`` (parsed JSON or text) as the published SDK's type name says."""
    if data is None:
        return None
    match = _LIST_TYPE.match(type_name)
    if match:
        return [convert(item, match.group(1)) for item in data]
    match = _DICT_TYPE.match(type_name)
    if match:
        return {key: convert(value, match.group(2)) for key, value in data.items()}
    native = NATIVE_TYPES.get(type_name)
    if native is object:
        return data
    if native in (_dt.datetime, _dt.date):
        from dateutil.parser import parse

        try:
            parsed = parse(data)
        except (ValueError, OverflowError, TypeError) as error:
            raise ApiResponseValidationError(
                body=str(data), expected=type_name, problem=str(error)
            ) from error
        return parsed if native is _dt.datetime else parsed.date()
    if native is not None:
        try:
            return native(data)
        except (TypeError, ValueError, decimal.InvalidOperation):
            return data  # as the published SDK: a value that does not convert is kept
    found = model_class(type_name)
    if isinstance(found, type) and issubclass(found, Enum):
        return found(data)
    from pydantic import ValidationError

    try:
        return found.model_validate(data)
    except ValidationError as error:
        raise ApiResponseValidationError(
            body=json.dumps(data, default=str), expected=type_name, problem=str(error)
        ) from error


def collection_pairs(
    params: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]],
    collection_formats: Optional[Mapping[str, str]],
    single: Callable[[Any], Any],
    item: Callable[[Any], str],
) -> List[Tuple[str, Any]]:
    """The pairs of ``params``: ``single`` renders a plain value (and each item of a
    ``multi`` one), ``item`` each item of a value joined by its collection format."""
    formats = collection_formats or {}
    pairs: List[Tuple[str, Any]] = []
    for name, value in params.items() if isinstance(params, Mapping) else params:
        collection_format = formats.get(name)
        if collection_format is None:
            pairs.append((name, single(value)))
        elif collection_format == "multi":
            pairs.extend((name, single(each)) for each in value)
        else:
            delimiter = _DELIMITERS.get(collection_format, ",")
            pairs.append((name, delimiter.join(item(each) for each in value)))
    return pairs


def unchanged(value: Any) -> Any:
    return value


def query_text(value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, dict):
        value = json.dumps(value)
    return query_quote(value)


def query_quote(value: Any) -> str:
    return quote(str(value))
