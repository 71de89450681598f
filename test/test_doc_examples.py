"""Every fenced ```python block in README.md and docs/**/*.md runs, against a LocalPiecesOS.

Each page says first (a ``> **Needs:**`` line before its first example) what its examples
need; a page that says "nothing" has its examples run again with no server reachable.

Each block is one test, named ``path:line`` (the line of its opening fence). It runs on its
own, in a fresh namespace (``__name__ == "__main__"``), with ``PIECES_OS_URL`` pointing at a
LocalPiecesOS reset to its seeded catalogue, in a scratch working directory, under a time
limit. So an example must be complete: its imports, its setup, its ``Configuration()``
(which reads ``PIECES_OS_URL``). Text that is not meant to run belongs in another fence
(```text, ```console, ```pycon); there is no skip marker.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from pieces_os_client import ApiClient, Configuration
from pieces_os_client.testing import LocalPiecesOS

ROOT = Path(__file__).resolve().parent.parent
#: Fence info strings that mean "this is Python to run".
PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
#: Seconds one example may take before it is stopped.
TIME_LIMIT = 30.0
#: The pages the project's docs promise; each must carry at least one runnable example.
EXPECTED_PAGES = (
    "README.md",
    "docs/ModelsApi.md",
    "docs/ModelApi.md",
    "docs/downloads.md",
    "docs/configuration.md",
    "docs/errors.md",
    "docs/retries-and-timeouts.md",
    "docs/testing.md",
    "docs/async.md",
    "docs/cli.md",
    "docs/notebooks.md",
    "docs/migrating.md",
    "docs/streaming.md",
)

_OPEN_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
#: What a page's examples need, said before its first example: ``> **Needs:** nothing: ...``.
_NEEDS = re.compile(r"^> \*\*Needs:\*\* (?P<what>.+)$", re.MULTILINE)
_SKIP_MARKER = re.compile(r"^\s*#\s*(doctest\s*:\s*\+?skip|skip\b|no-?run\b|noqa\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One fenced block: where it opens (1-based line of the fence), its language, its code."""

    path: str
    line: int
    language: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path}:{self.line}"


class FenceError(ValueError):
    """A fence that is never closed (everything after it would silently vanish)."""


def extract_blocks(text: str, path: str = "<text>") -> List[Block]:
    """Every fenced block in a Markdown text, in order.

    Follows CommonMark where it matters here: a block closes at a line holding only a fence
    of the same character at least as long; the opening fence's indentation (a block inside
    a list item) is removed from each line of the block.
    """
    blocks: List[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _OPEN_FENCE.match(lines[index])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"].expandtabs(4))
        info = opening["info"].strip()
        language = info.split()[0].lower() if info else ""
        start = index
        body: List[str] = []
        index += 1
        while index < len(lines):
            candidate = lines[index].strip()
            if candidate.startswith(fence) and set(candidate) == {fence[0]}:
                break
            body.append(_dedent(lines[index], indent))
            index += 1
        else:
            raise FenceError(f"{path}:{start + 1}: the {fence} fence opened here never closes")
        blocks.append(Block(path, start + 1, language, "\n".join(body) + "\n"))
        index += 1
    return blocks


def _dedent(line: str, indent: int) -> str:
    expanded = line.expandtabs(4)
    strip = min(indent, len(expanded) - len(expanded.lstrip(" ")))
    return expanded[strip:]


def doc_pages() -> List[Path]:
    pages = [ROOT / "README.md"] if (ROOT / "README.md").exists() else []
    pages += sorted((ROOT / "docs").glob("**/*.md"))
    return pages


def collect() -> Tuple[List[Block], List[str]]:
    """Python blocks of every page, and the problems found (unclosed fences)."""
    blocks: List[Block] = []
    problems: List[str] = []
    for page in doc_pages():
        relative = page.relative_to(ROOT).as_posix()
        try:
            found = extract_blocks(page.read_text(encoding="utf-8"), relative)
        except FenceError as error:
            problems.append(str(error))
            continue
        blocks += [block for block in found if block.language in PYTHON_LANGUAGES]
    return blocks, problems


EXAMPLES, PROBLEMS = collect()


def page_needs(text: str) -> Optional[str]:
    """The ``Needs:`` line of a page when it comes before the page's first python example."""
    first_example = re.search(r"^\s*(`{3,}|~{3,})\s*(python3?|py)\b", text, re.MULTILINE)
    head = text[: first_example.start()] if first_example else text
    found = _NEEDS.search(head)
    return found["what"] if found else None


NEEDS = {
    page.relative_to(ROOT).as_posix(): page_needs(page.read_text(encoding="utf-8"))
    for page in doc_pages()
}
#: Examples on pages that say they need nothing: they must run with no server at all.
OFFLINE_EXAMPLES = [b for b in EXAMPLES if (NEEDS.get(b.path) or "").startswith("nothing")]


# --- running -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the main thread (even inside a blocking socket call) after ``seconds``."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the example ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _forget_process_defaults() -> None:
    default_client = ApiClient._default
    if default_client is not None:
        default_client.close()
    ApiClient.set_default(None)
    Configuration.set_default(None)


@pytest.fixture(scope="module")
def docs_server() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS() as server:
        yield server


@pytest.mark.parametrize("example", EXAMPLES, ids=[block.name for block in EXAMPLES])
def test_example_runs(
    example: Block,
    docs_server: LocalPiecesOS,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    docs_server.reset()
    # Downloads in the examples take 0.1 s instead of LocalPiecesOS's default 2 s.
    docs_server.set_download_pace(interval=0.01, step=10.0)
    _run(example, docs_server.url, monkeypatch, tmp_path)


@pytest.mark.parametrize("example", OFFLINE_EXAMPLES, ids=[b.name for b in OFFLINE_EXAMPLES])
def test_example_that_needs_nothing_runs_with_no_server(
    example: Block, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{probe.getsockname()[1]}"
    _run(example, unreachable, monkeypatch, tmp_path)


def _run(example: Block, url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIECES_OS_URL", url)
    monkeypatch.chdir(tmp_path)
    _forget_process_defaults()
    # Blank lines in front make a traceback's line numbers those of the Markdown file.
    source = "\n" * example.line + example.code
    code = compile(source, str(ROOT / example.path), "exec")
    namespace: Dict[str, Any] = {"__name__": "__main__"}
    try:
        with _time_limit(TIME_LIMIT):
            exec(code, namespace)
    finally:
        _forget_process_defaults()


# --- the collector itself --------------------------------------------------------------------------
def test_every_fence_is_closed() -> None:
    assert PROBLEMS == []


def test_every_expected_page_that_exists_has_runnable_examples() -> None:
    per_page: Dict[str, int] = {}
    for block in EXAMPLES:
        per_page[block.path] = per_page.get(block.path, 0) + 1
    existing = [page.relative_to(ROOT).as_posix() for page in doc_pages()]
    must_have = [p for p in existing if p.startswith("docs/")] + [
        p for p in EXPECTED_PAGES if p in existing
    ]
    assert must_have, "no documentation pages found: is the collector looking in the right place?"
    missing = sorted({page for page in must_have if not per_page.get(page)})
    assert missing == [], f"pages without a ```python example: {missing}"


def test_every_page_says_first_what_its_examples_need() -> None:
    with_examples = {block.path for block in EXAMPLES}
    silent = sorted(page for page in with_examples if NEEDS.get(page) is None)
    assert silent == [], f"add a '> **Needs:** ...' line before the first example: {silent}"
    assert OFFLINE_EXAMPLES, "no page says its examples need nothing"


def test_the_needs_line_must_come_before_the_first_example() -> None:
    assert page_needs("# T\n\n> **Needs:** nothing: offline.\n\n```python\nx = 1\n```\n") == (
        "nothing: offline."
    )
    assert page_needs("# T\n\n```python\nx = 1\n```\n\n> **Needs:** nothing: late.\n") is None
    assert page_needs("# T\n\nNeeds: nothing, but not marked.\n\n```py\nx = 1\n```\n") is None


def test_no_example_opts_out_of_running() -> None:
    marked = [block.name for block in EXAMPLES if _SKIP_MARKER.match(_first_line(block.code))]
    assert marked == [], f"use a ```text fence for code that is not meant to run: {marked}"


def _first_line(code: str) -> str:
    return next((line for line in code.splitlines() if line.strip()), "")


SAMPLE = """\
# Title

```python
print("one")
```

Some text with `inline` code and ```not a fence``` on one line.

````markdown
```python
print("inside a longer fence: not a block of its own")
```
````

1. A list item:

   ```py
   if True:
       print("indented")
   ```

~~~python3
print("tildes")
~~~

```text
not python
```
"""


def test_extract_blocks_follows_markdown_fences() -> None:
    blocks = extract_blocks(SAMPLE, "sample.md")
    assert [(b.line, b.language) for b in blocks] == [
        (3, "python"),
        (9, "markdown"),
        (17, "py"),
        (22, "python3"),
        (26, "text"),
    ]
    assert blocks[0].code == 'print("one")\n'
    assert blocks[1].code.startswith("```python\n")
    assert blocks[2].code == 'if True:\n    print("indented")\n'
    assert blocks[3].code == 'print("tildes")\n'


def test_an_unclosed_fence_is_an_error_not_a_silent_gap() -> None:
    with pytest.raises(FenceError, match=r"sample\.md:2"):
        extract_blocks("text\n```python\nprint(1)\n", "sample.md")


def test_a_failing_example_fails_its_test(
    docs_server: LocalPiecesOS, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = Block("docs/broken.md", 7, "python", "raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom") as caught:
        test_example_runs(broken, docs_server, monkeypatch, tmp_path)
    # The traceback points at the Markdown line of the code (fence line + 1).
    assert caught.traceback[-1].lineno + 1 == 8


def test_examples_see_a_fresh_server_and_the_environment(
    docs_server: LocalPiecesOS, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    probe = (
        "import os\n"
        "from pieces_os_client import ModelsApi\n"
        "from pieces_os_client.models import SeededModel\n"
        "assert os.environ['PIECES_OS_URL'] == URL\n"
        "api = ModelsApi()  # the default client: built from PIECES_OS_URL\n"
        "assert len(api.models_snapshot().find_by_name('doc-probe')) == 0\n"
        "seed = SeededModel(name='doc-probe', version='1', cloud=False, type='SPEED',\n"
        "    usage='CODE_CONVERSATION', created={'value': '2024-01-01T00:00:00Z'})\n"
        "api.models_create_new_model(seed)\n"
    )
    first = Block("docs/probe.md", 1, "python", f"URL = {docs_server.url!r}\n" + probe)
    for _ in range(2):  # the second run starts from the seeded catalogue again
        test_example_runs(first, docs_server, monkeypatch, tmp_path)
        assert [m.name for m in docs_server.models()].count("doc-probe") == 1


@pytest.mark.parametrize(
    ("first_line", "is_marker"),
    [
        ("# doctest: +SKIP", True),
        ("#skip", True),
        ("# no-run: needs a real Pieces OS", True),
        ("# noqa", True),
        ("# Don't skip the cleanup below", False),
        ("import pieces_os_client", False),
    ],
)
def test_skip_markers_are_recognised(first_line: str, is_marker: bool) -> None:
    assert bool(_SKIP_MARKER.match(_first_line(f"\n{first_line}\nx = 1\n"))) is is_marker
