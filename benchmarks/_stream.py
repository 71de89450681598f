"""Stream figures for ``benchmarks/run.py``: the SDK's models stream next to its floor.

The floor is the ``websockets`` library's own sync client reading the same server, without
parsing (what any client must at least do). Measured:

- change -> subscriber: from sending ``POST /models/create`` (or ``/delete``) to a
  ``LocalPiecesOS`` in another process until a subscriber holds the message (SDK: parsed
  ``StreamedIdentifiers``; floor: the raw text). Both subscribers follow the same server
  and see the same changes. Median and p99.
- messages/s one stream takes: a ``websockets`` server in another process sends a burst of
  typical change messages as fast as it can; the subscriber reads (and the SDK parses) them
  all. Rounds alternate SDK and floor.

Needs the ``stream`` extra (``websockets``).
"""

from __future__ import annotations

import queue
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable, List, Optional, Tuple

#: One stream's messages per second, at least this share of the floor's.
THROUGHPUT_TARGET = 0.9
#: Seconds to wait for a server process, a message, or a burst.
_PATIENCE = 30.0

LOCAL_SERVER_CODE = """
import sys
from pieces_os_client.testing import LocalPiecesOS
server = LocalPiecesOS().start()
sys.stdout.write(server.url + "\\n")
sys.stdout.flush()
sys.stdin.read()
server.stop()
"""

# Sends COUNT change messages to each subscriber as fast as it can, then closes.
_BURST_SERVER = """
import json, sys, uuid
from websockets.sync.server import serve
COUNT = int(sys.argv[1])
messages = [
    json.dumps({"iterable": [{"model": {"id": str(uuid.uuid4())}}]}) for _ in range(COUNT)
]
def handler(connection):
    for text in messages:
        connection.send(text)
    connection.close()
with serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
    sys.stdout.write(f"http://127.0.0.1:{server.socket.getsockname()[1]}\\n")
    sys.stdout.flush()
    threading = __import__("threading")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()
"""


def _start(code: str, *argv: str) -> Tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise RuntimeError("the benchmark server did not start")
    return proc, url


def _stop(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=_PATIENCE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _percentile(samples: List[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _follow(read: Callable[[], Any], arrivals: queue.Queue[float]) -> threading.Thread:
    def run() -> None:
        try:
            while True:
                read()
                arrivals.put(time.perf_counter())
        except Exception:
            arrivals.put(-1.0)  # the stream ended (closed by the benchmark)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def measure_latency(changes: int) -> Tuple[List[float], List[float], List[float]]:
    """Seconds from sending a change to each subscriber holding it: (sdk, floor) samples,
    and the SDK's arrival measured from the HTTP answer instead."""
    from websockets.sync.client import connect

    from pieces_os_client import ApiClient, Configuration, ModelsApi, SeededModel

    proc, url = _start(LOCAL_SERVER_CODE)
    seed = SeededModel.from_dict(
        {
            "name": "bench-stream",
            "version": "1",
            "cloud": False,
            "type": "BALANCED",
            "usage": "CODE_GENERATION",
            "created": {"value": "2024-05-01T12:00:00Z"},
        }
    )
    sdk_samples: List[float] = []
    floor_samples: List[float] = []
    after_answer: List[float] = []
    try:
        with ApiClient(Configuration(host=url)) as api_client:
            api = ModelsApi(api_client)
            stream = api.models_stream_identifiers()
            floor = connect(
                url.replace("http://", "ws://") + "/models/stream/identifiers", compression=None
            ).__enter__()
            next(stream), floor.recv(timeout=_PATIENCE)  # the greetings: every id
            sdk_arrivals: queue.Queue[float] = queue.Queue()
            floor_arrivals: queue.Queue[float] = queue.Queue()
            readers = [
                _follow(lambda: next(stream), sdk_arrivals),
                _follow(floor.recv, floor_arrivals),
            ]
            created: Optional[str] = None
            for _ in range(changes):
                started = time.perf_counter()
                if created is None:
                    created = api.models_create_new_model(seed).id
                else:
                    api.models_delete_specific_model(created)
                    created = None
                answered = time.perf_counter()
                arrived = sdk_arrivals.get(timeout=_PATIENCE)
                sdk_samples.append(arrived - started)
                after_answer.append(arrived - answered)
                floor_samples.append(floor_arrivals.get(timeout=_PATIENCE) - started)
            stream.close()
            floor.close()
            for reader in readers:
                reader.join(_PATIENCE)
    finally:
        _stop(proc)
    return sdk_samples, floor_samples, after_answer


def measure_throughput(messages: int, rounds: int) -> Tuple[List[float], List[float]]:
    """Messages per second one stream takes: (sdk, floor) samples, one pair per round."""
    from websockets.sync.client import connect

    from pieces_os_client import ApiClient, Configuration, ModelsApi

    proc, url = _start(_BURST_SERVER, str(messages))
    sdk_rates: List[float] = []
    floor_rates: List[float] = []
    try:
        with ApiClient(Configuration(host=url)) as api_client:
            api = ModelsApi(api_client)

            def read_floor() -> None:
                floor = connect(
                    url.replace("http://", "ws://") + "/models/stream/identifiers",
                    compression=None,
                    max_queue=None,
                ).__enter__()
                started = time.perf_counter()
                for _ in range(messages):
                    floor.recv(timeout=_PATIENCE)
                floor_rates.append(messages / (time.perf_counter() - started))
                floor.close()

            def read_sdk() -> None:
                with api.models_stream_identifiers() as stream:
                    # The same span as the floor's: the messages, not the close after them.
                    started = time.perf_counter()
                    for _ in range(messages):
                        next(stream)
                    sdk_rates.append(messages / (time.perf_counter() - started))
                    rest = sum(1 for _ in stream)
                assert rest == 0, f"{messages + rest} messages instead of {messages}"

            for round_number in range(rounds):
                # Alternate who goes first, so neither always meets a cold or a warm server.
                order = (read_floor, read_sdk) if round_number % 2 else (read_sdk, read_floor)
                for read in order:
                    read()
    finally:
        _stop(proc)
    return sdk_rates, floor_rates


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def stream_report(quick: bool) -> str:
    """The stream figures as a small table (called by ``benchmarks/run.py``)."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "stream figures: skipped (install the stream extra: websockets)"
    changes, messages, rounds = (20, 1000, 2) if quick else (200, 20000, 7)
    sdk_latency, floor_latency, after_answer = measure_latency(changes)
    sdk_rate, floor_rate = measure_throughput(messages, rounds)
    # Each round's SDK burst beside the floor's of the same round, as run.py's ratios.
    ratio = statistics.median(sdk / floor for sdk, floor in zip(sdk_rate, floor_rate))
    rows = [
        (
            "change -> subscriber, median",
            _ms(statistics.median(floor_latency)),
            _ms(statistics.median(sdk_latency)),
        ),
        (
            "change -> subscriber, p99",
            _ms(_percentile(floor_latency, 0.99)),
            _ms(_percentile(sdk_latency, 0.99)),
        ),
        (
            "  (sdk: event minus HTTP answer, median)",
            "",
            _ms(statistics.median(after_answer)),
        ),
        (
            "messages/s one stream takes",
            f"{statistics.median(floor_rate):,.0f}/s",
            f"{statistics.median(sdk_rate):,.0f}/s",
        ),
        (
            f"  (sdk / floor, median of rounds; target >= {THROUGHPUT_TARGET:.2f}x)",
            "",
            f"{ratio:.2f}x {'PASS' if ratio >= THROUGHPUT_TARGET else 'MISS'}",
        ),
    ]
    header = ("stream figure", "floor: websockets client", "sdk")
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(3)]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        )
        for cells in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    note = (
        f"({changes} changes to a LocalPiecesOS in another process; "
        f"{rounds} bursts of {messages} messages; medians)"
    )
    return "\n".join([*lines, note])


if __name__ == "__main__":
    print(stream_report("--quick" in sys.argv))
