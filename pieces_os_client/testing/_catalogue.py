"""The built-in catalogue ``LocalPiecesOS`` starts with: 20 models shaped like Pieces OS's own.

Cloud and local LLMs from several providers (some downloaded, one loaded, one CPU build),
code-generation models, and the small non-LLM models Pieces OS uses for classification, OCR
and embeddings. Ids are fixed (derived from each model's ``unique``), so tests can rely on them.

The models are data: ``catalogue.json`` beside this module (shipped as package data) holds
each model as Pieces OS sends it, without its id, which :func:`builtin_id` derives.
"""

from __future__ import annotations

import functools
import json
import uuid
from importlib import resources
from typing import Any, Dict, List, Tuple

from pieces_os_client.models.model import Model

__all__ = ["LLM_USAGES", "builtin_catalogue", "builtin_id"]

#: Usages that make a model an LLM (its cache can be deleted when it runs locally).
LLM_USAGES = frozenset({"CODE_CONVERSATION", "CODE_GENERATION"})

# Namespace for the fixed ids; any constant UUID works, this one is ours.
_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a7e-4b8e-9a51-3c0f2d9e7b10")


def builtin_id(unique: str) -> str:
    """The fixed id of the built-in model whose ``unique`` is ``unique``.

    Example::

        >>> from pieces_os_client.testing import builtin_id
        >>> len(builtin_id("gpt-4o"))
        36
    """
    return str(uuid.uuid5(_ID_NAMESPACE, unique))


@functools.lru_cache(maxsize=1)
def _entries() -> Tuple[Dict[str, Any], ...]:
    """The catalogue's models on the wire, ids included: read once, validated per call."""
    text = resources.files(__package__).joinpath("catalogue.json").read_text(encoding="utf-8")
    return tuple({"id": builtin_id(entry["unique"]), **entry} for entry in json.loads(text))


def builtin_catalogue() -> List[Model]:
    """A fresh copy of the 20 built-in models, in the order ``GET /models`` lists them.

    Example::

        >>> from pieces_os_client.testing import builtin_catalogue
        >>> len(builtin_catalogue()) >= 15
        True
    """
    return [Model.model_validate(entry) for entry in _entries()]
