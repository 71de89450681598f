"""The generated files are what ``tools/generate.py`` writes from the operations table.

Change ``pieces_os_client/_core/operations.py`` (or add a model module), then run
``nox -s generate``; this test names any file left stale.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_generate", ROOT / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_generate", module)
    spec.loader.exec_module(module)
    return module


def test_no_generated_file_is_stale() -> None:
    generate = _generator()
    stale = [str(path.relative_to(ROOT)) for path in generate.stale()]
    assert stale == [], "stale generated files; run `nox -s generate`: " + ", ".join(stale)


def test_a_changed_table_makes_the_check_fail(tmp_path: Path) -> None:
    generate = _generator()
    files = generate.outputs()
    api_file = ROOT / "pieces_os_client" / "api" / "models_api.py"
    files[api_file] = files[api_file].replace("def models_snapshot(", "def models_snapshot_(")
    assert generate.stale(files) == [api_file]


def test_a_changed_async_runtime_module_makes_the_check_fail() -> None:
    generate = _generator()
    files = generate.outputs()
    runner = ROOT / "pieces_os_client" / "_sync" / "runner.py"
    files[runner] = files[runner].replace("reply = perform(step)", "reply = perform(step) or 0")
    assert generate.stale(files) == [runner]


def test_the_sync_runtime_has_no_async_left() -> None:
    import ast

    generate = _generator()
    sync_files = {p: t for p, t in generate.outputs().items() if p.parent.name == "_sync"}
    assert len(sync_files) >= 7
    async_nodes = (ast.AsyncFunctionDef, ast.Await, ast.AsyncWith, ast.AsyncFor)
    for path, text in sync_files.items():
        tree = ast.parse(text)
        assert not [n for n in ast.walk(tree) if isinstance(n, async_nodes)], path.name
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = getattr(node, "module", None) or ""
                assert "asyncio" not in module and "._async" not in module, (path.name, module)


def test_unasync_substitutions() -> None:
    generate = _generator()
    unasync = generate.unasync.unasync_text
    assert unasync("    snapshot = (await api._invoke(by_name(x), {})).data\n") == (
        "    snapshot = api._invoke(by_name(x), {}).data\n"
    )
    assert unasync("async def __anext__(self) -> AsyncStream[T]:\n") == (
        "def __next__(self) -> Stream[T]:\n"
    )
    assert unasync("from pieces_os_client._backends.asyncio_websocket import AsyncStream\n") == (
        "from pieces_os_client._backends.sync_websocket import Stream\n"
    )
    assert unasync("an async context manager, an async iterator; async with x:\n") == (
        "a context manager, an iterator; with x:\n"
    )
    assert unasync("is_async=_IS_ASYNC, relocated_url_async(c)\n") == (
        "is_async=_IS_ASYNC, relocated_url(c)\n"
    )
    assert unasync("class _AsyncFollower(AsyncApi):\n") == "class _Follower(SyncApi):\n"
    # A call's parentheses stay; only those that held an await go.
    assert unasync("    await slot.keep(await open_stream(api, op, {}))\n") == (
        "    slot.keep(open_stream(api, op, {}))\n"
    )
    assert unasync("    x = [(await a()).b, f((await c()).d)]\n") == "    x = [a().b, f(c().d)]\n"
    assert unasync("    y = (await a(), b)\n") == "    y = (a(), b)\n"
