"""Property tests: every wire type survives the trip through the SDK, for payloads built
from docs/openapi.yaml.

A small builder walks the spec's schemas and yields pairs ``(wire, expected)``: ``wire`` is a
JSON-ready payload (random optional fields, explicit nulls, every timestamp form, unknown
fields, now and then an enum value this SDK does not know) and ``expected`` is what
``to_dict()`` must give back for it (timestamps as aware datetimes at microsecond precision,
nulls dropped from known fields that are not x-nullable, unknown fields kept as sent).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pieces_os_client import models

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SCHEMAS: Dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["components"][
    "schemas"
]
MODEL_NAMES = sorted(n for n, s in SCHEMAS.items() if s.get("properties") and n in models.__all__)
ENUM_NAMES = sorted(n for n, s in SCHEMAS.items() if "enum" in s)

#: ``expected`` marker for a key that ``to_dict()`` leaves out (a null that means "absent").
_DROPPED = object()
_Pair = Tuple[Any, Any]

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- leaves ------------------------------------------------------------------------------------
def _same(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[_Pair]:
    return strategy.map(lambda value: (value, value))


_FINITE = st.floats(allow_nan=False, allow_infinity=False)
_TEXT = st.text(max_size=12)

#: Arbitrary JSON for unknown fields and open objects (no NaN: JSON has none).
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _FINITE | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _timestamps(draw: st.DrawFn) -> _Pair:
    """One instant written in any of the forms the wire uses, with the instant it means."""
    moment = draw(
        st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31))
    ).replace(microsecond=0)
    digits = draw(st.text(string.digits, max_size=9))
    zone = draw(st.sampled_from(["Z", "offset", "none"]))
    text = moment.isoformat(timespec="seconds")  # zero-padded year, unlike strftime
    if digits:
        text += "." + digits
    # Fractions beyond microseconds are truncated, as pydantic-core does.
    moment = moment.replace(microsecond=int(digits[:6].ljust(6, "0")))
    if zone == "Z":
        return text + "Z", moment.replace(tzinfo=dt.timezone.utc)
    if zone == "none":  # no zone on the wire means UTC
        return text, moment.replace(tzinfo=dt.timezone.utc)
    minutes = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59))
    sign = "-" if minutes < 0 else "+"
    text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text, moment.replace(tzinfo=dt.timezone(dt.timedelta(minutes=minutes)))


def _unknown_enum_values(known: List[str]) -> st.SearchStrategy[str]:
    return st.from_regex(r"\A[A-Z][A-Z0-9_.+]{0,15}\Z").filter(lambda v: v not in known)


# --- the builder -------------------------------------------------------------------------------
def _python_name(wire: str) -> str:
    if wire == "schema":
        return "var_schema"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()


def _for_schema(schema: Dict[str, Any]) -> st.SearchStrategy[_Pair]:
    """Pairs for one schema node: a ``$ref``, an ``allOf`` wrapper, an enum or a JSON type."""
    if "$ref" in schema:
        return _for_name(schema["$ref"].rsplit("/", 1)[-1])
    if "allOf" in schema:
        (inner,) = schema["allOf"]
        return _for_schema(inner)
    if "enum" in schema:
        known = list(schema["enum"])
        # Mostly known members, sometimes a value from a newer Pieces OS.
        values = st.sampled_from(known) | _unknown_enum_values(known)
        return _same(values)
    kind = schema["type"]
    if kind == "object" and "properties" in schema:
        return _objects(schema)
    if kind == "object":
        return _same(st.dictionaries(_TEXT, _JSON_VALUES, max_size=3))
    if kind == "array":
        items = _for_schema(schema["items"])
        return st.lists(items, max_size=2).map(
            lambda pairs: ([w for w, _ in pairs], [e for _, e in pairs])
        )
    if kind == "string" and schema.get("format") == "date-time":
        return _timestamps()
    leaves = {
        "string": _TEXT,
        "boolean": st.booleans(),
        "integer": st.integers(),
        "number": st.integers() | _FINITE,
    }
    return _same(leaves[kind])


_BY_NAME: Dict[str, st.SearchStrategy[_Pair]] = {}


def _for_name(name: str) -> st.SearchStrategy[_Pair]:
    if name not in _BY_NAME:
        _BY_NAME[name] = st.deferred(lambda: _for_schema(SCHEMAS[name]))
    return _BY_NAME[name]


def _objects(schema: Dict[str, Any]) -> st.SearchStrategy[_Pair]:
    props: Dict[str, Any] = schema["properties"]
    required = set(schema.get("required", []))
    taken = set(props) | {_python_name(wire) for wire in props}

    def field(wire: str) -> st.SearchStrategy[_Pair]:
        prop = props[wire]
        value = _for_schema(prop)
        if not prop.get("nullable"):
            return value
        # An explicit null: kept where the server tells null from absent, dropped elsewhere.
        null: _Pair = (None, None if prop.get("x-nullable") else _DROPPED)
        return st.just(null) | value

    # Unknown fields must not use a field's Python name: the constructor accepts those too.
    extra_names = _TEXT.filter(lambda key: key not in taken)
    # Unknown fields come back as sent, nulls included: the SDK cannot tell what they mean.
    extras = st.dictionaries(extra_names, _JSON_VALUES, max_size=2).map(
        lambda found: {k: (v, v) for k, v in found.items()}
    )

    def assemble(parts: Tuple[Dict[str, _Pair], Dict[str, _Pair]]) -> _Pair:
        known, unknown = parts
        pairs = {**unknown, **known}
        wire = {k: w for k, (w, _) in pairs.items()}
        expected = {k: e for k, (_, e) in pairs.items() if e is not _DROPPED}
        return wire, expected

    known = st.fixed_dictionaries(
        {wire: field(wire) for wire in sorted(required)},
        optional={wire: field(wire) for wire in sorted(set(props) - required)},
    )
    return st.tuples(known, extras).map(assemble)


# --- the properties ----------------------------------------------------------------------------
def test_the_builder_covers_every_model_and_enum() -> None:
    assert len(MODEL_NAMES) + len(ENUM_NAMES) == 24


@pytest.mark.parametrize("name", MODEL_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_from_json_then_to_dict_gives_the_payload_back(name: str, data: st.DataObject) -> None:
    cls = getattr(models, name)
    wire, expected = data.draw(_for_name(name), label=name)
    text = json.dumps(wire)
    assert cls.from_json(text).to_dict() == expected
    assert cls.from_json(text.encode()).to_dict() == expected
    assert cls.from_dict(json.loads(text)).to_dict() == expected


@pytest.mark.parametrize("name", MODEL_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_to_json_then_from_json_gives_an_equal_model(name: str, data: st.DataObject) -> None:
    cls = getattr(models, name)
    wire, _ = data.draw(_for_name(name), label=name)
    model = cls.from_json(json.dumps(wire))
    again = cls.from_json(model.to_json())
    assert again == model
    # Equality ignores which fields were set; to_dict shows the explicit nulls too.
    assert again.to_dict() == model.to_dict()
    assert again.to_json() == model.to_json()


@pytest.mark.parametrize("name", ENUM_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_enum_values_parse_to_themselves(name: str, data: st.DataObject) -> None:
    cls = getattr(models, name)
    value, _ = data.draw(_for_name(name), label=name)
    member = cls.from_json(json.dumps(value))
    assert member == value
    assert member.value == value
    assert member.is_known == (value in SCHEMAS[name]["enum"])
    assert json.loads(json.dumps(member)) == value
