"""The two building blocks every wire type is made of: ``WireModel`` and ``WireEnum``.

Parsing and serialization stay inside pydantic-core (``model_validate_json`` /
``model_dump_json``); the only Python-level work is restoring explicit nulls (in the few
fields the server treats as nullable, and in unknown fields), and ``to_json`` skips that walk
when its output holds no null.
"""

from __future__ import annotations

import datetime as _dt
import json
import pprint
import typing
from enum import Enum
from typing import Any, ClassVar, Dict, FrozenSet, List, Optional, Tuple, Type, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import core_schema, to_json
from typing_extensions import Annotated, Literal

if typing.TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

_ModelT = TypeVar("_ModelT", bound="WireModel")
_EnumT = TypeVar("_EnumT", bound="WireEnum")


class WireEnum(str, Enum):
    """A string enum that accepts values a newer Pieces OS adds.

    An unknown value becomes a member-like object that compares equal to its string,
    is sent back unchanged, and reports ``is_known == False``::

        >>> from pieces_os_client.models import ModelTypeEnum
        >>> ModelTypeEnum("SPEED").is_known
        True
        >>> future = ModelTypeEnum("TURBO")
        >>> future == "TURBO", future.is_known
        (True, False)
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """True when this SDK release knows the value; False for one a newer server sent."""
        return self._value_ in type(self)._value2member_map_

    @classmethod
    def known_values(cls) -> List[str]:
        """Every value this SDK release knows, in declaration order."""
        return [member.value for member in cls]

    @classmethod
    def from_json(cls: Type[_EnumT], json_str: str) -> _EnumT:
        """Parse a JSON string literal such as ``'"SPEED"'``."""
        return cls(json.loads(json_str))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Members are str instances holding their value, so pydantic-core can write them as
        # plain strings; its enum serializer reads ``.value``, a Python call per value.
        schema = handler(source)
        typing.cast(Dict[str, Any], schema)["serialization"] = core_schema.simple_ser_schema("str")
        return schema

    def __repr__(self) -> str:
        if self.is_known:
            return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"
        return f"<{type(self).__name__} (unknown to this SDK): {self._value_!r}>"

    # str(), print() and f-strings give the wire value ("OPENAI"), as for a plain string.
    def __str__(self) -> str:
        return str(self._value_)

    def __format__(self, format_spec: str) -> str:
        return format(str(self._value_), format_spec)


def _assume_utc(value: _dt.datetime) -> _dt.datetime:
    """Timestamps without a zone are UTC on the wire; make them aware so output has an offset."""
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)


#: The wire's date-time: parses ``Z``, offsets, no zone (taken as UTC) and 0-9 fraction digits.
Timestamp = Annotated[_dt.datetime, AfterValidator(_assume_utc)]


class WireModel(BaseModel):
    """Base of every wire type: aliases on the wire, snake_case in Python, unknown fields kept.

    Example::

        >>> from pieces_os_client.models import ByteDescriptor
        >>> b = ByteDescriptor.from_json('{"value": 1024, "readable": "1 KB", "new": 1}')
        >>> b.value, b.to_json()
        (1024, '{"readable":"1 KB","value":1024,"new":1}')
    """

    model_config = ConfigDict(
        populate_by_name=True,
        extra="allow",
        protected_namespaces=(),
        ser_json_inf_nan="constants",
        # Validators are built on first use, not at import: importing the SDK stays cheap.
        defer_build=True,
    )

    #: Python names of the fields the server treats as nullable (``x-nullable`` in the spec).
    _x_nullable: ClassVar[FrozenSet[str]] = frozenset()
    #: Python names of fields the wire facts require but that parse when absent (as in the
    #: published SDK, which read them with ``.get``); test_wire_facts.py checks the list.
    _required_on_wire: ClassVar[FrozenSet[str]] = frozenset()

    # --- the published SDK's surface -------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """The wire-shaped dict: aliases as keys, unset/None fields left out, explicit nulls
        kept where the server distinguishes them and in unknown fields. Timestamps stay
        ``datetime`` objects."""
        return self._wire_dict("python")

    def to_json(self) -> str:
        """The wire JSON text (compact, ISO 8601 timestamps with offset)."""
        # Every optional field defaults to None, so without a null in it this text is exactly
        # the exclude_none form: one search in C replaces a walk over the models in Python.
        text = self.model_dump_json(by_alias=True, exclude_unset=True)
        if "null" not in text:
            return text
        return to_json(self._wire_dict("json"), inf_nan_mode="constants").decode()

    def to_str(self) -> str:
        """A pretty-printed form of :meth:`to_dict`."""
        return pprint.pformat(self.to_dict())

    @classmethod
    def from_dict(cls: Type[_ModelT], obj: Optional[Dict[str, Any]]) -> Optional[_ModelT]:
        """Build from a dict with wire (or Python) keys; ``None`` gives ``None``."""
        if obj is None:
            return None
        return cls.model_validate(obj)

    @classmethod
    def from_json(cls: Type[_ModelT], json_str: str | bytes | bytearray) -> _ModelT:
        """Parse wire JSON (``str`` or ``bytes``) straight through pydantic-core."""
        return cls.model_validate_json(json_str)

    # --- explicit nulls ----------------------------------------------------------------------
    @classmethod
    def _null_plan(cls) -> Tuple[Tuple[Tuple[str, str], ...], Tuple[Tuple[str, str, bool], ...]]:
        """Where explicit nulls can hide: (nullable leaves, fields holding nested models).

        Computed once per class. Every nested model is visited, as any of them can carry an
        unknown field whose value is null.
        """
        plan = cls.__dict__.get("_cached_null_plan")
        if plan is None:
            leaves = tuple(
                (name, cls.model_fields[name].alias or name) for name in sorted(cls._x_nullable)
            )
            carriers = []
            for name, field in cls.model_fields.items():
                nested, is_list = _nested_wire_model(field.annotation)
                if nested is not None:
                    carriers.append((name, field.alias or name, is_list))
            plan = (leaves, tuple(carriers))
            type.__setattr__(cls, "_cached_null_plan", plan)
        return plan

    def _wire_dict(self, mode: Literal["python", "json"]) -> Dict[str, Any]:
        """The wire form as Python values (``mode="json"``: JSON-ready, timestamps as text).

        ``exclude_none`` drops every None; the nulls the wire must keep are put back after.
        """
        data = self.model_dump(mode=mode, by_alias=True, exclude_none=True)
        self._restore_explicit_nulls(data)
        return data

    def _restore_explicit_nulls(self, data: Dict[str, Any]) -> None:
        """Put back the nulls ``exclude_none`` removed but the wire must keep."""
        # One pass over (model, its dumped dict) pairs; runs on every to_dict, so kept lean.
        pending = [(self, data)]
        while pending:
            model, out = pending.pop()
            cls = type(model)
            leaves, carriers = cls.__dict__.get("_cached_null_plan") or cls._null_plan()
            values = model.__dict__
            for name, alias in leaves:
                if values[name] is None and name in model.__pydantic_fields_set__:
                    out[alias] = None
            extra = model.__pydantic_extra__
            if extra and None in extra.values():
                for key, value in extra.items():
                    if value is None:
                        out[key] = None
            for name, alias, is_list in carriers:
                value = values[name]
                if value is None or alias not in out:
                    continue
                if is_list:
                    pending.extend(zip(value, out[alias]))
                else:
                    pending.append((value, out[alias]))


def _nested_wire_model(annotation: Any) -> Tuple[Optional[Type[WireModel]], bool]:
    """Find the WireModel inside ``Optional[X]`` / ``List[X]`` annotations."""
    is_list = False
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, WireModel):
            return current, is_list
        origin = typing.get_origin(current)
        if origin in (list, List):
            is_list = True
        stack.extend(typing.get_args(current))
    return None, False
