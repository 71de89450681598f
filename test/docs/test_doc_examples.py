"""Every fenced ```python block in README.md and docs/**/*.md runs, against a LocalPiecesOS.

Each page says first (a ``> **Needs:**`` line before its first example) what its examples
need; a page that says "nothing" has its examples run again with no server reachable.

Each block is one test, named ``path:line`` (the line of its opening fence). It runs on its
own, in a fresh namespace (``__name__ == "__main__"``), against a LocalPiecesOS reset to its
seeded catalogue and listening where Pieces OS does (a port of 39300-39333, on the test run's
own loopback address), with no ``PIECES_OS_URL`` and nothing remembered from an earlier search:
as a reader's machine, where ``Configuration()`` finds Pieces OS by itself. It runs in a
scratch working directory, under a time limit. So an example must be complete: its imports,
its setup, its ``Configuration()``. Text that is not meant to run belongs in another fence
(```text, ```console, ```pycon); there is no skip marker.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
from _children import sigint_at_default

from pieces_os_client import ApiClient, Configuration
from pieces_os_client.testing import LocalPiecesOS

ROOT = Path(__file__).resolve().parents[2]
#: Fence info strings that mean "this is Python to run".
PYTHON_LANGUAGES = frozenset({"python", "py", "python3"})
#: Seconds one example may take before it is stopped.
TIME_LIMIT = 30.0
#: The pages the project's docs promise; each must carry at least one runnable example.
EXPECTED_PAGES = (
    "README.md",
    "docs/ModelsApi.md",
    "docs/ModelApi.md",
    "docs/WellKnownApi.md",
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
    from pieces_os_client import discovery

    # Where the default host's search looks in this run (conftest.py), on a port of the range.
    with LocalPiecesOS(host=discovery.DEFAULT_DISCOVERY_HOST) as server:
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
    _run(example, None, monkeypatch, tmp_path)


@pytest.mark.parametrize("example", OFFLINE_EXAMPLES, ids=[b.name for b in OFFLINE_EXAMPLES])
def test_example_that_needs_nothing_runs_with_no_server(
    example: Block, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{probe.getsockname()[1]}"
    _run(example, unreachable, monkeypatch, tmp_path)


def _run(
    example: Block, url: Optional[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run ``example`` with ``PIECES_OS_URL=url``, or with no PIECES_OS_URL and no earlier
    search remembered (``url`` None: the default host finds the docs' server)."""
    from pieces_os_client._core.locator import LOCATOR

    LOCATOR._forget()
    if url is None:
        monkeypatch.delenv("PIECES_OS_URL", raising=False)
    else:
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
        "assert 'PIECES_OS_URL' not in os.environ\n"
        "api = ModelsApi()  # the default client: it finds the docs' server by itself\n"
        "assert len(api.models_snapshot().find_by_name('doc-probe')) == 0\n"
        "assert api.api_client.configuration.host == URL  # found on its port\n"
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


# --- shell commands ------------------------------------------------------------------------------
# Every command a ```console or ```bash block shows runs too: here, against a fresh LocalPiecesOS
# (PIECES_OS_URL), on an 80-column pseudo-terminal like a reader's; or, for blocks that install
# something (pip, venv), in throwaway venvs by test_coexist.py (slow: the README's test command
# only); or, named below with the reason, by .ci/run. A console block's shown output must appear
# in what the command prints, in order (ids, ports and times aside; "..." lines skip).
SHELL_LANGUAGES = frozenset({"console", "bash", "sh", "shell"})


@dataclass(frozen=True)
class Exempt:
    reason: str
    #: What .ci/run must contain for the command to count as run there.
    ci_runs: Tuple[str, ...]


EXEMPT = {
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev,async]'": Exempt(
        "the README's set-up: .ci/run's first stage", ("python3 -m venv .venv", "-e '.[dev,async]'")
    ),
    ".venv/bin/python -m pytest -q -n 4 --dist worksteal": Exempt(
        "the test suite itself: .ci/run's last stage",
        (".venv/bin/python -m pytest -q -n 4 --dist worksteal",),
    ),
    "python benchmarks/run.py": Exempt("minutes of CPU", ("benchmarks/run.py --quick",)),
    "python benchmarks/run.py --quick": Exempt(
        "the benchmark smoke stage of .ci/run", ("benchmarks/run.py --quick",)
    ),
    "python benchmarks/run.py --check": Exempt("a full run, minutes", ("benchmarks/run.py",)),
    "python benchmarks/run.py --published": Exempt(
        "a full run and the published SDK from the network", ("benchmarks/run.py",)
    ),
    "python -m cProfile -s tottime benchmarks/run.py --quick | head -40": Exempt(
        "the benchmark smoke under a profiler", ("benchmarks/run.py --quick",)
    ),
}
_INSTALL = re.compile(r"(^|&&\s*|/)pip3? (install|uninstall)\b|\s-m venv\b")
_COMMENT = re.compile(r"\s+#\s.*$")
#: Commands that run until Ctrl-C: started, read until their first line, then interrupted.
_UNTIL_CTRL_C = re.compile(r"\b(serve|models watch)\b")


@dataclass(frozen=True)
class Command:
    text: str
    output: Tuple[str, ...]  # the lines a console block shows after it


def shell_commands(block: Block) -> List[Command]:
    """The commands of a shell block, each with the output shown after it."""
    commands: List[Command] = []
    if block.language != "console":
        for line in block.code.splitlines():
            text = _COMMENT.sub("", line).strip()
            if text and not text.startswith("#"):
                commands.append(Command(text, ()))
        return commands
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append(Command(_COMMENT.sub("", line[2:]).strip(), ()))
        elif commands and line.strip():
            last = commands[-1]
            commands[-1] = Command(last.text, (*last.output, line))
    return commands


def _shell_blocks() -> List[Block]:
    found: List[Block] = []
    for page in doc_pages():
        relative = page.relative_to(ROOT).as_posix()
        with contextlib.suppress(FenceError):  # reported by test_every_fence_is_closed
            blocks = extract_blocks(page.read_text(encoding="utf-8"), relative)
            found += [block for block in blocks if block.language in SHELL_LANGUAGES]
    return found


def installs(block: Block) -> bool:
    """Whether the block installs something (then test_coexist.py runs it, in a venv)."""
    return any(
        _INSTALL.search(command.text)
        for command in shell_commands(block)
        if command.text not in EXEMPT
    )


SHELL_BLOCKS = _shell_blocks()
INSTALL_BLOCKS = [block for block in SHELL_BLOCKS if installs(block)]
RUN_HERE = [
    block
    for block in SHELL_BLOCKS
    if not installs(block) and any(c.text not in EXEMPT for c in shell_commands(block))
]

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_LOCAL_URL = re.compile(r"\b(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost):\d+")
_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def normal(line: str) -> str:
    """A line of output with what differs from run to run (ids, ports, times) replaced."""
    line = _UUID.sub("<id>", line)
    line = _LOCAL_URL.sub(r"\1://<local>", line)
    line = _STAMP.sub("<time>", line)
    # A client-computed ETA, and a name cut to the column (rich releases cut one character
    # apart), differ from run to run too.
    line = re.sub(r'"eta": \d+(\.\d+)?', '"eta": <n>', line)
    line = re.sub(r"\b\d+ s left\b", "<n> s left", line)
    line = re.sub(r"\bin (\d+ min )?\d+ s\b", "in <n> s", line)  # how long it took
    line = re.sub(r"\S*…", "…", line)
    return " ".join(line.split())


def shown_output_appears(shown: Sequence[str], printed: str) -> bool:
    """Every shown line but "...", normalized, among the printed ones, in order."""
    lines = iter(normal(line) for line in printed.splitlines())
    return all(any(line == want for line in lines) for want in map(normal, shown) if want != "...")


def _on_a_terminal(command: str, env: Dict[str, str], cwd: Path) -> Tuple[int, str]:
    """Run ``command`` in bash (no pipefail: a reader's shell) with stdout and stderr on an
    80x24 pseudo-terminal."""
    import pty
    import select
    import subprocess

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        ["bash", "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=cwd,
        preexec_fn=sigint_at_default,
    )
    os.close(follower)
    chunks: List[bytes] = []
    try:
        while select.select([leader], [], [], TIME_LIMIT)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal (EIO on Linux)
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = child.wait(timeout=TIME_LIMIT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    lines = [_ANSI_ESCAPE.sub("", line.rsplit("\r", 1)[-1]) for line in text.split("\n")]
    return code, "\n".join(lines)


class _UntilCtrlC:
    """A command that runs until Ctrl-C (``serve``, ``models watch``): started in the
    background and read up to its first line (``serve``: its URL line)."""

    def __init__(self, command: str, env: Dict[str, str], cwd: Path) -> None:
        import shlex
        import subprocess

        self.process = subprocess.Popen(
            shlex.split(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            text=True,
            preexec_fn=sigint_at_default,
        )
        self.first = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:  # serve's URL line ends "Ctrl-C stops it"
            self.first = line
            if "serve" not in command or "Ctrl-C" in line:
                break
        assert self.first, f"{command!r} printed nothing"

    def url(self) -> Optional[str]:
        found = re.search(r"http://[\w.]+:\d+", self.first)
        return found.group(0) if found else None

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=TIME_LIMIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            assert self.process.stdout is not None
            self.process.stdout.close()


def shell_environment(tmp_path: Path, url: str) -> Dict[str, str]:
    """Where a reader's shell runs: this interpreter's scripts first on PATH, the docs' server
    in PIECES_OS_URL, an 80x24 terminal without colour, HOME in the scratch directory."""
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PIECES_OS_URL=url,
        COLUMNS="80",
        LINES="24",
        TERM="xterm",
        NO_COLOR="1",
        HOME=str(tmp_path),
    )
    return env


@pytest.mark.parametrize("block", RUN_HERE, ids=[block.name for block in RUN_HERE])
def test_shell_example_runs(block: Block, docs_server: LocalPiecesOS, tmp_path: Path) -> None:
    import sys

    docs_server.reset()
    env = shell_environment(tmp_path, docs_server.url)
    # The README's commands name the clone's .venv and examples/: this interpreter's and ours.
    (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    running: List[_UntilCtrlC] = []
    try:
        for command in shell_commands(block):
            if command.text in EXEMPT:
                continue
            text = _LOCAL_URL.sub(env["PIECES_OS_URL"], command.text)
            if _UNTIL_CTRL_C.search(text):
                started = _UntilCtrlC(text, env, tmp_path)
                served = started.url()
                if "serve" in text and served:
                    env["PIECES_OS_URL"] = served  # "in another terminal": the commands after
                    running.append(started)
                else:
                    assert started.interrupt() == 0, f"{command.text!r} after Ctrl-C"
                continue
            cat = re.fullmatch(r"cat (\S+)", text)
            if cat and not (tmp_path / cat.group(1)).exists():
                # "$ cat seeded.json" shows the file the next commands read: write it.
                (tmp_path / cat.group(1)).write_text("\n".join(command.output) + "\n")
            code, printed = _on_a_terminal(text, env, tmp_path)
            assert code == 0, f"{block.name}: {command.text!r} exited {code}:\n{printed}"
            assert shown_output_appears(command.output, printed), (
                f"{block.name}: {command.text!r} printed:\n{printed}\nnot what the page shows:\n"
                + "\n".join(command.output)
            )
    finally:
        for started in running:
            assert started.interrupt() == 0, "serve after Ctrl-C"


def test_every_shell_command_is_run_somewhere() -> None:
    """Here, by test_coexist.py (install blocks) or by .ci/run (EXEMPT, checked there)."""
    commands = {command.text for block in SHELL_BLOCKS for command in shell_commands(block)}
    assert commands, "no shell command found in the docs"
    assert set(EXEMPT) <= commands, f"exempt but not in the docs: {set(EXEMPT) - commands}"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command, exempt in EXEMPT.items():
        missing = [part for part in exempt.ci_runs if part not in ci]
        assert missing == [], f"{command!r} is said to run in .ci/run ({exempt.reason})"
    assert INSTALL_BLOCKS and RUN_HERE
    covered = {b.name for b in INSTALL_BLOCKS} | {b.name for b in RUN_HERE}
    only_exempt = [
        b.name
        for b in SHELL_BLOCKS
        if b.name not in covered and any(c.text not in EXEMPT for c in shell_commands(b))
    ]
    assert only_exempt == []


def test_shell_blocks_are_read_as_a_reader_would() -> None:
    block = Block(
        "x.md",
        1,
        "console",
        "$ pieces-os-models models list   # a comment\nID  NAME\n...\n$ cat f\n",
    )
    assert shell_commands(block) == [
        Command("pieces-os-models models list", ("ID  NAME", "...")),
        Command("cat f", ()),
    ]
    bash = Block("x.md", 1, "bash", "pip install .   # the SDK\n# a note\n\nls\n")
    assert [c.text for c in shell_commands(bash)] == ["pip install .", "ls"]
    assert installs(bash) and not installs(block)
    printed = "created model 0d6f3c1e-52a4-4d0b-9d0e-8f1c2b7a9e41 (x)\nid  0d6f3c1e-52a4-4d0b-9d0e-8f1c2b7a9e41\n"
    shown = ["created model 33f1a883-b738-4302-ab35-2efa86b99076 (x)", "..."]
    assert shown_output_appears(shown, printed)
    assert not shown_output_appears(["created model 1 (y)"], printed)
    assert not shown_output_appears(["id  x", "created model <id> (x)"], printed)  # order
    assert normal("on http://127.0.0.1:5323 at 2024-05-01T12:00:00+00:00") == (
        "on http://<local> at <time>"
    )
