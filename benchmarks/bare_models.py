"""The pydantic floor: bare pydantic models of the same shape as the SDK's ``Models``.

Same fields, aliases and nesting, unknown fields kept (``extra="allow"``, as the SDK must);
but plain ``str`` for every enum, plain ``datetime``, no strict types, no validated
assignment and no methods. Parsing into these is what pydantic-core costs on its own: the
SDK's parse figure over this one is what the SDK adds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional, Union

from pydantic import BaseModel, ConfigDict, Field


class _Bare(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Schema(_Bare):
    migration: int
    semantic: str


class Timestamp(_Bare):
    value: dt.datetime
    readable: Optional[str] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class Bytes(_Bare):
    value: int
    readable: str
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class Capabilities(_Bare):
    assets: Optional[bool] = None
    codebases: Optional[bool] = None
    documents: Optional[bool] = None
    images: Optional[bool] = None
    temporal: Optional[bool] = None
    videos: Optional[bool] = None
    websites: Optional[bool] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class MaxTokens(_Bare):
    total: Optional[Union[int, float]]
    input: Optional[Union[int, float]] = None
    output: Optional[Union[int, float]] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class Entity(_Bare):
    id: str
    reference: Optional[Dict[str, Any]] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class Score(_Bare):
    automatic: int
    manual: int
    priority: Optional[int] = None
    reference: Optional[int] = None
    reuse: Optional[int] = None
    searched: Optional[int] = None
    update: Optional[int] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")


class Model(_Bare):
    cloud: bool
    created: Timestamp
    id: str
    name: str
    type: str
    usage: str
    version: str
    bytes: Optional[Bytes] = None
    capabilities: Optional[Capabilities] = None
    cpu: Optional[bool] = None
    custom: Optional[bool] = None
    denied: Optional[bool] = None
    description: Optional[str] = None
    downloaded: Optional[bool] = None
    downloading: Optional[bool] = None
    foundation: Optional[str] = None
    loaded: Optional[bool] = None
    max_tokens: Optional[MaxTokens] = Field(default=None, alias="maxTokens")
    organization: Optional[Entity] = None
    parameters: Optional[Union[int, float]] = None
    provider: Optional[str] = None
    quantization: Optional[str] = None
    ram: Optional[Bytes] = None
    var_schema: Optional[Schema] = Field(default=None, alias="schema")
    score: Optional[Score] = None
    unique: Optional[str] = None


class Models(_Bare):
    iterable: List[Model]
    var_schema: Optional[Schema] = Field(default=None, alias="schema")
    score: Optional[Score] = None
