"""The ``GET /models`` snapshots the benchmark parses and writes: wire text only, no SDK code.

Three kinds, each at any size (models are the catalogue's shapes, repeated with distinct ids,
names and timestamps):

- ``today``: LocalPiecesOS's built-in catalogue as it is (the shapes Pieces OS sends now).
- ``realistic``: every optional field filled, a long ``description``, unknown fields at three
  levels (model, ``created``, ``maxTokens``) and, in every fifth model, the explicit nulls
  real snapshots hold (``maxTokens.total`` and ``parameters``, both x-nullable).
- ``newer``: ``realistic`` as a newer Pieces OS would send it, with about a third of the
  enum values (foundation, provider, usage, type) unknown to this release.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable, Dict, List

_SCHEMA = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}

_DESCRIPTION = (
    "A general-purpose model tuned for code: it explains, reviews and writes code in more "
    "than forty languages, answers questions about a codebase it was given as context, and "
    "keeps a conversation about it over many turns. Runs {where}; context window and output "
    "limits are in maxTokens. Quantized builds trade a little accuracy for memory: prefer the "
    "largest one that fits in RAM. Release notes and licence terms are on the provider's site."
)

# Values a newer Pieces OS sends that this release does not know: a few new ones per enum,
# as each release adds foundations and providers.
_NEWER_VALUES = {
    "foundation": ("GPT_5", "CLAUDE_5", "GEMINI_3", "LLAMA_5_70B", "QWEN_3_32B"),
    "provider": ("XAI", "DEEPSEEK_CLOUD", "MISTRAL_CLOUD"),
    "usage": ("CODE_REVIEW", "AGENT"),
    "type": ("REASONING", "TINY"),
}
_ENUM_FIELDS = tuple(_NEWER_VALUES)


def catalogue_entries() -> List[Dict[str, Any]]:
    """Wire dicts of LocalPiecesOS's built-in catalogue (Pieces OS's own shapes)."""
    from pieces_os_client.testing import builtin_catalogue

    return [json.loads(model.to_json()) for model in builtin_catalogue()]


def _realistic(entry: Dict[str, Any], i: int) -> Dict[str, Any]:
    """Every optional field, a long description, unknown fields, nulls in every fifth model."""
    cloud = entry["cloud"]
    size = 1_500_000_000 + 250_000_000 * (i % 40)
    entry.setdefault("bytes", {"value": size, "readable": f"{size / 1e9:.1f} GB"})
    entry.setdefault("ram", {"value": size * 2, "readable": f"{size * 2 / 1e9:.1f} GB"})
    entry.setdefault("maxTokens", {"total": 8192, "input": 6144, "output": 2048})
    entry["maxTokens"].setdefault("output", 4096)
    entry["maxTokens"].setdefault("input", entry["maxTokens"]["total"])
    entry["maxTokens"]["schema"] = _SCHEMA
    entry["maxTokens"]["reasoning"] = 1024  # unknown field, second level
    entry.setdefault("parameters", 7 + i % 60)
    entry.setdefault("quantization", "q4f16_1")
    entry["capabilities"] = {
        "assets": True,
        "codebases": not cloud,
        "documents": True,
        "images": cloud,
        "schema": _SCHEMA,
        "temporal": False,
        "videos": False,
        "websites": True,
    }
    entry["created"]["schema"] = _SCHEMA
    entry["created"]["timezone"] = "UTC"  # unknown field, second level
    entry.update(
        cpu=not cloud and i % 2 == 0,
        denied=False,
        downloaded=not cloud and i % 4 == 1,
        downloading=False,
        loaded=False,
        description=_DESCRIPTION.format(where="in the cloud" if cloud else "on this machine"),
        organization={"id": str(uuid.UUID(int=i * 104_729)), "schema": _SCHEMA},
        score={
            "automatic": i % 17,
            "manual": i % 5,
            "priority": i % 3,
            "reuse": i % 11,
            "searched": i % 13,
            "update": i % 7,
            "schema": _SCHEMA,
        },
        # Unknown fields at the top level: a scalar, a list and an object.
        contextWindow=entry["maxTokens"]["total"],
        tags=["code", "chat"] if i % 2 else ["embedding"],
        pricing={"input": 0.15, "output": 0.6, "currency": "USD"},
    )
    if i % 5 == 4:
        entry["maxTokens"]["total"] = None
        entry["parameters"] = None
    return entry


def _newer(entry: Dict[str, Any], i: int) -> Dict[str, Any]:
    """``realistic``, with about a third of the enum values unknown to this release."""
    entry = _realistic(entry, i)
    for k, field in enumerate(_ENUM_FIELDS):
        if (i + k) % 3 == 0:
            values = _NEWER_VALUES[field]
            entry[field] = values[(i // 3) % len(values)]
    return entry


#: Every kind of snapshot, by name, as (description, how each model is shaped).
KINDS: Dict[str, Callable[[Dict[str, Any], int], Dict[str, Any]]] = {
    "today": lambda entry, i: entry,
    "realistic": _realistic,
    "newer": _newer,
}


def snapshot(kind: str, count: int) -> str:
    """The wire text of ``GET /models`` listing ``count`` models of ``kind``."""
    shape = KINDS[kind]
    base = catalogue_entries()
    models = []
    for i in range(count):
        entry = shape(json.loads(json.dumps(base[i % len(base)])), i)
        entry["id"] = str(uuid.UUID(int=0x5EED_0000_0000_0000 + i * 7919))
        entry["unique"] = f"{entry.get('unique', 'model')}-{i}"
        entry["name"] = f"{entry['name']} #{i}"
        entry["created"]["value"] = (
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            f".{(i * 104729) % 1_000_000:06d}Z"
        )
        models.append(entry)
    return json.dumps({"iterable": models, "schema": _SCHEMA}, separators=(",", ":"))
