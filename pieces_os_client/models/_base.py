"""The two building blocks every wire type is made of: ``WireModel`` and ``WireEnum``.

Parsing and serialization stay inside pydantic-core (``model_validate_json`` /
``model_dump_json``). Python runs only where the wire needs it, never per known value:

- an enum value this release does not know (answered from a per-class cache after the first);
- a timestamp without a zone (made UTC);
- an explicit null the wire form keeps (in an x-nullable or an unknown field): stored as a
  marker that reads as ``None``, so every wire form is still one ``exclude_none`` dump.
"""

from __future__ import annotations

import datetime as _dt
import json
import pprint
import typing
from enum import Enum, EnumMeta
from typing import Any, ClassVar, Dict, FrozenSet, List, Optional, Type, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import SchemaSerializer, core_schema
from typing_extensions import Annotated, Literal

if typing.TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

_ModelT = TypeVar("_ModelT", bound="WireModel")
_EnumT = TypeVar("_EnumT", bound="WireEnum")

#: Unknown values remembered per enum class (one shared object per value); past this many,
#: further ones are built on each use, so a server sending endless new values cannot grow memory.
_UNKNOWN_CACHE_SIZE = 256


class _WireEnumType(EnumMeta):
    """``EnumMeta`` whose ``Cls(value)`` answers from two dicts before Enum's own machinery.

    pydantic-core finds a known value in its own table, in Rust, and calls the class for any
    other: for each unknown value on the wire. ``EnumMeta.__call__`` -> ``Enum.__new__`` ->
    ``_missing_`` costs about a microsecond each time; a dict hit a fraction of that.
    """

    def __call__(cls, value: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            try:
                member = cls._value2member_map_.get(value)
                if member is None:
                    member = cls.__dict__["_wire_unknown"].get(value)
            except (TypeError, KeyError):  # unhashable, or no unknown value seen yet
                member = None
            if member is not None:
                return member
        return super().__call__(value, *args, **kwargs)


class WireEnum(str, Enum, metaclass=_WireEnumType):
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
        unknown: Optional[Dict[str, Any]] = cls.__dict__.get("_wire_unknown")
        if unknown is None:
            unknown = {}
            # Set once the class exists: in the class body it would become a member.
            type.__setattr__(cls, "_wire_unknown", unknown)
        member = unknown.get(value)
        if member is None:
            member = str.__new__(cls, value)
            member._name_ = value
            member._value_ = value
            if len(unknown) < _UNKNOWN_CACHE_SIZE:
                member = unknown.setdefault(value, member)
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


class _AssumeUtc:
    """Annotation: a datetime whose zone-less form is read as UTC.

    Two schemas in order: an aware datetime is taken as is, all in pydantic-core; only a
    zone-less one reaches :func:`_assume_utc`. (An ``AfterValidator`` would call Python for
    every timestamp.)
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = typing.cast(Dict[str, Any], handler(source))
        aware = typing.cast(core_schema.CoreSchema, {**schema, "tz_constraint": "aware"})
        naive = core_schema.no_info_after_validator_function(
            _assume_utc, typing.cast(core_schema.CoreSchema, {**schema, "tz_constraint": "naive"})
        )
        return core_schema.union_schema(
            [aware, naive],
            mode="left_to_right",
            custom_error_type="datetime_type",
            serialization=schema.get("serialization"),
            metadata=schema.get("metadata"),
        )


#: The wire's date-time: parses ``Z``, offsets, no zone (taken as UTC) and 0-9 fraction digits.
Timestamp = Annotated[_dt.datetime, _AssumeUtc]


class _ExplicitNull:
    """What an explicit null the wire form keeps is stored as: read back as ``None``.

    The server tells ``null`` from absent in x-nullable fields, and the SDK passes unknown
    fields on as sent, nulls included. Stored as ``None``, such a null would be dropped by
    ``exclude_none`` along with the absent fields; stored as this object, pydantic-core writes
    it as ``null`` (through ``__pydantic_serializer__``, a Python call per kept null only) and
    every wire form is one ``exclude_none`` dump, with no walk over the models afterwards.
    Attribute reads give ``None``; it also equals ``None``, is falsy and pickles to itself.
    """

    __slots__ = ()
    __pydantic_serializer__ = SchemaSerializer(
        core_schema.any_schema(
            serialization=core_schema.plain_serializer_function_ser_schema(lambda _: None)
        )
    )

    def __repr__(self) -> str:
        return "None"

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return other is None or other is self

    def __hash__(self) -> int:
        return hash(None)

    def __reduce__(self) -> str:
        return "_EXPLICIT_NULL"

    def __copy__(self) -> _ExplicitNull:
        return self

    def __deepcopy__(self, memo: Any) -> _ExplicitNull:
        return self


_EXPLICIT_NULL = _ExplicitNull()


def _explicit_null(_: None) -> _ExplicitNull:
    return _EXPLICIT_NULL


class _KeepExplicitNull:
    """Annotation: a null in this place is kept (stored as ``_EXPLICIT_NULL``).

    Python runs for the null only: other values go through the field's own schema first.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        inner = schema["schema"] if schema["type"] == "nullable" else schema
        keep = core_schema.chain_schema(
            [
                core_schema.none_schema(),
                core_schema.no_info_plain_validator_function(_explicit_null),
            ]
        )
        # ``Any`` would take the null itself, so the null check goes first there.
        choices = [keep, inner] if inner["type"] == "any" else [inner, keep]
        return core_schema.union_schema(
            choices,
            mode="left_to_right",
            serialization=core_schema.any_schema().get("serialization"),
        )


#: What an unknown field may hold: any JSON value, a null kept as sent.
_ExtraValues = Dict[str, Annotated[Any, _KeepExplicitNull]]


class _NullableField:
    """Class attribute for an x-nullable field: reads ``None`` for a kept explicit null.

    A data descriptor, so it is found before the instance ``__dict__``; writes still go
    through pydantic's validated assignment, which replaces ``__dict__`` as a whole.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name]
        return None if value is _EXPLICIT_NULL else value

    def __set__(self, instance: Any, value: Any) -> None:
        # Only reached by code that bypasses BaseModel.__setattr__ (object.__setattr__).
        instance.__dict__[self.name] = value


class WireModel(BaseModel):
    """Base of every wire type: aliases on the wire, snake_case in Python, unknown fields kept.

    Example::

        >>> from pieces_os_client.models import ByteDescriptor
        >>> b = ByteDescriptor.from_json('{"value": 1024, "readable": "1 KB", "new": 1}')
        >>> b.value, b.to_json()
        (1024, '{"readable":"1 KB","value":1024,"new":1}')

    Assignment is validated, as in the published SDK: a wrong type raises pydantic's
    ``ValidationError`` (a ``ValueError``) and leaves the model as it was::

        >>> b.value = "a lot"
        Traceback (most recent call last):
        ...
        pydantic_core._pydantic_core.ValidationError: 1 validation error for ByteDescriptor
        ...
        >>> b.value
        1024
    """

    model_config = ConfigDict(
        populate_by_name=True,
        extra="allow",
        protected_namespaces=(),
        ser_json_inf_nan="constants",
        validate_assignment=True,
        # Validators are built on first use, not at import: importing the SDK stays cheap.
        defer_build=True,
    )

    # Unknown fields: any JSON value, a null kept as sent. ``Field(init=False)`` does nothing at
    # run time; it keeps type checkers (pyright, Pylance) from asking for it in every __init__.
    __pydantic_extra__: _ExtraValues = Field(init=False)

    #: Python names of the fields the server treats as nullable (``x-nullable`` in the spec).
    _x_nullable: ClassVar[FrozenSet[str]] = frozenset()
    #: Python names of fields the wire facts require but that parse when absent (as in the
    #: published SDK, which read them with ``.get``); test_wire_facts.py checks the list.
    _required_on_wire: ClassVar[FrozenSet[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Validators are deferred (defer_build), so the fields can still take the marker.
        for name in cls._x_nullable:
            field = cls.__pydantic_fields__[name]
            if not any(isinstance(item, _KeepExplicitNull) for item in field.metadata):
                field.metadata.append(_KeepExplicitNull())
            type.__setattr__(cls, name, _NullableField(name))

    if not typing.TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            value = super().__getattr__(name)
            return None if value is _EXPLICIT_NULL else value

    @property
    def model_extra(self) -> Optional[Dict[str, Any]]:
        """Unknown fields as sent (pydantic's ``model_extra``), explicit nulls as ``None``."""
        extra = self.__pydantic_extra__
        if extra and _EXPLICIT_NULL in extra.values():
            return {key: None if value is _EXPLICIT_NULL else value for key, value in extra.items()}
        return extra

    # --- the published SDK's surface -------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """The wire-shaped dict: aliases as keys, unset/None fields left out, explicit nulls
        kept where the server distinguishes them and in unknown fields. Timestamps stay
        ``datetime`` objects."""
        return self._wire_dict("python")

    def to_json(self) -> str:
        """The wire JSON text (compact, ISO 8601 timestamps with offset)."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

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

    def _wire_dict(self, mode: Literal["python", "json"]) -> Dict[str, Any]:
        """The wire form as Python values (``mode="json"``: JSON-ready, timestamps as text).

        ``exclude_none`` leaves out absent fields and the nulls the wire drops; the nulls it
        keeps are stored as ``_EXPLICIT_NULL`` and come out as ``None``.
        """
        return self.model_dump(mode=mode, by_alias=True, exclude_none=True)


# The annotation as an object, not the string this module's annotations are: pydantic before
# 2.13 resolves it in the namespace of each subclass's module, where these names are unknown.
WireModel.__annotations__["__pydantic_extra__"] = _ExtraValues
