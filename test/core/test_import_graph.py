"""No import cycles between the package's modules, and the transport-free core stays free of
transports.

The graph is read from the source, so it counts every import a reader (or a type checker) sees:
at module level, inside functions, and under ``if TYPE_CHECKING:``. ``from a.b import c`` is an
edge to ``a.b.c`` when that is a module, else to ``a.b``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[2] / "pieces_os_client"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> Dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _graph() -> Dict[str, Set[str]]:
    modules = _modules()
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    source = ".".join([*base, node.module] if node.module else base)
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.append(submodule if submodule in modules else source)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    # Guards the reader: if it stopped seeing imports, the checks below would pass vacuously.
    graph = _graph()
    assert "pieces_os_client._core.operations" in graph["pieces_os_client.api.models_api"]
    assert "pieces_os_client.models.model" in graph["pieces_os_client.models.models"]


def test_no_module_imports_itself_back() -> None:
    assert _cycles(_graph()) == []


def test_the_core_imports_no_transport() -> None:
    transports = ("urllib3.poolmanager", "aiohttp", "websockets", "socket", "http.client")
    for path in sorted((PACKAGE / "_core").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for imported in names:
                assert not imported.startswith(transports), (path.name, imported)
                assert not imported.startswith(
                    ("pieces_os_client.rest", "pieces_os_client.api_client", "pieces_os_client.aio")
                ), (path.name, imported)


def _imports_of(path: Path) -> List[str]:
    """Every absolute module name ``path`` imports, at any depth of its code."""
    names: List[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.append(node.module or "")
    return names


def test_the_core_imports_no_http_library_and_touches_no_other_logger() -> None:
    # The retry policy and the timeouts are our own values: a urllib3 Retry or Timeout given
    # in the configuration is read by its attributes, never imported here.
    for path in sorted((PACKAGE / "_core").glob("*.py")):
        for imported in _imports_of(path):
            assert not imported.startswith(("urllib3", "aiohttp", "websockets")), (
                path.name,
                imported,
            )
        text = path.read_text(encoding="utf-8")
        assert 'getLogger("urllib3' not in text and "addFilter(" not in text, path.name


#: What does I/O or waits: only the backends (and the clients' HTTP transports) import these.
IO_LIBRARIES = (
    "urllib3",
    "aiohttp",
    "yarl",
    "websockets",
    "threading",
    "asyncio",
    "socket",
    "ssl",
    "select",
    "selectors",
    "time",
    "http.client",
)


def _imports_io(name: str) -> bool:
    return any(name == library or name.startswith(library + ".") for library in IO_LIBRARIES)


def test_the_runtime_does_its_io_through_the_backends() -> None:
    # _async (written by hand) and _sync (generated from it) wait, sleep and open sockets
    # only through pieces_os_client._backends: so the one source serves both sides.
    runtime = sorted((PACKAGE / "_async").glob("*.py")) + sorted((PACKAGE / "_sync").glob("*.py"))
    assert len(runtime) >= 10
    for path in runtime:
        for imported in _imports_of(path):
            assert not _imports_io(imported), (str(path.relative_to(PACKAGE)), imported)


def test_the_core_imports_no_io_library_but_its_locks_and_default_clocks() -> None:
    # The core is sans-I/O: machines, rules and values. Two process-wide registries (the
    # download start gate, the search for Pieces OS) are shared by threads and event loops,
    # so they hold a threading lock; a machine's clock is injected, time.monotonic only its
    # default.
    allowed = {
        "inflight.py": {"threading"},
        "locator.py": {"threading"},
        "downloads.py": {"time"},
        "watch.py": {"time"},
        "timeouts.py": {"time"},
        "retry.py": {"time"},
    }
    for path in sorted((PACKAGE / "_core").glob("*.py")):
        for imported in _imports_of(path):
            if _imports_io(imported):
                assert imported in allowed.get(path.name, set()), (path.name, imported)


def test_the_sync_runtime_is_generated_from_the_async_one() -> None:
    # Every async runtime module has its generated twin, and nothing else is in _sync.
    written = {path.name for path in (PACKAGE / "_async").glob("*.py")}
    generated = {path.name for path in (PACKAGE / "_sync").glob("*.py")}
    assert written == generated
    for name in generated - {"__init__.py"}:
        first = (PACKAGE / "_sync" / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# Generated by tools/generate.py from pieces_os_client/_async/")


def test_the_async_client_never_reaches_the_urllib3_transport() -> None:
    # What both clients share lives in _client_base and _core; the aiohttp side imports
    # nothing of the urllib3 side, not even lazily.
    graph = _graph()
    seen: Set[str] = set()
    todo = [name for name in graph if name.startswith("pieces_os_client.aio")]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    modules = _modules()
    assert "pieces_os_client.aio.api_client" in seen
    assert "pieces_os_client.rest" not in seen and "pieces_os_client.api_client" not in seen
    for name in sorted(seen):
        assert not any(i.startswith("urllib3") for i in _imports_of(modules[name])), name
