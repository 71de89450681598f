"""The wire types follow Pieces' own facts, ``../shared/wire/models-api.schema.json``.

``test_spec_drift.py`` keeps ``docs/openapi.yaml`` and the classes together; this file checks the
classes against the facts themselves, so the next drift from what Pieces OS really sends is
caught here and not by a user. For every type the facts list: the class exists; every field has
the same wire name, JSON type, required-ness and nullability (and ``x-nullable`` the same
fields); every enum has the same values; and any object the facts allow (generated from them
by hypothesis, unknown enum values included) parses and is sent back unchanged. Types the package has beyond the facts (added by later
work before the facts list them) are left alone.

CI runs a fresh clone with ``shared/`` beside it; outside such a checkout the file is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Set, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pieces_os_client import models
from pieces_os_client.models import WireEnum, WireModel

FACTS_PATH = (
    Path(__file__).resolve().parents[2].parent / "shared" / "wire" / "models-api.schema.json"
)
if not FACTS_PATH.is_file():
    pytest.skip(
        f"the wire facts are not beside this checkout ({FACTS_PATH} is missing): "
        "clone next to the project's shared/ folder to run these checks",
        allow_module_level=True,
    )

FACTS: Dict[str, Any] = json.loads(FACTS_PATH.read_text(encoding="utf-8"))["$defs"]
ENUMS = sorted(name for name, schema in FACTS.items() if "enum" in schema)
OBJECTS = sorted(name for name, schema in FACTS.items() if "enum" not in schema)

#: Fields the facts require but the published SDK 5.0.1 types as Optional (its ``from_dict``
#: reads every property with ``.get``, so these parse when absent). Read from 5.0.1's model
#: classes for every type above: only ``ModelMaxTokens.total``.
PUBLISHED_SDK_TOLERATES_ABSENT: Set[Tuple[str, str]] = {("ModelMaxTokens", "total")}


def _fact_kind(schema: Dict[str, Any]) -> Tuple[FrozenSet[str], bool]:
    """The JSON kinds a property allows (``boolean``, ``ref:Model``, ``array<ref:Model>``...)
    and whether null is allowed."""
    options = schema.get("anyOf", [schema])
    kinds: Set[str] = set()
    nullable = False
    for option in options:
        if "$ref" in option:
            kinds.add("ref:" + option["$ref"].rsplit("/", 1)[-1])
        elif option.get("type") == "null":
            nullable = True
        elif option.get("type") == "array":
            (item,) = _fact_kind(option["items"])[0]
            kinds.add(f"array<{item}>")
        elif option.get("type") == "string" and option.get("format") == "date-time":
            kinds.add("date-time")
        else:
            kinds.add(option["type"])
    if kinds == {"number", "integer"}:
        kinds = {"number"}  # a JSON number: integers included
    return frozenset(kinds), nullable


_PYTHON_KINDS = {
    bool: "boolean",
    str: "string",
    int: "integer",
    float: "number",
    dt.datetime: "date-time",
}


def _python_kind(annotation: Any) -> Tuple[FrozenSet[str], bool]:
    """The same for a field's annotation (``Optional[StrictBool]`` -> ``{boolean}``, True)."""
    kinds: Set[str] = set()
    nullable = False
    pending: List[Any] = [annotation]
    while pending:
        current = pending.pop()
        origin = typing.get_origin(current)
        if current is type(None):
            nullable = True
        elif origin is typing.Union:
            pending.extend(typing.get_args(current))
        elif origin is typing.Annotated:
            pending.append(typing.get_args(current)[0])
        elif origin in (list, List):
            (item,) = typing.get_args(current)
            (item_kind,) = _python_kind(item)[0]
            kinds.add(f"array<{item_kind}>")
        elif origin in (dict, Dict):
            kinds.add("object")
        elif isinstance(current, type) and issubclass(current, (WireModel, WireEnum)):
            kinds.add("ref:" + current.__name__)
        else:
            kinds.add(_PYTHON_KINDS[current])
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    return frozenset(kinds), nullable


def test_every_type_in_the_facts_is_a_class_of_the_package() -> None:
    missing = [name for name in FACTS if not hasattr(models, name)]
    assert missing == []
    for name in ENUMS:
        assert issubclass(getattr(models, name), WireEnum), name
    for name in OBJECTS:
        assert issubclass(getattr(models, name), WireModel), name


@pytest.mark.parametrize("name", ENUMS)
def test_enum_values_are_the_facts(name: str) -> None:
    cls = getattr(models, name)
    assert FACTS[name]["type"] == "string"
    assert sorted(cls.known_values()) == sorted(FACTS[name]["enum"])
    assert all(cls(value).is_known for value in FACTS[name]["enum"])


@pytest.mark.parametrize("name", OBJECTS)
def test_fields_are_the_facts(name: str) -> None:
    cls = getattr(models, name)
    facts = FACTS[name]
    properties: Dict[str, Any] = facts["properties"]
    by_wire = {field.alias or py: (py, field) for py, field in cls.model_fields.items()}
    assert sorted(by_wire) == sorted(properties), "wire names"

    for wire, schema in properties.items():
        field = by_wire[wire][1]
        assert _python_kind(field.annotation) == _fact_kind(schema), f"type of {wire}"

    required = set(facts.get("required", []))
    python_required = {wire for wire, (_, field) in by_wire.items() if field.is_required()}
    tolerated = {
        by_wire_name for by_wire_name, (py, _) in by_wire.items() if py in cls._required_on_wire
    }
    assert python_required | tolerated == required, "required fields"
    assert not python_required & tolerated
    assert {(name, wire) for wire in tolerated} == {
        pair for pair in PUBLISHED_SDK_TOLERATES_ABSENT if pair[0] == name
    }, "only what the published SDK tolerated is tolerated"

    x_nullable = {wire for wire, schema in properties.items() if schema.get("x-nullable")}
    assert {cls.model_fields[py].alias or py for py in cls._x_nullable} == x_nullable


@pytest.mark.parametrize("name", OBJECTS)
def test_a_minimal_object_of_the_facts_parses_and_goes_back_unchanged(name: str) -> None:
    """Build the smallest object the facts allow (required fields only) and round-trip it."""
    cls = getattr(models, name)
    sample = _minimal(name)
    parsed = cls.from_json(json.dumps(sample))
    assert json.loads(parsed.to_json()) == sample


def _minimal(name: str) -> Any:
    schema = FACTS[name]
    if "enum" in schema:
        return schema["enum"][0]
    return {wire: _sample(schema["properties"][wire]) for wire in schema.get("required", [])}


def _sample(schema: Dict[str, Any]) -> Any:
    kinds = _fact_kind(schema)[0]
    kind = sorted(kinds)[0] if kinds else "null"
    if kind.startswith("ref:"):
        return _minimal(kind[4:])
    if kind.startswith("array<"):
        return []
    return {
        "boolean": True,
        "string": "text",
        "integer": 7,
        "number": 1.5,
        "date-time": "2024-05-01T12:00:00Z",
        "object": {},
    }.get(kind)


# --- any object the facts allow parses and goes back unchanged ----------------------------------
_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)


def _date_time() -> st.SearchStrategy[str]:
    moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))
    # The wire's own spelling: Z, and six fraction digits only when there is a fraction.
    return moments.map(
        lambda m: (
            m.strftime("%Y-%m-%dT%H:%M:%S")
            + (f".{m.microsecond:06d}" if m.microsecond else "")
            + "Z"
        )
    )


def _value(kind: str) -> st.SearchStrategy[Any]:
    if kind.startswith("ref:"):
        return _wire(kind[4:])
    if kind.startswith("array<"):
        return st.lists(_value(kind[len("array<") : -1]), max_size=2)
    return {
        "boolean": st.booleans(),
        "string": st.text(max_size=12),
        "integer": st.integers(-(2**63), 2**63 - 1),
        "number": st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False),
        "date-time": _date_time(),
        "object": st.dictionaries(st.text(max_size=6), _JSON_SCALARS, max_size=3),
    }[kind]


def _wire(name: str) -> st.SearchStrategy[Any]:
    """Wire JSON of type ``name`` as the facts allow it: required fields always, optional
    ones sometimes, explicit nulls only where the facts make null meaningful."""
    schema = FACTS[name]
    if "enum" in schema:
        known = schema["enum"]
        return st.sampled_from(known) | st.text(min_size=1, max_size=12).filter(
            lambda value: value not in known
        )
    required = set(schema.get("required", []))
    fields: Dict[str, st.SearchStrategy[Any]] = {}
    optional: Dict[str, st.SearchStrategy[Any]] = {}
    for wire, prop in schema["properties"].items():
        kinds = _fact_kind(prop)[0]
        value = st.one_of(*(_value(kind) for kind in sorted(kinds)))
        if prop.get("x-nullable"):
            value = st.none() | value
        (fields if wire in required else optional)[wire] = value
    return st.fixed_dictionaries(fields, optional=optional)


@pytest.mark.parametrize("name", OBJECTS)
def test_any_object_of_the_facts_parses_and_goes_back_unchanged(name: str) -> None:
    cls = getattr(models, name)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_wire(name))
    def check(sample: Dict[str, Any]) -> None:
        text = json.dumps(sample)
        assert json.loads(cls.from_json(text).to_json()) == sample

    check()


# --- the operations ---------------------------------------------------------------------------
OPERATIONS_PATH = FACTS_PATH.parent / "OPERATIONS.md"
#: One row of OPERATIONS.md's operation tables: id, request, 2xx, error.
_ROW = re.compile(
    r"^\| `([a-z-]+)`(?: \(`\w+`\))? \| `(GET|POST) ([^`]+)`(.*?) \| (.*?) \| (.*?) \|$"
)


def _published_operations() -> Dict[str, Dict[str, Any]]:
    """What Pieces publishes of each operation (``../shared/wire/OPERATIONS.md``)."""
    found: Dict[str, Dict[str, Any]] = {}
    for line in OPERATIONS_PATH.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            op_id, method, path, request, answer, error = match.groups()
            body = re.search(r"body `application/json` `(\w+)`", request)
            returns = re.search(r"`(\w+)`$", answer.strip())
            found[op_id] = {
                "method": method,
                "path": path,
                "body": body.group(1) if body else None,
                "stream": "WebSocket" in request,
                "success": 101 if "WebSocket" in request else int(answer.split()[0].rstrip(",")),
                "returns": returns.group(1) if returns else None,
                "error": int(re.sub(r"\D", " ", error).split()[0]),
            }
    return found


def test_the_operations_table_is_what_pieces_publishes() -> None:
    from pieces_os_client._core.operations import OPERATIONS

    published = _published_operations()
    assert len(published) == 14
    models_ops = [op for op in OPERATIONS if op.api != "WellKnownApi"]
    assert {op.operation_id for op in models_ops} == set(published)
    for op in models_ops:
        facts = published[op.operation_id]
        assert op.name == op.operation_id.replace("-", "_")
        assert (op.method, op.path) == (facts["method"], facts["path"]), op.name
        assert op.body_type == facts["body"], op.name
        assert op.stream == facts["stream"], op.name
        assert op.success_status == facts["success"], op.name
        assert op.returns == facts["returns"], op.name
        # Ours may name more (LocalPiecesOS answers an unknown id 410), never fewer.
        assert facts["error"] in op.error_statuses, op.name
        assert op.path_params == tuple(re.findall(r"{(\w+)}", op.path))


#: One row of OPERATIONS.md's well-known table: 5.0.1's method name, request, 2xx, error.
_WELL_KNOWN_ROW = re.compile(r"^\| `(\w+)` \| `(GET|POST) ([^`]+)`(.*?) \| (.*?) \| (.*?) \|$")


def _published_well_known() -> Dict[str, Dict[str, Any]]:
    """The rows of the "well-known operations" section of OPERATIONS.md, by method name."""
    text = OPERATIONS_PATH.read_text(encoding="utf-8")
    _, marker, section = text.partition("## The well-known operations")
    assert marker, "OPERATIONS.md has no well-known section"
    found: Dict[str, Dict[str, Any]] = {}
    for line in section.split("\n## ", 1)[0].splitlines():
        match = _WELL_KNOWN_ROW.match(line)
        if match:
            name, method, path, request, answer, error = match.groups()
            stream = "WebSocket" in request
            found[name] = {
                "method": method,
                "path": path,
                "stream": stream,
                "success": 101 if stream else int(answer.split()[0]),
                "text": answer.strip().endswith("text"),
                "errors": tuple(int(code) for code in re.findall(r"\b\d{3}\b", error)),
            }
    return found


def test_the_well_known_operations_are_what_pieces_publishes() -> None:
    from pieces_os_client._core.operations import APIS, OPERATIONS, TEXT

    published = _published_well_known()
    assert len(published) == 4
    ours = {op.name: op for op in OPERATIONS if op.api == "WellKnownApi"}
    assert set(ours) == set(published)
    (api,) = (api for api in APIS if api.name == "WellKnownApi")
    assert (api.module, api.tag) == ("well_known_api", "WellKnown")
    for name, op in ours.items():
        facts = published[name]
        assert op.operation_id == name.replace("_", "-")  # Pieces' document: get-well-known-...
        assert (op.method, op.path) == (facts["method"], facts["path"]), name
        assert op.stream == facts["stream"], name
        assert op.success_status == facts["success"], name
        assert facts["text"] and op.returns == TEXT and op.text, name
        assert op.error_statuses == facts["errors"], name
        assert (op.path_params, op.body_param, op.body_type) == ((), None, None), name
        # 5.0.1 sends no API key to these (Pieces' document: security: []) and asks for text.
        assert not op.secured and op.accept == "text/plain", name
