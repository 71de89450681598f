"""docs/openapi.yaml and pieces_os_client.models describe the same wire format.

Every model class is checked against its schema in the spec (wire names, Python names,
required fields, nullability, x-nullable, field types, enum values both ways) and every
endpoint of ``ModelsApi`` against its operation, so neither can change without the other.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple, Type

import pytest
import yaml

from pieces_os_client import models
from pieces_os_client.models import WireEnum, WireModel

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SPEC: Dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
SCHEMAS: Dict[str, Any] = SPEC["components"]["schemas"]
#: Schemas in the spec that describe no model class.
NOT_MODELS: Set[str] = set()

CLASSES: Dict[str, type] = {
    name: getattr(models, name) for name in models.__all__ if name not in ("WireModel", "WireEnum")
}
MODEL_CLASSES = sorted(n for n, c in CLASSES.items() if issubclass(c, WireModel))
ENUM_CLASSES = sorted(n for n, c in CLASSES.items() if issubclass(c, WireEnum))


def _python_name(wire: str) -> str:
    """The attribute name the SDK uses for a wire name (the published SDK's convention)."""
    if wire == "schema":
        return "var_schema"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire).lower()


def _ref_name(schema: Dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def _spec_kind(prop: Dict[str, Any]) -> str:
    """A short name for a property's type in the spec: ``str``, ``date-time``, ``list[Model]``..."""
    if "$ref" in prop:
        return _ref_name(prop)
    if "allOf" in prop:
        (inner,) = prop["allOf"]
        return _ref_name(inner)
    kind = prop["type"]
    if kind == "array":
        return f"list[{_spec_kind(prop['items'])}]"
    if kind == "string" and prop.get("format") == "date-time":
        return "date-time"
    return {
        "string": "str",
        "boolean": "bool",
        "integer": "int",
        "number": "number",
        "object": "object",
    }[kind]


def _annotation_parts(annotation: Any) -> Tuple[Set[Any], bool]:
    """The non-None types inside ``Optional[...]``/``Union[...]``/``Annotated[...]``, and
    whether None is accepted."""
    found: Set[Any] = set()
    nullable = False
    stack = [annotation]
    while stack:
        current = stack.pop()
        if current is type(None):
            nullable = True
            continue
        origin = typing.get_origin(current)
        if origin is typing.Union:
            stack.extend(typing.get_args(current))
        elif origin is typing.Annotated:
            stack.append(typing.get_args(current)[0])
        else:
            found.add(current)
    return found, nullable


def _python_kind(annotation: Any) -> Tuple[str, bool]:
    """The same short name for a field annotation, and whether it accepts None."""
    parts, nullable = _annotation_parts(annotation)
    if parts == {int, float}:
        return "number", nullable
    (only,) = parts
    origin = typing.get_origin(only)
    if origin in (list, List):
        (item,) = typing.get_args(only)
        item_kind, _ = _python_kind(item)
        return f"list[{item_kind}]", nullable
    if origin in (dict, Dict):
        return "object", nullable
    if isinstance(only, type) and issubclass(only, (WireModel, WireEnum)):
        return only.__name__, nullable
    simple = {str: "str", bool: "bool", int: "int", dt.datetime: "date-time"}
    return simple[only], nullable


def test_every_schema_has_a_class_and_every_class_a_schema() -> None:
    assert set(SCHEMAS) - NOT_MODELS == set(CLASSES)
    assert len(CLASSES) == 24


@pytest.mark.parametrize("name", ENUM_CLASSES)
def test_enum_values_match_both_ways(name: str) -> None:
    cls: Type[WireEnum] = CLASSES[name]
    schema = SCHEMAS[name]
    assert schema["type"] == "string"
    # Same values in the same order, so docs and code list them alike.
    assert [member.value for member in cls] == schema["enum"]
    assert cls.known_values() == schema["enum"]
    for value in schema["enum"]:
        member = cls(value)
        assert member.is_known, value
        assert member in list(cls)


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_fields_match_the_spec(name: str) -> None:
    cls: Type[WireModel] = CLASSES[name]
    schema = SCHEMAS[name]
    props: Dict[str, Any] = schema["properties"]
    fields = cls.model_fields

    wire_to_python = {(field.alias or py): py for py, field in fields.items()}
    assert set(wire_to_python) == set(props), "wire names differ"
    for wire, py in wire_to_python.items():
        assert py == _python_name(wire), f"{wire} should be the attribute {_python_name(wire)}"

    required = {wire for wire, py in wire_to_python.items() if fields[py].is_required()}
    tolerated = {fields[py].alias or py for py in cls._required_on_wire}
    assert required | tolerated == set(schema.get("required", [])), "required fields differ"
    assert tolerated == {w for w, p in props.items() if p.get("x-sdk-optional")}

    x_nullable = {fields[py].alias or py for py in cls._x_nullable}
    assert x_nullable == {w for w, p in props.items() if p.get("x-nullable")}, "x-nullable differs"

    for wire, py in wire_to_python.items():
        kind, accepts_none = _python_kind(fields[py].annotation)
        assert kind == _spec_kind(props[wire]), f"type of {wire}"
        assert accepts_none == bool(props[wire].get("nullable")), f"nullability of {wire}"


@pytest.mark.parametrize("name", MODEL_CLASSES)
def test_objects_accept_unknown_fields_in_spec_and_code(name: str) -> None:
    assert SCHEMAS[name].get("additionalProperties") is True
    assert CLASSES[name].model_config.get("extra") == "allow"


def _operations() -> List[Tuple[str, str, Dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_the_spec_documents_every_http_operation_of_the_table() -> None:
    from pieces_os_client._core.operations import APIS, OPERATIONS

    documented = {op["operationId"]: (path, method, op) for path, method, op in _operations()}
    http = [op for op in OPERATIONS if not op.stream]
    assert set(documented) == {op.operation_id for op in http}
    classes = {api.name: api for api in APIS}
    for op in http:
        path, method, spec_op = documented[op.operation_id]
        assert (method.upper(), path) == (op.method, op.path)
        assert spec_op["tags"] == [classes[op.api].tag]
        responses = spec_op["responses"]
        assert set(responses) == {str(op.success_status), *map(str, op.error_statuses)}
        for status in op.error_statuses:  # Pieces OS answers its errors in plain text.
            assert responses[str(status)]["content"] == {
                "text/plain": {"schema": {"type": "string"}}
            }
        success = responses[str(op.success_status)]
        if op.returns is None:
            assert "content" not in success
        elif op.text:  # the well-known answers: a str, as Pieces' document says
            assert success["content"] == {"text/plain": {"schema": {"type": "string"}}}
        else:
            schema = success["content"]["application/json"]["schema"]
            assert _ref_name(schema) == op.returns
        body = spec_op.get("requestBody")
        if op.body_type is None:
            assert body is None
        else:
            assert body["required"] is False
            assert _ref_name(body["content"]["application/json"]["schema"]) == op.body_type
        assert [p["name"] for p in spec_op.get("parameters", [])] == list(op.path_params)


def test_every_operation_has_its_three_methods_sync_and_async() -> None:
    import importlib

    from pieces_os_client._core.operations import APIS, OPERATIONS

    for api in APIS:
        sync_class = getattr(
            importlib.import_module(f"pieces_os_client.api.{api.module}"), api.name
        )
        async_class = getattr(
            importlib.import_module(f"pieces_os_client.aio.{api.module}"), api.async_name
        )
        for op in (op for op in OPERATIONS if op.api == api.name):
            for suffix in ("", "_with_http_info", "_without_preload_content"):
                assert callable(getattr(sync_class, op.name + suffix))
                assert callable(getattr(async_class, op.name + suffix))


def test_every_operation_is_secured_by_the_application_id_header_but_the_well_known() -> None:
    assert SPEC["security"] == [{"application": []}]
    scheme = SPEC["components"]["securitySchemes"]["application"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "X-Application-ID",
    )
    # Pieces' document gives the well-known operations "security: []" (no key needed).
    unsecured = {op["operationId"] for _, _, op in _operations() if "security" in op}
    assert unsecured == {"get-well-known-health", "get-well-known-version", "get-installation-path"}
    assert all(op["security"] == [] for _, _, op in _operations() if "security" in op)


def test_spec_is_valid_openapi_3_0() -> None:
    # openapi-spec-validator is a dev dependency; a broken spec would also break schemathesis.
    from openapi_spec_validator import validate

    assert SPEC["openapi"].startswith("3.0.")
    validate(SPEC)


DOCS_MODELS = SPEC_PATH.parent / "models"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_type_has_a_docs_page_that_lists_its_fields_or_values(name: str) -> None:
    page = DOCS_MODELS / f"{name}.md"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {name}\n")
    assert "```python\n" in text, "the page needs a runnable example"
    cls = CLASSES[name]
    if issubclass(cls, WireEnum):
        for member in cls:
            assert f"| `{name}.{member.name}` | `{member.value}` |" in text
        assert ".is_known" in text
    else:
        for py, field in cls.model_fields.items():
            assert f"| `{field.alias or py}` | `{py}` |" in text, py
