"""The built-in catalogue ``LocalPiecesOS`` starts with: 20 models shaped like Pieces OS's own.

Cloud and local LLMs from several providers (some downloaded, one loaded, one CPU build),
code-generation models, and the small non-LLM models Pieces OS uses for classification, OCR
and embeddings. Ids are fixed (derived from each model's ``unique``), so tests can rely on them.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

from pieces_os_client.models.model import Model

__all__ = ["LLM_USAGES", "builtin_catalogue", "builtin_id"]

#: Usages that make a model an LLM (its cache can be deleted when it runs locally).
LLM_USAGES = frozenset({"CODE_CONVERSATION", "CODE_GENERATION"})

# Namespace for the fixed ids; any constant UUID works, this one is ours.
_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a7e-4b8e-9a51-3c0f2d9e7b10")

_KB = 1000
_MB = 1000 * _KB
_GB = 1000 * _MB


def builtin_id(unique: str) -> str:
    """The fixed id of the built-in model whose ``unique`` is ``unique``.

    Example::

        >>> from pieces_os_client.testing import builtin_id
        >>> len(builtin_id("gpt-4o"))
        36
    """
    return str(uuid.uuid5(_ID_NAMESPACE, unique))


def _size(value: int) -> Dict[str, Any]:
    if value >= _GB:
        readable = f"{value / _GB:.1f} GB"
    elif value >= _MB:
        readable = f"{value / _MB:.0f} MB"
    else:
        readable = f"{value / _KB:.0f} KB"
    return {"value": value, "readable": readable}


def _entry(
    unique: str,
    name: str,
    version: str,
    *,
    provider: str,
    foundation: str,
    usage: str,
    type: str,
    created: str,
    cloud: bool,
    max_tokens: Optional[Dict[str, Any]] = None,
    parameters: Optional[float] = None,
    size: Optional[int] = None,
    ram: Optional[int] = None,
    quantization: Optional[str] = None,
    cpu: Optional[bool] = None,
    downloaded: Optional[bool] = None,
    loaded: Optional[bool] = None,
    capabilities: Optional[Dict[str, bool]] = None,
    description: Optional[str] = None,
) -> Dict[str, Any]:
    entry: Dict[str, Any] = {
        "id": builtin_id(unique),
        "unique": unique,
        "name": name,
        "version": version,
        "provider": provider,
        "foundation": foundation,
        "usage": usage,
        "type": type,
        "cloud": cloud,
        "custom": False,
        "created": {"value": created, "readable": created[:10]},
        "schema": {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"},
    }
    optional = {
        "maxTokens": max_tokens,
        "parameters": parameters,
        "bytes": _size(size) if size is not None else None,
        "ram": _size(ram) if ram is not None else None,
        "quantization": quantization,
        "cpu": cpu,
        "capabilities": capabilities,
        "description": description,
    }
    entry.update({key: value for key, value in optional.items() if value is not None})
    if not cloud:
        # Local models always say whether they are on disk and in memory.
        entry["downloaded"] = bool(downloaded)
        entry["downloading"] = False
        entry["loaded"] = bool(loaded)
    return entry


def _tokens(total: int, output: Optional[int] = None) -> Dict[str, Any]:
    tokens: Dict[str, Any] = {"total": total, "input": total - (output or 0)}
    if output is not None:
        tokens["output"] = output
    return tokens


_CHAT = {"assets": True, "codebases": True, "documents": True, "websites": True}
_CHAT_IMAGES = {**_CHAT, "images": True}

_ENTRIES: List[Dict[str, Any]] = [
    # --- cloud LLMs ---------------------------------------------------------------------------
    _entry(
        "gpt-4o",
        "GPT-4o",
        "2024-08-06",
        provider="OPENAI",
        foundation="GPT_4",
        usage="CODE_CONVERSATION",
        type="ACCURACY",
        created="2024-05-13T17:00:00Z",
        cloud=True,
        max_tokens=_tokens(128_000, 16_384),
        capabilities=_CHAT_IMAGES,
        description="OpenAI's multimodal flagship: text and images in, text out, fast.",
    ),
    _entry(
        "gpt-4o-mini",
        "GPT-4o Mini",
        "2024-07-18",
        provider="OPENAI",
        foundation="GPT_LATEST",
        usage="CODE_CONVERSATION",
        type="SPEED",
        created="2024-07-18T16:00:00Z",
        cloud=True,
        max_tokens=_tokens(128_000, 16_384),
        capabilities=_CHAT,
    ),
    _entry(
        "claude-3-5-sonnet",
        "Claude 3.5 Sonnet",
        "20241022",
        provider="ANTHROPIC",
        foundation="CLAUDE_3.5",
        usage="CODE_CONVERSATION",
        type="ACCURACY",
        created="2024-10-22T15:00:00Z",
        cloud=True,
        max_tokens=_tokens(200_000, 8_192),
        capabilities=_CHAT_IMAGES,
    ),
    _entry(
        "claude-sonnet-4",
        "Claude Sonnet 4",
        "20250514",
        provider="ANTHROPIC",
        foundation="CLAUDE_4",
        usage="CODE_GENERATION",
        type="BALANCED",
        created="2025-05-22T16:30:00Z",
        cloud=True,
        max_tokens=_tokens(200_000, 64_000),
        capabilities=_CHAT_IMAGES,
        description="Anthropic's balanced model for coding and long-context reasoning.",
    ),
    _entry(
        "gemini-1.5-pro",
        "Gemini 1.5 Pro",
        "002",
        provider="GOOGLE",
        foundation="GEMINI_1.5",
        usage="CODE_CONVERSATION",
        type="ACCURACY",
        created="2024-09-24T16:00:00Z",
        cloud=True,
        max_tokens=_tokens(2_000_000, 8_192),
        capabilities=_CHAT_IMAGES,
    ),
    _entry(
        "gemini-2.0-flash",
        "Gemini 2.0 Flash",
        "001",
        provider="GOOGLE",
        foundation="GEMINI_2",
        usage="CODE_CONVERSATION",
        type="SPEED",
        created="2025-02-05T17:00:00Z",
        cloud=True,
        max_tokens=_tokens(1_048_576, 8_192),
        description="Google's low-latency multimodal model with a 1M-token context.",
    ),
    _entry(
        "perplexity-sonar",
        "Sonar",
        "2025-01",
        provider="PERPLEXITY",
        foundation="PERPLEXITY_DEFAULT",
        usage="CODE_CONVERSATION",
        type="BALANCED",
        created="2025-01-21T14:00:00Z",
        cloud=True,
        max_tokens=_tokens(127_072),
    ),
    _entry(
        "azure-gpt-4o",
        "Azure OpenAI GPT-4o",
        "2024-08-06",
        provider="MSFT_AZURE_OPEN_AI",
        foundation="MSFT_AZURE_OPEN_AI_LATEST",
        usage="CODE_CONVERSATION",
        type="BALANCED",
        created="2024-09-10T09:00:00Z",
        cloud=True,
        max_tokens=_tokens(128_000, 16_384),
    ),
    # --- local LLMs ---------------------------------------------------------------------------
    _entry(
        "llama-3-8b-instruct-q4f16_1-gpu",
        "Llama 3 8B Instruct",
        "3.0",
        provider="META",
        foundation="LLAMA_3_8B",
        usage="CODE_CONVERSATION",
        type="BALANCED",
        created="2024-04-18T16:00:00Z",
        cloud=False,
        max_tokens=_tokens(8_192),
        parameters=8.0,
        size=4_920 * _MB,
        ram=8 * _GB,
        quantization="q4f16_1",
        cpu=False,
        downloaded=True,
        loaded=True,
        description="Meta's 8B instruction-tuned Llama 3, 4-bit, runs on the GPU.",
    ),
    _entry(
        "llama-3-8b-instruct-q4f32_1-cpu",
        "Llama 3 8B Instruct (CPU)",
        "3.0",
        provider="META",
        foundation="LLAMA_3_8B",
        usage="CODE_CONVERSATION",
        type="BALANCED",
        created="2024-04-18T16:00:00Z",
        cloud=False,
        max_tokens=_tokens(8_192),
        parameters=8.0,
        size=5_670 * _MB,
        ram=10 * _GB,
        quantization="q4f32_1",
        cpu=True,
        downloaded=False,
        description="Meta's 8B instruction-tuned Llama 3, 4-bit, for machines without a GPU.",
    ),
    _entry(
        "phi-3-mini-4k-instruct",
        "Phi-3 Mini 4K Instruct",
        "3.0",
        provider="MICROSOFT",
        foundation="PHI_3_MINI",
        usage="CODE_CONVERSATION",
        type="SPEED",
        created="2024-04-23T15:00:00Z",
        cloud=False,
        max_tokens=_tokens(4_096),
        parameters=3.8,
        size=2_390 * _MB,
        ram=4 * _GB,
        quantization="q4f16_1",
        cpu=False,
        downloaded=True,
    ),
    _entry(
        "mistral-7b-instruct-v0.3",
        "Mistral 7B Instruct",
        "0.3",
        provider="HUGGING_FACE",
        foundation="MISTRAL_7B",
        usage="CODE_CONVERSATION",
        type="BALANCED",
        created="2024-05-22T12:00:00Z",
        cloud=False,
        max_tokens=_tokens(32_768),
        parameters=7.25,
        size=4_370 * _MB,
        ram=8 * _GB,
        quantization="q4f16_1",
        downloaded=False,
    ),
    _entry(
        "code-gemma-7b-it",
        "CodeGemma 7B Instruct",
        "1.1",
        provider="GOOGLE",
        foundation="CODE_GEMMA_7B",
        usage="CODE_GENERATION",
        type="ACCURACY",
        created="2024-04-09T10:00:00Z",
        cloud=False,
        max_tokens=_tokens(8_192),
        parameters=8.5,
        size=5_010 * _MB,
        ram=10 * _GB,
        quantization="q4f16_2",
        downloaded=True,
    ),
    _entry(
        "granite-8b-code-instruct",
        "Granite 8B Code Instruct",
        "3.0",
        provider="IBM",
        foundation="GRANITE_8B",
        usage="CODE_GENERATION",
        type="BALANCED",
        created="2024-05-06T13:00:00Z",
        cloud=False,
        max_tokens=_tokens(4_096),
        parameters=8.05,
        size=4_600 * _MB,
        ram=8 * _GB,
        quantization="q4f16_1",
        downloaded=False,
    ),
    _entry(
        "starcoder2-15b",
        "StarCoder2 15B",
        "2.0",
        provider="BIGCODE",
        foundation="STARCODER_LATEST",
        usage="CODE_GENERATION",
        type="ACCURACY",
        created="2024-02-28T09:00:00Z",
        cloud=False,
        max_tokens=_tokens(16_384),
        parameters=15.5,
        size=9_100 * _MB,
        ram=16 * _GB,
        quantization="q4f16_1",
        downloaded=False,
    ),
    _entry(
        "qwen2.5-coder-7b-instruct",
        "Qwen2.5 Coder 7B Instruct",
        "2.5",
        provider="HUGGING_FACE",
        foundation="QWEN_CODER_LATEST",
        usage="CODE_GENERATION",
        type="SPEED",
        created="2024-11-12T08:00:00Z",
        cloud=False,
        max_tokens=_tokens(32_768, 8_192),
        parameters=7.6,
        size=4_680 * _MB,
        ram=8 * _GB,
        quantization="q4f16_1",
        downloaded=True,
        description="Alibaba's 7B code model: generation, repair and reasoning over code.",
    ),
    # --- small local models that are not LLMs --------------------------------------------------
    _entry(
        "pieces-text-vs-code",
        "Text vs Code",
        "2.1",
        provider="PIECES",
        foundation="FAST_TEXT",
        usage="TEXT_VS_CODE",
        type="SPEED",
        created="2023-03-01T12:00:00Z",
        cloud=False,
        size=14 * _MB,
        ram=64 * _MB,
        downloaded=True,
        loaded=True,
    ),
    _entry(
        "pieces-code-classification",
        "Code Classification",
        "4.0",
        provider="PIECES",
        foundation="UNIXCODER",
        usage="CODE_CLASSIFICATION",
        type="ACCURACY",
        created="2023-06-15T12:00:00Z",
        cloud=False,
        size=480 * _MB,
        ram=1 * _GB,
        downloaded=True,
        loaded=True,
    ),
    _entry(
        "pieces-ocr",
        "Pieces OCR",
        "1.3",
        provider="PIECES",
        foundation="UNKNOWN",
        usage="OCR",
        type="BALANCED",
        created="2023-09-05T12:00:00Z",
        cloud=False,
        size=62 * _MB,
        ram=256 * _MB,
        downloaded=True,
        description="Reads code and text out of screenshots.",
    ),
    _entry(
        "potion-base-8m",
        "Potion Base 8M",
        "1.0",
        provider="MINISHLABS",
        foundation="POTION",
        usage="TEXT_EMBEDDING",
        type="SPEED",
        created="2024-10-30T10:00:00Z",
        cloud=False,
        max_tokens=_tokens(512),
        parameters=0.008,
        size=30 * _MB,
        ram=128 * _MB,
        downloaded=True,
        loaded=True,
    ),
]


def builtin_catalogue() -> List[Model]:
    """A fresh copy of the 20 built-in models, in the order ``GET /models`` lists them.

    Example::

        >>> from pieces_os_client.testing import builtin_catalogue
        >>> len(builtin_catalogue()) >= 15
        True
    """
    return [Model.model_validate(entry) for entry in _ENTRIES]
