"""How a wire model holds its state: validated assignment, unknown enum members, kept nulls.

- Assignment is validated on every field of every wire model, as in the published SDK 5.0.1:
  a wrong value raises pydantic's ``ValidationError`` (a ``ValueError``) and the model is
  left exactly as it was.
- An enum value this release does not know becomes one shared member per value.
- An explicit null the wire form keeps (x-nullable fields, unknown fields) reads as ``None``
  everywhere users look, and comes back out of every wire form.
"""

from __future__ import annotations

import copy
import json
import pickle
import typing
from typing import Any, List, Tuple, Type

import pydantic
import pytest
from test_models_behaviour import FULL_MODEL, FULL_SEEDED, MINIMAL, MODEL_CLASSES

from pieces_os_client.models import (
    Model,
    ModelFoundationEnum,
    ModelMaxTokens,
    Models,
    ModelTypeEnum,
    SeededModel,
    WireModel,
)

#: Payloads with every field set where there is one, else the smallest valid one.
PAYLOADS = {**MINIMAL, "Model": FULL_MODEL, "SeededModel": FULL_SEEDED}


def _fields() -> List[Tuple[str, str]]:
    return [(cls, py) for cls, model in sorted(MODEL_CLASSES.items()) for py in model.model_fields]


def _leaf_types(annotation: Any) -> List[Any]:
    found, stack = [], [annotation]
    while stack:
        current = stack.pop()
        args = typing.get_args(current)
        stack.extend(args) if args else found.append(current)
    return found


# --- validated assignment ------------------------------------------------------------------------
def test_the_published_sdk_example() -> None:
    model = Model.from_json(json.dumps(FULL_MODEL))
    before = model.to_json()
    with pytest.raises(ValueError, match="cloud") as caught:
        model.cloud = "yes"  # type: ignore[assignment]
    assert isinstance(caught.value, pydantic.ValidationError)
    assert model.cloud is False
    assert model.to_json() == before


@pytest.mark.parametrize(("cls_name", "py"), _fields())
def test_every_field_refuses_a_wrong_value_and_keeps_its_own(cls_name: str, py: str) -> None:
    cls: Type[WireModel] = MODEL_CLASSES[cls_name]
    model = cls.model_validate(PAYLOADS[cls_name])
    before_json, before_value = model.to_json(), getattr(model, py)
    wrong: List[Any] = [object()]
    if bool in _leaf_types(cls.model_fields[py].annotation):
        wrong.append("yes")  # strict: not coerced to True
    for value in wrong:
        with pytest.raises(pydantic.ValidationError):
            setattr(model, py, value)
        assert getattr(model, py) == before_value
        assert model.to_json() == before_json


def test_a_valid_assignment_is_validated_into_the_field_type() -> None:
    model = Model.from_json(json.dumps(FULL_MODEL))
    model.type = "BALANCED"  # type: ignore[assignment]
    model.created = {"value": "2024-06-01T08:00:00"}  # type: ignore[assignment]
    model.foundation = "A_FOUNDATION_FROM_LATER"  # type: ignore[assignment]
    assert model.type is ModelTypeEnum.BALANCED
    assert model.created.value.tzinfo is not None
    assert model.foundation.is_known is False
    sent = json.loads(model.to_json())
    assert (sent["type"], sent["created"], sent["foundation"]) == (
        "BALANCED",
        {"value": "2024-06-01T08:00:00Z"},
        "A_FOUNDATION_FROM_LATER",
    )


def test_unknown_fields_can_still_be_added() -> None:
    model = SeededModel.model_validate(FULL_SEEDED)
    model.contextWindow = 8192
    assert json.loads(model.to_json())["contextWindow"] == 8192


# --- unknown enum values ---------------------------------------------------------------------------
def test_an_unknown_value_is_one_shared_member() -> None:
    first = ModelFoundationEnum("FOUNDATION_OF_TOMORROW")
    parsed = Model.from_json(json.dumps(dict(FULL_MODEL, foundation="FOUNDATION_OF_TOMORROW")))
    assert parsed.foundation is first
    assert first.is_known is False
    assert "FOUNDATION_OF_TOMORROW" not in ModelFoundationEnum.known_values()
    assert pickle.loads(pickle.dumps(first)) is first


def test_the_unknown_value_cache_is_bounded() -> None:
    values = [f"LATER_TYPE_{i}" for i in range(400)]
    members = [ModelTypeEnum(v) for v in values]
    assert [m.value for m in members] == values
    cache = ModelTypeEnum.__dict__["_wire_unknown"]
    assert len(cache) <= 256
    # Past the bound, values are still right, just not shared.
    assert ModelTypeEnum(values[-1]) == values[-1]


@pytest.mark.parametrize("value", [[1], {"a": 1}, 5, None])
def test_a_value_that_is_no_string_is_a_value_error(value: Any) -> None:
    with pytest.raises(ValueError):
        ModelTypeEnum(value)
    payload = dict(FULL_MODEL, type=value)
    with pytest.raises(pydantic.ValidationError):
        Model.from_json(json.dumps(payload))
    with pytest.raises(pydantic.ValidationError):
        Model.model_validate(payload)


# --- kept explicit nulls -------------------------------------------------------------------------
def test_a_kept_null_reads_as_none_everywhere() -> None:
    text = json.dumps({"total": None, "input": 5, "future": None, "nested": {"a": None}})
    tokens = ModelMaxTokens.from_json(text)
    assert tokens.total is None
    assert tokens.future is None
    assert tokens.model_extra == {"future": None, "nested": {"a": None}}
    assert tokens.to_dict() == {"total": None, "input": 5, "future": None, "nested": {"a": None}}
    assert tokens.model_dump()["total"] is None
    assert json.loads(tokens.to_json()) == json.loads(text)
    assert tokens == ModelMaxTokens(total=None, input=5, future=None, nested={"a": None})
    assert repr(tokens.__dict__["total"]) == "None"


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))]
)
def test_a_kept_null_survives_copies(clone: Any) -> None:
    tokens = ModelMaxTokens.from_json('{"total": null, "future": null}')
    assert clone(tokens).to_json() == '{"total":null,"future":null}'


def test_kept_nulls_deep_in_a_snapshot_come_back_from_every_wire_form() -> None:
    entry = dict(FULL_MODEL, parameters=None, maxTokens={"total": None}, bytes=None, later=None)
    snapshot = Models.from_json(json.dumps({"iterable": [entry, FULL_MODEL]}))
    sent = json.loads(snapshot.to_json())["iterable"][0]
    assert (sent["parameters"], sent["maxTokens"], sent["later"]) == (None, {"total": None}, None)
    assert "bytes" not in sent  # not x-nullable: a null there means absent
    assert snapshot.to_dict()["iterable"][0]["maxTokens"] == {"total": None}
    from pieces_os_client import ApiClient

    assert ApiClient().sanitize_for_serialization(snapshot)["iterable"][0]["later"] is None
