"""What users of the wire models rely on, case by case.

Forward compatibility (enum values and fields a newer Pieces OS sends), explicit nulls,
every timestamp form, strict construction of request bodies, the published SDK's names
(``var_schema``, ``max_tokens``, enum member names) and its helper methods.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import pprint
import re
import typing
from typing import Any, Dict, List, Tuple, Type

import pydantic
import pytest

from pieces_os_client import models
from pieces_os_client.models import (
    EmbeddedModelSchema,
    EmbeddedModelSchemaSemanticVersionEnum,
    ExternalMLProviderEnum,
    GroupedTimestamp,
    Model,
    ModelFoundationEnum,
    ModelMaxTokens,
    Models,
    ModelTypeEnum,
    ModelUsageEnum,
    SeededModel,
    WireEnum,
    WireModel,
)

MODEL_CLASSES: Dict[str, Type[WireModel]] = {
    n: getattr(models, n)
    for n in models.__all__
    if isinstance(getattr(models, n), type)
    and issubclass(getattr(models, n), WireModel)
    and n != "WireModel"
}
ENUM_CLASSES: Dict[str, Type[WireEnum]] = {
    n: getattr(models, n)
    for n in models.__all__
    if isinstance(getattr(models, n), type)
    and issubclass(getattr(models, n), WireEnum)
    and n != "WireEnum"
}

STAMP = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
WHEN = "2024-05-01T12:00:00Z"

#: The smallest valid wire payload of every model.
MINIMAL: Dict[str, Dict[str, Any]] = {
    "Models": {"iterable": []},
    "Model": {
        "id": "m1",
        "name": "Phi-3",
        "version": "3",
        "cloud": False,
        "type": "SPEED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": WHEN},
    },
    "SeededModel": {
        "name": "my-llm",
        "version": "1.0",
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_GENERATION",
        "created": {"value": WHEN},
    },
    "ModelDeleteCacheInput": {},
    "ModelDeleteCacheOutput": {"model": {"id": "m1"}},
    "ReferencedModel": {"id": "m1"},
    "ReferencedEntity": {"id": "org-1"},
    "EmbeddedModelSchema": dict(STAMP),
    "GroupedTimestamp": {"value": WHEN},
    "ByteDescriptor": {"value": 1024, "readable": "1 KB"},
    "ModelCapabilities": {},
    "ModelMaxTokens": {"total": 4096},
    "Score": {"manual": 0, "automatic": 0},
    "StreamedIdentifiers": {"iterable": []},
    "StreamedIdentifier": {},
    "ModelDownloadProgress": {},
    "SeededScore": {},
    "SeededScoreIncrement": {},
}

#: A model with every field the wire defines filled in, a schema stamp on every object.
FULL_MODEL: Dict[str, Any] = {
    "id": "m1",
    "name": "Phi-3",
    "version": "3",
    "cloud": False,
    "type": "SPEED",
    "usage": "CODE_CONVERSATION",
    "created": {"value": WHEN, "readable": "today", "schema": dict(STAMP)},
    "bytes": {"value": 2048, "readable": "2 KB", "schema": dict(STAMP)},
    "capabilities": {
        "assets": True,
        "codebases": False,
        "documents": True,
        "images": False,
        "temporal": True,
        "videos": False,
        "websites": True,
        "schema": dict(STAMP),
    },
    "cpu": True,
    "custom": False,
    "denied": False,
    "downloaded": True,
    "downloading": False,
    "foundation": "PHI_2",
    "loaded": False,
    "maxTokens": {"total": 4096, "input": 3072, "output": 1024, "schema": dict(STAMP)},
    "organization": {"id": "org-1", "reference": {"name": "Microsoft"}, "schema": dict(STAMP)},
    "parameters": 3.8,
    "provider": "MICROSOFT",
    "quantization": "q4f16_1",
    "ram": {"value": 4096, "readable": "4 KB", "schema": dict(STAMP)},
    "schema": dict(STAMP),
    "score": {
        "manual": 1,
        "automatic": 2,
        "priority": 3,
        "reference": 4,
        "reuse": 5,
        "searched": 6,
        "update": 7,
        "schema": dict(STAMP),
    },
    "unique": "phi-3-q4",
}
#: The same for a request body: a SeededModel has no id, loaded, downloading or score.
FULL_SEEDED = {
    k: v for k, v in FULL_MODEL.items() if k not in ("id", "loaded", "downloading", "score")
}


def _annotation_types(annotation: Any) -> List[Any]:
    """The classes inside ``Optional[...]``/``Union[...]``/``List[...]``/``Annotated[...]``."""
    found, stack = [], [annotation]
    while stack:
        current = stack.pop()
        args = typing.get_args(current)
        if args:
            stack.extend(args)
        else:
            found.append(current)
    return found


def _enum_fields() -> List[Tuple[str, str, str, Type[WireEnum]]]:
    """(class name, Python name, wire name, enum class) of every enum-typed field."""
    out = []
    for cls_name, cls in sorted(MODEL_CLASSES.items()):
        for py, field in cls.model_fields.items():
            for kind in _annotation_types(field.annotation):
                if isinstance(kind, type) and issubclass(kind, WireEnum):
                    out.append((cls_name, py, field.alias or py, kind))
    return out


ENUM_FIELDS = _enum_fields()
FUTURE = "FROM_A_NEWER_PIECES_OS"


# --- unknown enum values -----------------------------------------------------------------------
def test_every_enum_field_is_covered() -> None:
    covered = {(c, p) for c, p, _, _ in ENUM_FIELDS}
    assert covered == {
        ("EmbeddedModelSchema", "semantic"),
        ("Model", "type"),
        ("Model", "usage"),
        ("Model", "foundation"),
        ("Model", "provider"),
        ("SeededModel", "type"),
        ("SeededModel", "usage"),
        ("SeededModel", "foundation"),
        ("SeededModel", "provider"),
        ("ModelDownloadProgress", "status"),
    }


@pytest.mark.parametrize(
    ("cls_name", "py", "wire", "enum_cls"),
    ENUM_FIELDS,
    ids=[f"{c}.{p}" for c, p, _, _ in ENUM_FIELDS],
)
def test_unknown_enum_value_parses_and_is_sent_back(
    cls_name: str, py: str, wire: str, enum_cls: Type[WireEnum]
) -> None:
    cls = MODEL_CLASSES[cls_name]
    payload = dict(MINIMAL[cls_name], **{wire: FUTURE})
    for parsed in (cls.from_json(json.dumps(payload)), cls.from_dict(payload)):
        assert parsed is not None
        value = getattr(parsed, py)
        assert isinstance(value, enum_cls)
        assert isinstance(value, str)
        assert value.is_known is False
        assert value == FUTURE
        assert value.value == FUTURE
        assert value not in list(enum_cls)
        assert parsed.to_dict()[wire] == FUTURE
        assert json.loads(parsed.to_json())[wire] == FUTURE
        assert cls.from_json(parsed.to_json()) == parsed


@pytest.mark.parametrize("name", sorted(ENUM_CLASSES))
def test_known_and_unknown_members(name: str) -> None:
    enum_cls = ENUM_CLASSES[name]
    for member in enum_cls:
        assert member.is_known is True
        assert member == member.value
        assert enum_cls(member.value) is member
        assert enum_cls.from_json(json.dumps(member.value)) is member
        assert json.dumps(member) == json.dumps(member.value)
        assert hash(member) == hash(member.value)
        assert {member.value: 1}[member] == 1

    unknown = enum_cls.from_json(json.dumps(FUTURE))
    assert unknown.is_known is False
    assert unknown == FUTURE
    assert unknown != next(iter(enum_cls))
    assert enum_cls(FUTURE) == unknown
    assert {FUTURE: 1}[unknown] == 1
    assert "unknown" in repr(unknown)
    assert FUTURE not in enum_cls.known_values()
    assert json.dumps(unknown) == json.dumps(FUTURE)


@pytest.mark.parametrize("name", sorted(ENUM_CLASSES))
def test_enum_members_pickle_and_copy(name: str) -> None:
    enum_cls = ENUM_CLASSES[name]
    known = next(iter(enum_cls))
    assert pickle.loads(pickle.dumps(known)) is known
    assert copy.deepcopy(known) is known

    unknown = enum_cls(FUTURE)
    for again in (pickle.loads(pickle.dumps(unknown)), copy.deepcopy(unknown)):
        assert isinstance(again, enum_cls)
        assert again == FUTURE
        assert again.is_known is False


def test_model_holding_unknown_enum_values_pickles() -> None:
    payload = dict(MINIMAL["Model"], type=FUTURE, usage=FUTURE, foundation=FUTURE, provider=FUTURE)
    model = Model.from_json(json.dumps(payload))
    again = pickle.loads(pickle.dumps(model))
    assert again == model
    assert again.to_json() == model.to_json()
    assert again.foundation is not None and again.foundation.is_known is False


def test_wrong_json_type_for_an_enum_still_raises() -> None:
    # Forward compatibility covers new strings, not a different JSON type.
    with pytest.raises(pydantic.ValidationError) as err:
        Model.from_json(json.dumps(dict(MINIMAL["Model"], usage=7)))
    assert err.value.errors()[0]["loc"][0] == "usage"


# --- the published SDK's enum member names ------------------------------------------------------
def _published_member_name(value: str) -> str:
    """How the published SDK names a member: '.' -> _DOT_, '+' -> _PLUS, '_' between a
    digit and a letter, '-' -> _MINUS_, upper case."""
    name = value.replace(".", "_DOT_").replace("+", "_PLUS").replace("-", "_MINUS_")
    return re.sub(r"(?<=[0-9])(?=[A-Za-z])", "_", name).upper()


def test_member_names_users_already_write() -> None:
    assert ModelFoundationEnum.GPT_3_DOT_5 == "GPT_3.5"
    assert ModelFoundationEnum.COMMAND_R_PLUS == "COMMAND_R+"
    assert ModelFoundationEnum.MIXTRAL_8_X_7_B == "MIXTRAL_8_x_7B"
    assert ModelFoundationEnum.MIXTRAL_8_X_22_B == "MIXTRAL_8_x_22B"
    assert ModelFoundationEnum.LLAMA_3_8_B == "LLAMA_3_8B"
    assert ModelFoundationEnum.GEMMA_1_DOT_1_2_B == "GEMMA_1.1_2B"
    assert ModelFoundationEnum.T5 == "T5"
    assert ExternalMLProviderEnum.MSFT_AZURE_OPEN_AI == "MSFT_AZURE_OPEN_AI"
    assert ModelUsageEnum.CODE_CONVERSATION == "CODE_CONVERSATION"
    assert ModelTypeEnum.BALANCED == "BALANCED"
    assert EmbeddedModelSchemaSemanticVersionEnum.MAJOR_0_MINOR_0_PATCH_1.is_known


@pytest.mark.parametrize("name", sorted(ENUM_CLASSES))
def test_every_member_follows_the_published_naming(name: str) -> None:
    for member in ENUM_CLASSES[name]:
        assert member.name == _published_member_name(member.value)


# --- unknown fields ------------------------------------------------------------------------------
UNKNOWN_FIELDS = {
    "futureObject": {"nested": [1, None, "x"], "flag": True},
    "futureNull": None,
    "futureNumber": 1.5,
}


def _with_unknown_fields(payload: Any) -> Any:
    """A copy of ``payload`` with unknown fields added to every object, at every depth."""
    if isinstance(payload, dict):
        out = {k: _with_unknown_fields(v) for k, v in payload.items()}
        out.update(copy.deepcopy(UNKNOWN_FIELDS))
        return out
    if isinstance(payload, list):
        return [_with_unknown_fields(item) for item in payload]
    return payload


FULL_PAYLOADS = {
    "Model": FULL_MODEL,
    "SeededModel": FULL_SEEDED,
    "Models": {
        "iterable": [FULL_MODEL, MINIMAL["Model"]],
        "schema": STAMP,
        "score": FULL_MODEL["score"],
    },
    "ModelDeleteCacheOutput": {"model": {"id": "m1", "schema": STAMP}, "schema": STAMP},
    "ModelDeleteCacheInput": {"schema": STAMP},
}


@pytest.mark.parametrize("name", sorted(FULL_PAYLOADS))
def test_full_payloads_round_trip_exactly(name: str) -> None:
    cls = MODEL_CLASSES[name]
    text = json.dumps(FULL_PAYLOADS[name])
    assert json.loads(cls.from_json(text).to_json()) == FULL_PAYLOADS[name]


@pytest.mark.parametrize("name", sorted(FULL_PAYLOADS))
def test_unknown_fields_at_every_level_survive(name: str) -> None:
    cls = MODEL_CLASSES[name]
    payload = _with_unknown_fields(FULL_PAYLOADS[name])
    parsed = cls.from_json(json.dumps(payload))
    assert json.loads(parsed.to_json()) == payload
    assert parsed.to_dict() == cls.from_dict(payload).to_dict()
    assert cls.from_json(parsed.to_json()) == parsed
    assert parsed.model_extra == UNKNOWN_FIELDS


def test_unknown_fields_are_readable_on_nested_objects() -> None:
    model = Model.from_json(json.dumps(_with_unknown_fields(FULL_MODEL)))
    assert model.created.model_extra == UNKNOWN_FIELDS
    assert model.max_tokens is not None and model.max_tokens.model_extra == UNKNOWN_FIELDS
    assert model.var_schema is not None and model.var_schema.model_extra == UNKNOWN_FIELDS
    # An open object keeps whatever it holds, unknown fields included.
    assert model.organization is not None
    assert model.organization.reference == dict(name="Microsoft", **UNKNOWN_FIELDS)


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_every_model_accepts_unknown_fields(name: str) -> None:
    cls = MODEL_CLASSES[name]
    payload = dict(MINIMAL[name], **UNKNOWN_FIELDS)
    assert json.loads(cls.from_json(json.dumps(payload)).to_json()) == payload


# --- explicit nulls ------------------------------------------------------------------------------
def _optional_fields(x_nullable: bool) -> List[Tuple[str, str, str]]:
    out = []
    for cls_name, cls in sorted(MODEL_CLASSES.items()):
        for py, field in cls.model_fields.items():
            if field.is_required() and py not in cls._x_nullable:
                continue
            if (py in cls._x_nullable) == x_nullable:
                out.append((cls_name, py, field.alias or py))
    return out


NULLABLE = _optional_fields(x_nullable=True)
NOT_NULLABLE = _optional_fields(x_nullable=False)


def test_the_x_nullable_fields() -> None:
    assert {(c, p) for c, p, _ in NULLABLE} == {
        ("Model", "parameters"),
        ("SeededModel", "parameters"),
        ("ModelMaxTokens", "input"),
        ("ModelMaxTokens", "output"),
        ("ModelMaxTokens", "total"),
        ("ModelDownloadProgress", "percentage"),
    }


@pytest.mark.parametrize(
    ("cls_name", "py", "wire"), NULLABLE, ids=[f"{c}.{p}" for c, p, _ in NULLABLE]
)
def test_explicit_null_is_kept_where_the_server_tells_null_from_absent(
    cls_name: str, py: str, wire: str
) -> None:
    cls = MODEL_CLASSES[cls_name]
    payload = dict(MINIMAL[cls_name], **{wire: None})
    parsed = cls.from_json(json.dumps(payload))
    assert getattr(parsed, py) is None
    assert parsed.to_dict()[wire] is None
    assert json.loads(parsed.to_json()) == payload

    built = cls(**dict(MINIMAL[cls_name], **{py: None}))
    assert json.loads(built.to_json())[wire] is None
    if py != "total":  # left out, a nullable optional field is simply absent
        assert wire not in cls(**MINIMAL[cls_name]).to_dict()
        assert wire not in json.loads(cls(**MINIMAL[cls_name]).to_json())


@pytest.mark.parametrize(
    ("cls_name", "py", "wire"), NOT_NULLABLE, ids=[f"{c}.{p}" for c, p, _ in NOT_NULLABLE]
)
def test_explicit_null_is_dropped_elsewhere(cls_name: str, py: str, wire: str) -> None:
    cls = MODEL_CLASSES[cls_name]
    parsed = cls.from_json(json.dumps(dict(MINIMAL[cls_name], **{wire: None})))
    assert getattr(parsed, py) is None
    assert wire not in parsed.to_dict()
    assert json.loads(parsed.to_json()) == MINIMAL[cls_name]
    built = cls(**dict(MINIMAL[cls_name], **{py: None}))
    assert json.loads(built.to_json()) == MINIMAL[cls_name]


def test_max_tokens_total_may_be_absent_or_null() -> None:
    # Required in the wire facts, but the published SDK parsed a body without it: so do we,
    # and send it back as it came.
    absent = ModelMaxTokens.from_json('{"input": 4096}')
    assert (absent.total, absent.input) == (None, 4096)
    assert absent.to_json() == '{"input":4096}'
    with pytest.raises(pydantic.ValidationError, match="total"):
        ModelMaxTokens.from_json('{"total": "many"}')  # its type stays strict
    parsed = ModelMaxTokens.from_json('{"total": null}')
    assert parsed.total is None
    assert parsed.to_json() == '{"total":null}'
    assert ModelMaxTokens(total=None).to_dict() == {"total": None}


def test_explicit_nulls_deep_inside_a_snapshot() -> None:
    inner = dict(
        MINIMAL["Model"],
        parameters=None,
        cpu=None,
        maxTokens={"total": None, "input": None, "output": 8},
        futureNull=None,
    )
    snapshot = Models.from_json(json.dumps({"iterable": [MINIMAL["Model"], inner]}))
    expected_inner = {k: v for k, v in inner.items() if k != "cpu"}
    assert json.loads(snapshot.to_json()) == {"iterable": [MINIMAL["Model"], expected_inner]}
    data = snapshot.to_dict()
    assert data["iterable"][1]["maxTokens"] == {"total": None, "input": None, "output": 8}
    assert data["iterable"][1]["parameters"] is None
    assert "cpu" not in data["iterable"][1]


def test_a_string_containing_null_is_not_mistaken_for_a_null() -> None:
    model = Model.from_json(json.dumps(dict(MINIMAL["Model"], name="null", quantization=None)))
    assert json.loads(model.to_json()) == dict(MINIMAL["Model"], name="null")


def test_attribute_set_to_none_later_follows_the_same_rules() -> None:
    model = Model.from_json(json.dumps(dict(FULL_MODEL)))
    model.parameters = None
    model.cpu = None
    sent = json.loads(model.to_json())
    assert sent["parameters"] is None
    assert "cpu" not in sent


# --- timestamps ----------------------------------------------------------------------------------
UTC = dt.timezone.utc
FRACTIONS = "123456789"
TIMESTAMP_FORMS: List[Tuple[str, dt.datetime]] = [
    ("2024-05-01T12:00:00Z", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T12:00:00+00:00", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T17:30:00+05:30", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T04:00:00-08:00", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
    ("2024-05-01T12:00:00", dt.datetime(2024, 5, 1, 12, tzinfo=UTC)),
] + [
    (
        "2024-05-01T12:00:00" + ("." + FRACTIONS[:n] if n else "") + zone,
        dt.datetime(2024, 5, 1, 12, microsecond=int(FRACTIONS[:6][:n].ljust(6, "0")), tzinfo=UTC),
    )
    for n in range(10)
    for zone in ("Z", "")
]
ISO_WITH_OFFSET = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)\Z")


@pytest.mark.parametrize(("text", "instant"), TIMESTAMP_FORMS, ids=[t for t, _ in TIMESTAMP_FORMS])
def test_timestamp_forms(text: str, instant: dt.datetime) -> None:
    parsed = GroupedTimestamp.from_json(json.dumps({"value": text}))
    assert parsed.value.tzinfo is not None
    assert parsed.value == instant
    sent = json.loads(parsed.to_json())["value"]
    assert ISO_WITH_OFFSET.match(sent), sent
    assert dt.datetime.fromisoformat(sent.replace("Z", "+00:00")) == instant
    # Inside a model too, and through from_dict.
    model = Model.from_dict(dict(MINIMAL["Model"], created={"value": text}))
    assert model is not None and model.created.value == instant


def test_offset_is_kept_on_the_way_out() -> None:
    parsed = GroupedTimestamp.from_json('{"value": "2024-05-01T17:30:00.25+05:30"}')
    assert parsed.to_json() == '{"value":"2024-05-01T17:30:00.250000+05:30"}'


def test_timestamps_built_in_python() -> None:
    naive = GroupedTimestamp(value=dt.datetime(2024, 5, 1, 12))
    assert naive.value.tzinfo is not None
    assert naive.to_json() == '{"value":"2024-05-01T12:00:00Z"}'
    tokyo = dt.timezone(dt.timedelta(hours=9))
    aware = GroupedTimestamp(value=dt.datetime(2024, 5, 1, 21, tzinfo=tokyo))
    assert aware.to_json() == '{"value":"2024-05-01T21:00:00+09:00"}'
    assert aware.to_dict()["value"] == dt.datetime(2024, 5, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", "", "2024-05-01T25:00:00Z"])
def test_invalid_timestamps_raise_naming_the_field(text: str) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        Model.from_json(json.dumps(dict(MINIMAL["Model"], created={"value": text})))
    assert err.value.errors()[0]["loc"] == ("created", "value")


# --- strict construction -------------------------------------------------------------------------
SEED_KWARGS: Dict[str, Any] = {
    "name": "my-llm",
    "version": "1.0",
    "cloud": False,
    "type": ModelTypeEnum.BALANCED,
    "usage": ModelUsageEnum.CODE_GENERATION,
    "created": GroupedTimestamp(value=dt.datetime(2024, 5, 1, tzinfo=UTC)),
}


@pytest.mark.parametrize("missing", sorted(SEED_KWARGS))
def test_seeded_model_missing_required_field(missing: str) -> None:
    kwargs = {k: v for k, v in SEED_KWARGS.items() if k != missing}
    with pytest.raises(pydantic.ValidationError) as err:
        SeededModel(**kwargs)
    errors = err.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [((missing,), "missing")]
    assert missing in str(err.value)


WRONG_TYPES: List[Tuple[str, Any, Tuple[Any, ...]]] = [
    ("name", 42, ("name",)),
    ("version", 1.0, ("version",)),
    ("cloud", "false", ("cloud",)),
    ("cloud", 1, ("cloud",)),
    ("created", "2024-05-01T00:00:00Z", ("created",)),
    ("created", {"value": "not a date"}, ("created", "value")),
    ("type", 3, ("type",)),
    ("usage", ["CODE_GENERATION"], ("usage",)),
    ("cpu", "yes", ("cpu",)),
    ("parameters", "7", ("parameters",)),
    ("quantization", 4, ("quantization",)),
    ("bytes", {"value": "1", "readable": "1 B"}, ("bytes", "value")),
    # The error names the field the way the caller did.
    ("max_tokens", {"total": "4096"}, ("max_tokens", "total")),
    ("maxTokens", {"total": "4096"}, ("maxTokens", "total")),
    ("var_schema", {"migration": "0", "semantic": "UNKNOWN"}, ("var_schema", "migration")),
    ("schema", {"migration": 0}, ("schema", "semantic")),
]


@pytest.mark.parametrize(
    ("field", "value", "loc"), WRONG_TYPES, ids=[f"{f}={v!r}" for f, v, _ in WRONG_TYPES]
)
def test_seeded_model_wrong_type(field: str, value: Any, loc: Tuple[Any, ...]) -> None:
    with pytest.raises(pydantic.ValidationError) as err:
        SeededModel(**dict(SEED_KWARGS, **{field: value}))
    locs = [e["loc"] for e in err.value.errors()]
    # Unions report one error per member (``("parameters", "int")``...); all name the field.
    assert locs and all(found[: len(loc)] == loc for found in locs), locs
    assert loc[0] in str(err.value)


def test_a_correct_seeded_model_builds() -> None:
    seed = SeededModel(**SEED_KWARGS, parameters=7, max_tokens=ModelMaxTokens(total=4096))
    assert seed.to_dict()["maxTokens"] == {"total": 4096}
    assert seed.parameters == 7


# --- names the published SDK uses ---------------------------------------------------------------
@pytest.mark.parametrize(
    "name", sorted(n for n, c in MODEL_CLASSES.items() if "var_schema" in c.model_fields)
)
def test_var_schema_and_schema_are_both_accepted(name: str) -> None:
    cls = MODEL_CLASSES[name]
    stamp = EmbeddedModelSchema(**STAMP)
    by_python = cls(**MINIMAL[name], var_schema=stamp)
    by_wire = cls(**MINIMAL[name], schema=stamp)
    assert by_python == by_wire
    assert by_python.var_schema == stamp
    assert by_python.to_dict()["schema"] == STAMP
    assert "var_schema" not in by_python.to_dict()
    from_dict = cls.from_dict(dict(MINIMAL[name], var_schema=STAMP))
    assert from_dict == by_python


@pytest.mark.parametrize("cls", [Model, SeededModel])
def test_max_tokens_and_max_tokens_alias_are_both_accepted(cls: Type[WireModel]) -> None:
    tokens = ModelMaxTokens(total=8192, input=None)
    base = MINIMAL[cls.__name__]
    by_python = cls(**base, max_tokens=tokens)
    by_wire = cls(**base, maxTokens=tokens)
    assert by_python == by_wire
    assert by_python.to_dict()["maxTokens"] == {"total": 8192, "input": None}
    assert json.loads(by_wire.to_json())["maxTokens"] == {"total": 8192, "input": None}
    assert cls.from_dict(dict(base, max_tokens={"total": 8192})) == cls.from_dict(
        dict(base, maxTokens={"total": 8192})
    )


@pytest.mark.parametrize("name", sorted(MODEL_CLASSES))
def test_from_dict_none_is_none(name: str) -> None:
    assert MODEL_CLASSES[name].from_dict(None) is None


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_helpers_on_every_model(name: str) -> None:
    cls = MODEL_CLASSES[name]
    model = cls.from_json(json.dumps(MINIMAL[name]))
    assert cls.from_dict(MINIMAL[name]) == model
    assert cls.from_json(json.dumps(MINIMAL[name]).encode()) == model
    assert model.to_str() == pprint.pformat(model.to_dict())
    assert isinstance(model.to_json(), str)


def test_to_str_shows_wire_names_and_explicit_nulls() -> None:
    model = Model.from_json(json.dumps(dict(FULL_MODEL, parameters=None)))
    text = model.to_str()
    assert "'maxTokens'" in text and "max_tokens" not in text
    assert "'schema'" in text and "var_schema" not in text
    assert "'parameters': None" in text


def test_equality_compares_values() -> None:
    a = Model.from_json(json.dumps(FULL_MODEL))
    b = Model.from_dict(copy.deepcopy(FULL_MODEL))
    assert a == b
    assert a != Model.from_json(json.dumps(dict(FULL_MODEL, name="other")))
