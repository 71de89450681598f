"""The SDK next to its floor (urllib3, json, a bare pydantic model), measured in the same run.

Usage::

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # CI smoke, 1000-model snapshots only, fewer rounds
    python benchmarks/run.py --check    # exit 1 when a figure misses its target
    python benchmarks/run.py --published  # also beside the published SDK 5.0.1 (published.py)

Each figure is the median of several rounds. Every round measures the floor and then the
SDK, one right after the other, so both see the same machine state (CPU clock, caches,
other load); the ratio is the median of the per-round ratios. Timed sections run with the
garbage collector paused and free their results after the clock stops, like ``timeit``.
Only the standard library, pydantic and the SDK are used.

What is compared (targets in the table it prints):

- import: a cold ``python -c`` importing ``ModelsApi, ApiClient, Configuration`` vs importing
  pydantic, urllib3 and dateutil (the SDK's dependencies): wall and CPU time, peak RSS
  (``wait4``). Both children get bytecode caches (a throwaway ``PYTHONPYCACHEPREFIX``).
- parse / serialize: ``Models.from_json`` and ``to_json()`` vs ``json.loads`` / ``json.dumps``
  of the same data, for three snapshots (``snapshots.py``: today's catalogue, a realistic one
  with every field, unknown fields and explicit nulls, and one from a newer Pieces OS with a
  third of its enum values unknown), at 1,000 and 10,000 models. Parse is judged against the
  pydantic floor, a bare model of the same shape (``bare_models.py``) parsed in the same
  rounds; that model's own ratio to ``json.loads`` is printed for information.
- body: a ``SeededModel`` turned into request bytes vs ``json.dumps`` of its dict.
- call CPU: the CPU time this process spends per call (``time.process_time``) against a
  ``LocalPiecesOS`` running in another process, vs the same request sent with a bare
  ``urllib3.PoolManager`` and read with ``json.loads``; the snapshot is judged against the
  same request read into the bare pydantic models (its json floor printed for information).
  The server's work is not counted.
- memory: bytes still allocated per parsed model (``tracemalloc``), the SDK judged against
  bare pydantic, bare pydantic beside ``json.loads``.

The table is made of ``SECTIONS``: other modules add theirs to that list.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    # Run from a checkout without installing: the package sits next to this directory.
    sys.path.insert(0, _ROOT)

import _download  # noqa: E402  (the download figures: benchmarks/_download.py)
import _stream  # noqa: E402  (the stream figures: benchmarks/_stream.py)

SDK_IMPORT = "from pieces_os_client import ModelsApi, ApiClient, Configuration"
FLOOR_IMPORT = "import pydantic, urllib3, dateutil.parser"
SNAPSHOT_SIZE = 1000
_LLM_USAGES = ("CODE_CONVERSATION", "CODE_GENERATION")
# Wire names of SeededModel fields whose Python names differ.
_ALIASES = ("maxTokens", "schema")
_SERVER_START_TIMEOUT = 30.0

# The server process: a LocalPiecesOS until the benchmark closes its stdin (one script for
# the HTTP and the stream figures).
_SERVER_CODE = _stream.LOCAL_SERVER_CODE


@dataclass(frozen=True)
class Settings:
    """How much to measure: rounds per figure and work per round."""

    import_rounds: int
    rounds: int
    body_loops: int
    calls: int
    #: Snapshot sizes (models) for parse, serialize and memory.
    sizes: Tuple[int, ...]


QUICK = Settings(import_rounds=3, rounds=3, body_loops=200, calls=10, sizes=(SNAPSHOT_SIZE,))
FULL = Settings(
    import_rounds=21,
    rounds=25,
    body_loops=2000,
    calls=100,
    sizes=(SNAPSHOT_SIZE, 10 * SNAPSHOT_SIZE),
)


@dataclass
class Row:
    """One line of the table: a figure's samples, its floor's, and the target for their ratio.

    Sample ``i`` of both sides comes from the same round, so the ratio is the median of the
    per-round ratios: a round where the whole machine was slow moves both sides alike.
    """

    figure: str
    floor_label: str
    floor_samples: List[float]
    sdk_samples: List[float]
    unit: str
    target: Optional[float]
    #: When set, the target is absolute: the SDK may take at most this much more than the floor.
    max_extra: Optional[float] = None

    @property
    def floor(self) -> float:
        return statistics.median(self.floor_samples)

    @property
    def sdk(self) -> float:
        return statistics.median(self.sdk_samples)

    @property
    def ratio(self) -> float:
        pairs = zip(self.sdk_samples, self.floor_samples)
        return statistics.median(sdk / floor for sdk, floor in pairs)

    @property
    def extra(self) -> float:
        pairs = zip(self.sdk_samples, self.floor_samples)
        return statistics.median(sdk - floor for sdk, floor in pairs)

    @property
    def result(self) -> str:
        if self.max_extra is not None:
            return "PASS" if self.extra <= self.max_extra else "MISS"
        if self.target is None:
            return "info"
        return "PASS" if self.ratio <= self.target else "MISS"


# --- measuring ------------------------------------------------------------------------------
def _timed(func: Callable[[], Any], clock: Callable[[], float], loops: int) -> float:
    """Seconds per call of ``func`` on ``clock``, in its own steady state.

    One untimed call first, then each result is freed before the next call but after the
    clock stops: every timed call reuses the memory its predecessor of the same kind used,
    as in a program that calls it repeatedly, whatever the other side allocated before.
    """
    gc.collect()
    gc.disable()
    try:
        result = func()
        del result
        elapsed = 0.0
        for _ in range(loops):
            start = clock()
            result = func()
            elapsed += clock() - start
            del result
    finally:
        gc.enable()
    return elapsed / loops


def _pair(
    floor: Callable[[], Any],
    sdk: Callable[[], Any],
    rounds: int,
    loops: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> Tuple[List[float], List[float]]:
    """Seconds per call of the floor and of the SDK, one sample of each per round."""
    floor_times, sdk_times = _rounds([floor, sdk], rounds, loops, clock)
    return floor_times, sdk_times


def _rounds(
    funcs: List[Callable[[], Any]],
    rounds: int,
    loops: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> List[List[float]]:
    """Seconds per call of each of ``funcs``, one sample of each per round, in order."""
    samples: List[List[float]] = [[] for _ in funcs]
    for round_number in range(rounds + 2):  # the first two warm up (lazy schemas, caches, clock)
        for func, times in zip(funcs, samples):
            elapsed = _timed(func, clock, loops)
            if round_number >= 2:
                times.append(elapsed)
    return samples


# --- import ---------------------------------------------------------------------------------
def _child_env(pycache: str) -> Dict[str, str]:
    env = dict(os.environ)
    # Bytecode cached like an installed package, without writing into the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _run_child(code: str, env: Dict[str, str]) -> Dict[str, float]:
    """One child's wall seconds, and where ``os.wait4`` exists its CPU seconds and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures: Dict[str, float] = {}
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        figures["wall"] = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        figures["cpu"] = usage.ru_utime + usage.ru_stime
        # ru_maxrss is KiB on Linux, bytes on macOS.
        figures["rss"] = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    else:
        proc.wait()
        figures["wall"] = time.perf_counter() - start
    if proc.returncode != 0:
        failed = subprocess.run(
            [sys.executable, "-c", code], cwd=_ROOT, env=env, capture_output=True, text=True
        )
        raise RuntimeError(f"python -c {code!r} failed:\n{failed.stderr}")
    return figures


def bench_import(settings: Settings) -> List[Row]:
    pycache = tempfile.mkdtemp(prefix="pieces-bench-pycache-")
    try:
        env = _child_env(pycache)
        for _ in range(2):  # warm-up: writes the bytecode caches, warms the file cache
            _run_child(FLOOR_IMPORT, env)
            _run_child(SDK_IMPORT, env)
        floor_runs: List[Dict[str, float]] = []
        sdk_runs: List[Dict[str, float]] = []
        for _ in range(settings.import_rounds):
            floor_runs.append(_run_child(FLOOR_IMPORT, env))
            sdk_runs.append(_run_child(SDK_IMPORT, env))
    finally:
        shutil.rmtree(pycache, ignore_errors=True)
    floor_label = "python -c 'import pydantic, urllib3, dateutil.parser'"
    figures = (
        ("wall", "import: wall time, cold python -c", "s", 1.3),
        ("cpu", "import: CPU time (user + sys)", "s", 1.3),
        ("rss", "memory: peak RSS after import", "B", 1.5),
    )
    return [
        Row(
            figure,
            floor_label,
            [run[key] for run in floor_runs],
            [run[key] for run in sdk_runs],
            unit,
            target,
        )
        for key, figure, unit, target in figures
        if key in floor_runs[0]
    ]


# --- parse, serialize, request bodies, memory -------------------------------------------------
#: Parse and retained memory are judged against a bare pydantic model of the same shape
#: (``bare_models.py``), parsed in the same rounds: what the SDK adds to pydantic-core. The
#: json floor is printed beside it, for information.
PARSE_TARGET = 1.10
MEMORY_TARGET = 1.05
#: Targets per snapshot kind (see benchmarks/snapshots.py): to_json, ratio to json.dumps.
#: ``today`` holds no null; the other two hold explicit nulls (x-nullable fields) in a fifth
#: of their models, which the wire form keeps.
SERIALIZE_TARGETS = {"today": 1.0, "realistic": 1.1, "newer": 1.1}
BODY_TARGET = 2.0


def bench_payloads(settings: Settings) -> List[Row]:
    """Parse and to_json() of each kind of snapshot at each size, next to json and to a bare
    pydantic model of the same shape; memory per parsed model; request bodies."""
    import snapshots

    rows: List[Row] = []
    for size in settings.sizes:
        # Fewer rounds for the large snapshots: each one is ten times the work.
        rounds = settings.rounds if size <= SNAPSHOT_SIZE else max(5, settings.rounds // 3)
        for kind in snapshots.KINDS:
            rows.extend(_snapshot_rows(kind, snapshots.snapshot(kind, size), size, rounds))
    rows.extend(_bench_bodies(settings))
    return rows


_BARE_PARSE = "bare pydantic model, same text"


def _snapshot_rows(kind: str, text: str, size: int, rounds: int) -> List[Row]:
    import bare_models

    from pieces_os_client import Models

    label = f"{kind}, {size} models"
    floor_s, bare_s, sdk_s = _rounds(
        [
            lambda: json.loads(text),
            lambda: bare_models.Models.model_validate_json(text),
            lambda: Models.from_json(text),
        ],
        rounds,
    )
    rows = [
        Row(
            f"parse: Models.from_json ({label})",
            _BARE_PARSE,
            bare_s,
            sdk_s,
            "s",
            PARSE_TARGET,
        ),
        Row(
            f"parse: bare pydantic model ({label})",
            "json.loads, same text",
            floor_s,
            bare_s,
            "s",
            None,
        ),
    ]
    models = Models.from_json(text)
    dicts = json.loads(text)
    floor_s, sdk_s = _rounds([lambda: json.dumps(dicts), models.to_json], rounds)
    rows.append(
        Row(
            f"serialize: to_json() ({label})",
            "json.dumps, same dicts",
            floor_s,
            sdk_s,
            "s",
            SERIALIZE_TARGETS[kind],
        )
    )
    if size == SNAPSHOT_SIZE:
        bare_bytes = [
            _retained_per_model(lambda: bare_models.Models.model_validate_json(text), size)
        ]
        rows.append(
            Row(
                f"memory: retained per parsed model ({kind})",
                "bare pydantic models",
                bare_bytes,
                [_retained_per_model(lambda: Models.from_json(text), size)],
                "B",
                MEMORY_TARGET,
            )
        )
        rows.append(
            Row(
                f"memory: retained per bare pydantic model ({kind})",
                "json.loads dicts",
                [_retained_per_model(lambda: json.loads(text), size)],
                bare_bytes,
                "B",
                None,
            )
        )
    return rows


def _bench_bodies(settings: Settings) -> List[Row]:
    """A SeededModel turned into request bytes, both ways user code and the SDK do it."""
    import snapshots

    from pieces_os_client import ApiClient, Configuration, SeededModel

    entries = json.loads(snapshots.snapshot("realistic", 20))["iterable"]
    llm = next(m for m in entries if m["usage"] in _LLM_USAGES and not m["cloud"])
    seed_dict = {k: v for k, v in llm.items() if k in SeededModel.model_fields or k in _ALIASES}
    seed = SeededModel.from_dict(seed_dict)
    assert seed is not None
    with ApiClient(Configuration(host="http://127.0.0.1:1")) as api_client:
        floor_s, sanitize_s, to_json_s = _rounds(
            [
                lambda: json.dumps(seed_dict).encode(),
                lambda: json.dumps(api_client.sanitize_for_serialization(seed)).encode(),
                lambda: seed.to_json().encode(),
            ],
            settings.rounds,
            settings.body_loops,
        )
    return [
        Row(
            "body: sanitize_for_serialization + dumps",
            "json.dumps(dict).encode()",
            floor_s,
            sanitize_s,
            "s",
            BODY_TARGET,
        ),
        Row(
            "body: SeededModel.to_json() (create sends)",
            "json.dumps(dict).encode()",
            floor_s,
            to_json_s,
            "s",
            None,
        ),
    ]


def _retained_per_model(parse: Callable[[], Any], size: int) -> float:
    parse()  # anything built once (schemas, caches) is not per model
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        parsed = parse()
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del parsed
    return retained / size


# --- calls against LocalPiecesOS in another process -------------------------------------------
def _start_server() -> Tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER_CODE],
        cwd=_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=_SERVER_START_TIMEOUT).strip()
    except queue.Empty:
        url = ""
    if not url.startswith("http://"):
        proc.kill()
        proc.wait(10)
        raise RuntimeError("the LocalPiecesOS process did not start (see its error above)")
    _wait_healthy(url)
    return proc, url


def _wait_healthy(url: str) -> None:
    import urllib3

    deadline = time.monotonic() + _SERVER_START_TIMEOUT
    with urllib3.PoolManager(retries=False, timeout=2.0) as pool:
        while True:
            try:
                if pool.request("GET", url + "/.well-known/health").status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"LocalPiecesOS at {url} was not healthy in time")
            time.sleep(0.05)


def _stop_server(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def bench_calls(settings: Settings) -> List[Row]:
    proc, url = _start_server()
    try:
        return _measure_calls(url, settings)
    finally:
        _stop_server(proc)


_SNAPSHOT = "models_snapshot (20 models)"
_SNAPSHOT_JSON = "models_snapshot (20 models), json floor"


def _measure_calls(url: str, settings: Settings) -> List[Row]:
    import bare_models
    import urllib3

    from pieces_os_client import ApiClient, Configuration, ModelsApi, SeededModel
    from pieces_os_client.configuration import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT

    # The SDK's default timeouts on the floor too: a socket with a timeout waits in poll()
    # before each send and receive, two system calls a call that a timeout-less floor skips.
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=DEFAULT_CONNECT_TIMEOUT, read=DEFAULT_READ_TIMEOUT)
    )
    headers = {"Accept": "application/json", "User-Agent": "bench"}
    json_headers = {**headers, "Content-Type": "application/json"}

    def raw(method: str, path: str, body: Optional[bytes] = None, status: int = 200) -> Any:
        response = pool.request(
            method, url + path, body=body, headers=json_headers if body else headers
        )
        if response.status != status:
            raise RuntimeError(f"{method} {path}: {response.status} {response.data[:200]!r}")
        return json.loads(response.data) if status != 204 else None

    def raw_bare(path: str) -> Any:
        # The snapshot floor: the same request, the body parsed into bare pydantic models.
        response = pool.request("GET", url + path, headers=headers)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.data[:200]!r}")
        return bare_models.Models.model_validate_json(response.data)

    snapshot = raw("GET", "/models")["iterable"]
    llm_id = next(m["id"] for m in snapshot if m["usage"] in _LLM_USAGES and not m["cloud"])
    seed_dict = {
        "name": "bench-custom-llm",
        "version": "1.0",
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
        "foundation": "LLAMA_3_8B",
        "provider": "META",
        "maxTokens": {"total": 8192, "input": 4096, "output": 4096},
        "bytes": {"value": 4_500_000_000, "readable": "4.5 GB"},
    }
    seed = SeededModel.from_dict(seed_dict)

    client = ApiClient(Configuration(host=url))
    api = ModelsApi(client)
    measured: Dict[str, Tuple[List[float], List[float]]] = {}
    json_s, bare_s, sdk_s = _rounds(
        [lambda: raw("GET", "/models"), lambda: raw_bare("/models"), api.models_snapshot],
        settings.rounds,
        settings.calls,
        time.process_time,
    )
    measured[_SNAPSHOT] = (bare_s, sdk_s)
    measured[_SNAPSHOT_JSON] = (json_s, sdk_s)
    figures: Dict[str, Tuple[Callable[[], Any], Callable[[], Any]]] = {
        "models_delete_specific_model_cache": (
            lambda: raw("POST", f"/models/{llm_id}/delete/cache"),
            lambda: api.models_delete_specific_model_cache(llm_id),
        ),
        "unload_models": (
            lambda: raw("POST", "/models/unload", status=204),
            api.unload_models,
        ),
    }
    for name, (floor, sdk) in figures.items():
        measured[name] = _pair(floor, sdk, settings.rounds, settings.calls, time.process_time)

    # Create then delete the same model, so every round starts from the same catalogue. Both
    # sides encode the body at each call, as the SDK does from the SeededModel it is given.
    create_delete = {
        "floor": (
            lambda: raw("POST", "/models/create", json.dumps(seed_dict).encode())["id"],
            lambda model_id: raw("POST", f"/models/{model_id}/delete", status=204),
        ),
        "sdk": (
            lambda: api.models_create_new_model(seed).id,
            api.models_delete_specific_model,
        ),
    }
    samples: Dict[str, List[Tuple[float, float]]] = {"floor": [], "sdk": []}
    for round_number in range(settings.rounds + 2):
        for side, (create, delete) in create_delete.items():
            per_call = _create_delete_round(create, delete, settings.calls)
            if round_number >= 2:  # the first two are warm-up
                samples[side].append(per_call)
    for index, name in enumerate(
        ("models_create_new_model", "models_delete_specific_model"),
    ):
        measured[name] = (
            [per_call[index] for per_call in samples["floor"]],
            [per_call[index] for per_call in samples["sdk"]],
        )
    client.close()
    pool.clear()

    # The snapshot is judged against urllib3 + bare pydantic models (what parsing into typed
    # models costs at least), with urllib3 + json beside it for information; the others
    # against urllib3 + json.
    targets: Dict[str, Optional[float]] = {
        _SNAPSHOT: 1.05,
        _SNAPSHOT_JSON: None,
        "models_create_new_model": 1.05,
        "models_delete_specific_model": 1.0,
        "models_delete_specific_model_cache": 1.0,
        "unload_models": 1.0,
    }
    return [
        Row(
            f"call CPU: {name}",
            "urllib3.PoolManager, same timeouts, + bare pydantic"
            if name == _SNAPSHOT
            else "urllib3.PoolManager, same timeouts, + json",
            *measured[name],
            "s",
            target,
        )
        for name, target in targets.items()
    ]


def _create_delete_round(
    create: Callable[[], str], delete: Callable[[str], Any], calls: int
) -> Tuple[float, float]:
    """CPU seconds per create and per delete, over ``calls`` create-then-delete pairs."""
    clock = time.process_time
    create_total = delete_total = 0.0
    gc.collect()
    gc.disable()
    try:
        for _ in range(calls):
            start = clock()
            model_id = create()
            middle = clock()
            delete(model_id)
            create_total += middle - start
            delete_total += clock() - middle
    finally:
        gc.enable()
    return create_total / calls, delete_total / calls


# --- the table --------------------------------------------------------------------------------
def _format(value: float, unit: str) -> str:
    if unit == "B":
        for suffix, size in (("MB", 1 << 20), ("KB", 1 << 10)):
            if value >= size:
                return f"{value / size:.1f} {suffix}"
        return f"{value:.0f} B"
    for suffix, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            return f"{value / scale:.1f} {suffix}"
    return f"{value / 1e-9:.0f} ns"


def render(rows: List[Row]) -> str:
    header = ("figure", "floor", "floor value", "sdk", "ratio", "target", "result")
    lines = [
        (
            row.figure,
            row.floor_label,
            _format(row.floor, row.unit),
            _format(row.sdk, row.unit),
            f"{row.ratio:.2f}x",
            f"+{_format(row.max_extra, row.unit)} at most"
            if row.max_extra is not None
            else f"<= {row.target:.2f}x"
            if row.target is not None
            else "-",
            row.result,
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    right = {2, 3, 4}

    def fmt(cells: Tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(cells) for cells in lines)])


def _describe(settings: Settings, quick: bool) -> str:
    from importlib.metadata import version

    from pieces_os_client._version import DISTRIBUTION_NAME

    packages = ", ".join(
        f"{name} {version(name)}"
        for name in (DISTRIBUTION_NAME, "pydantic", "pydantic-core", "urllib3")
    )
    return (
        f"{packages}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{_load()}\n"
        f"{'quick' if quick else 'full'} run: medians of {settings.import_rounds} import rounds, "
        f"{settings.rounds} rounds elsewhere ({settings.calls} calls per round, "
        f"{settings.body_loops} bodies per round)"
    )


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except (AttributeError, OSError):
        return ""
    return f", load average {one:.2f} {five:.2f} {fifteen:.2f}"


#: What finding Pieces OS may add to the first call of a process (issue: "under half a second").
SEARCH_MAX_EXTRA = 0.5
#: A loopback address of the benchmark's own, so a real Pieces OS on 127.0.0.1 is not measured.
_SEARCH_ADDRESS = "127.77.0.1"


def bench_search(settings: Settings) -> List[Row]:
    """The first call with the default host, Pieces OS on a port of 39300-39333: refused at
    1000, the search, then the call; beside the same first call with the host given."""
    from pieces_os_client import ApiClient, Configuration, ModelsApi, discovery
    from pieces_os_client._core.locator import LOCATOR
    from pieces_os_client.testing import LocalPiecesOS

    saved = discovery.DEFAULT_DISCOVERY_HOST
    discovery.DEFAULT_DISCOVERY_HOST = _SEARCH_ADDRESS
    try:
        with LocalPiecesOS(host=_SEARCH_ADDRESS) as server:

            def given() -> Any:
                with ApiClient(Configuration(host=server.url)) as api_client:
                    return ModelsApi(api_client).models_snapshot()

            def searched() -> Any:
                LOCATOR._forget()
                with ApiClient(Configuration()) as api_client:
                    return ModelsApi(api_client).models_snapshot()

            floor, sdk = _pair(given, searched, settings.rounds)
    finally:
        discovery.DEFAULT_DISCOVERY_HOST = saved
        LOCATOR._forget()
    return [
        Row(
            "first call, default host (search included)",
            "same call, host given",
            floor,
            sdk,
            "s",
            None,
            max_extra=SEARCH_MAX_EXTRA,
        )
    ]


#: Every section of the table, in order: a function from the settings to its rows. Other
#: modules of this directory add theirs here (``SECTIONS.append(...)``).
SECTIONS: List[Callable[[Settings], List[Row]]] = [
    bench_import,
    bench_payloads,
    bench_calls,
    bench_search,
]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a CI smoke run")
    parser.add_argument(
        "--check", action="store_true", help="exit with status 1 when a figure misses its target"
    )
    parser.add_argument(
        "--published",
        action="store_true",
        help="also measure the published SDK 5.0.1 (installed into a throwaway venv: needs network)",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows: List[Row] = []
    for section in SECTIONS:
        rows.extend(section(settings))
    if args.published:
        import published  # benchmarks/published.py
        import snapshots

        today = snapshots.snapshot("today", SNAPSHOT_SIZE)
        rows += [Row(*row) for row in published.measure(settings.rounds, today)]
    # Peak RSS belongs with the other memory figure at the end.
    rows.sort(key=lambda row: row.figure.startswith("memory:"))
    print(_describe(settings, args.quick))
    print()
    print(render(rows))
    print()
    print(_stream.stream_report(args.quick))
    print()
    print(_download.download_report(args.quick))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    missed = [row.figure for row in rows if row.result == "MISS"]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
