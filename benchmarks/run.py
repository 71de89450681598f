"""The SDK next to its floor (urllib3 + json), both measured in the same run.

Usage::

    python benchmarks/run.py            # full run, about a minute
    python benchmarks/run.py --quick    # CI smoke, a few seconds
    python benchmarks/run.py --check    # exit 1 when a figure misses its target
    python benchmarks/run.py --published  # also beside the published SDK 5.0.1 (published.py)

Each figure is the median of several rounds. Every round measures the floor and then the
SDK, one right after the other, so both see the same machine state (CPU clock, caches,
other load). Timed sections run with the garbage collector paused and free their results
after the clock stops, like ``timeit``. Only the standard library and the SDK are used.

What is compared:

- import: a cold ``python -c`` importing the SDK vs importing pydantic, urllib3 and
  dateutil (the SDK's dependencies): wall time and the child's peak RSS (``wait4``). Both
  children get bytecode caches (a throwaway ``PYTHONPYCACHEPREFIX``), as after ``pip install``.
- parse / serialize: ``Models.from_json`` and ``to_json()`` of a 1000-model snapshot vs
  ``json.loads`` / ``json.dumps`` of the same data.
- body: a ``SeededModel`` turned into request bytes vs ``json.dumps`` of its dict.
- call CPU: the CPU time this process spends per call (``time.process_time``) against a
  ``LocalPiecesOS`` running in another process, vs the same request sent with a bare
  ``urllib3.PoolManager`` and read with ``json.loads``. The server's work is not counted.
- memory: bytes still allocated per parsed model (``tracemalloc``).
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
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    # Run from a checkout without installing: the package sits next to this directory.
    sys.path.insert(0, _ROOT)

SDK_IMPORT = "from pieces_os_client import ModelsApi, ApiClient, Configuration"
FLOOR_IMPORT = "import pydantic, urllib3, dateutil.parser"
SNAPSHOT_SIZE = 1000
_SCHEMA = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
_LLM_USAGES = ("CODE_CONVERSATION", "CODE_GENERATION")
# Wire names of SeededModel fields whose Python names differ.
_ALIASES = ("maxTokens", "schema")
_SERVER_START_TIMEOUT = 30.0

# The server process: a LocalPiecesOS until the benchmark closes its stdin.
_SERVER_CODE = """
import sys
from pieces_os_client.testing import LocalPiecesOS
server = LocalPiecesOS().start()
sys.stdout.write(server.url + "\\n")
sys.stdout.flush()
sys.stdin.read()
server.stop()
"""


@dataclass(frozen=True)
class Settings:
    """How much to measure: rounds per figure and work per round."""

    import_rounds: int
    rounds: int
    body_loops: int
    calls: int


QUICK = Settings(import_rounds=5, rounds=7, body_loops=500, calls=20)
FULL = Settings(import_rounds=21, rounds=25, body_loops=2000, calls=100)


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
    def result(self) -> str:
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
    floor_times: List[float] = []
    sdk_times: List[float] = []
    for _ in range(2):  # warm-up: lazily built schemas, allocator arenas, CPU clock
        _timed(floor, clock, loops)
        _timed(sdk, clock, loops)
    for _ in range(rounds):
        floor_times.append(_timed(floor, clock, loops))
        sdk_times.append(_timed(sdk, clock, loops))
    return floor_times, sdk_times


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
        ("wall", "import: wall time, cold python -c", "s", 1.5),
        ("cpu", "import: CPU time (user + sys)", "s", None),
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


# --- the realistic snapshot -----------------------------------------------------------------
def _base_entries() -> List[Dict[str, Any]]:
    """Wire dicts of LocalPiecesOS's built-in catalogue (Pieces OS's own shapes)."""
    try:
        from pieces_os_client.testing import builtin_catalogue
    except ImportError:
        return _generated_entries(20)
    return [json.loads(model.to_json()) for model in builtin_catalogue()]


def _generated_entries(count: int) -> List[Dict[str, Any]]:
    """Stand-in for the catalogue: every field Pieces OS sends, with plausible values."""
    entries = []
    for i in range(count):
        size = 1_500_000_000 + 250_000_000 * i
        cloud = i % 3 == 0
        entry: Dict[str, Any] = {
            "id": "",
            "unique": f"model-{i}",
            "name": f"Model {i}",
            "version": f"{1 + i % 3}.{i % 10}",
            "provider": ("OPENAI", "ANTHROPIC", "GOOGLE", "META", "MICROSOFT")[i % 5],
            "foundation": ("GPT_4", "CLAUDE_3.5", "GEMMA_2_9B", "LLAMA_3_8B", "PHI_3_MINI")[i % 5],
            "usage": ("CODE_CONVERSATION", "TEXT_EMBEDDING", "CODE_GENERATION", "OCR")[i % 4],
            "type": ("BALANCED", "SPEED", "ACCURACY")[i % 3],
            "cloud": cloud,
            "custom": False,
            "created": {"value": "2024-05-13T17:00:00Z", "readable": "2024-05-13"},
            "schema": _SCHEMA,
            "maxTokens": {"total": 128_000, "input": 111_616, "output": 16_384},
            "parameters": 7 + i,
            "capabilities": {"assets": True, "codebases": True, "documents": True},
        }
        if not cloud:
            entry.update(
                bytes={"value": size, "readable": f"{size / 1e9:.1f} GB"},
                ram={"value": size * 2, "readable": f"{size * 2 / 1e9:.1f} GB"},
                quantization="q4f16_1",
                cpu=i % 2 == 0,
                downloaded=i % 4 == 1,
                downloading=False,
                loaded=False,
            )
        entries.append(entry)
    return entries


def realistic_snapshot(count: int = SNAPSHOT_SIZE) -> str:
    """The wire text of ``GET /models`` listing ``count`` models: the catalogue, repeated
    with distinct ids, names and creation times."""
    base = _base_entries()
    models = []
    for i in range(count):
        entry = json.loads(json.dumps(base[i % len(base)]))
        entry["id"] = str(uuid.UUID(int=0x5EED_0000_0000_0000 + i * 7919))
        entry["unique"] = f"{entry.get('unique', 'model')}-{i}"
        entry["name"] = f"{entry['name']} #{i}"
        entry["created"]["value"] = (
            f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            f".{(i * 104729) % 1_000_000:06d}Z"
        )
        models.append(entry)
    return json.dumps({"iterable": models, "schema": _SCHEMA}, separators=(",", ":"))


# --- parse, serialize, request bodies, memory -------------------------------------------------
def bench_payloads(settings: Settings) -> List[Row]:
    from pieces_os_client import ApiClient, Configuration, Models, SeededModel

    text = realistic_snapshot()
    floor_s, sdk_s = _pair(
        lambda: json.loads(text), lambda: Models.from_json(text), settings.rounds
    )
    rows = [
        Row(
            f"parse: Models.from_json ({SNAPSHOT_SIZE} models)",
            "json.loads, same text",
            floor_s,
            sdk_s,
            "s",
            2.0,
        )
    ]

    models = Models.from_json(text)
    dicts = json.loads(text)
    floor_s, sdk_s = _pair(lambda: json.dumps(dicts), models.to_json, settings.rounds)
    rows.append(
        Row(
            f"serialize: to_json() ({SNAPSHOT_SIZE} models)",
            "json.dumps, same dicts",
            floor_s,
            sdk_s,
            "s",
            1.0,
        )
    )

    llm = next(m for m in dicts["iterable"] if m["usage"] in _LLM_USAGES and not m["cloud"])
    seed_dict = {k: v for k, v in llm.items() if k in SeededModel.model_fields or k in _ALIASES}
    seed = SeededModel.from_dict(seed_dict)
    assert seed is not None
    with ApiClient(Configuration(host="http://127.0.0.1:1")) as api_client:
        floor_s, sdk_s = _pair(
            lambda: json.dumps(seed_dict).encode(),
            lambda: json.dumps(api_client.sanitize_for_serialization(seed)).encode(),
            settings.rounds,
            settings.body_loops,
        )
    rows.append(
        Row(
            "body: sanitize_for_serialization + dumps",
            "json.dumps(dict).encode()",
            floor_s,
            sdk_s,
            "s",
            None,
        )
    )
    floor_s, sdk_s = _pair(
        lambda: json.dumps(seed_dict).encode(),
        lambda: seed.to_json().encode(),
        settings.rounds,
        settings.body_loops,
    )
    rows.append(
        Row(
            "body: SeededModel.to_json() (create sends)",
            "json.dumps(dict).encode()",
            floor_s,
            sdk_s,
            "s",
            None,
        )
    )

    rows.append(
        Row(
            "memory: retained per parsed model",
            "json.loads dicts",
            [_retained_per_model(lambda: json.loads(text))],
            [_retained_per_model(lambda: Models.from_json(text))],
            "B",
            None,
        )
    )
    return rows


def _retained_per_model(parse: Callable[[], Any]) -> float:
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
    return retained / SNAPSHOT_SIZE


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


def _measure_calls(url: str, settings: Settings) -> List[Row]:
    import urllib3

    from pieces_os_client import ApiClient, Configuration, ModelsApi, SeededModel

    pool = urllib3.PoolManager()
    headers = {"Accept": "application/json", "User-Agent": "bench"}
    json_headers = {**headers, "Content-Type": "application/json"}

    def raw(method: str, path: str, body: Optional[bytes] = None, status: int = 200) -> Any:
        response = pool.request(
            method, url + path, body=body, headers=json_headers if body else headers
        )
        if response.status != status:
            raise RuntimeError(f"{method} {path}: {response.status} {response.data[:200]!r}")
        return json.loads(response.data) if status != 204 else None

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
    figures: Dict[str, Tuple[Callable[[], Any], Callable[[], Any]]] = {
        "models_snapshot (20 models)": (
            lambda: raw("GET", "/models"),
            api.models_snapshot,
        ),
        "models_delete_specific_model_cache": (
            lambda: raw("POST", f"/models/{llm_id}/delete/cache"),
            lambda: api.models_delete_specific_model_cache(llm_id),
        ),
        "unload_models": (
            lambda: raw("POST", "/models/unload", status=204),
            api.unload_models,
        ),
    }
    measured: Dict[str, Tuple[List[float], List[float]]] = {}
    for name, (floor, sdk) in figures.items():
        measured[name] = _pair(floor, sdk, settings.rounds, settings.calls, time.process_time)

    # Create then delete the same model, so every round starts from the same catalogue.
    seed_body = json.dumps(seed_dict).encode()
    create_delete = {
        "floor": (
            lambda: raw("POST", "/models/create", seed_body)["id"],
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

    targets = {
        "models_snapshot (20 models)": 1.25,
        "models_create_new_model": 1.2,
        "models_delete_specific_model": 1.15,
        "models_delete_specific_model_cache": 1.15,
        "unload_models": 1.15,
    }
    return [
        Row(f"call CPU: {name}", "urllib3.PoolManager + json", *measured[name], "s", target)
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
            f"<= {row.target:.2f}x" if row.target is not None else "-",
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

    packages = ", ".join(
        f"{name} {version(name)}"
        for name in ("pieces_os_client", "pydantic", "pydantic-core", "urllib3")
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
    rows = bench_import(settings) + bench_payloads(settings) + bench_calls(settings)
    if args.published:
        import published  # benchmarks/published.py

        rows += [Row(*row) for row in published.measure(settings.rounds, realistic_snapshot())]
    # Peak RSS belongs with the other memory figure at the end.
    rows.sort(key=lambda row: row.figure.startswith("memory:"))
    print(_describe(settings, args.quick))
    print()
    print(render(rows))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    missed = [row.figure for row in rows if row.result == "MISS"]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
