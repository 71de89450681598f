"""Download-progress figures for ``benchmarks/run.py``: ``ModelApi.download()`` next to its floor.

The floor is the ``websockets`` library's own sync client on the same progress stream,
without parsing (what any client must at least do). The server, in another process, is an
``aiohttp`` Model API (``GET /model/{id}`` answers "downloading", so ``download()`` follows
without starting anything). Measured:

- message -> ``on_progress``: from telling the server (over its stdin) to send one progress
  message until ``on_progress`` has its ``DownloadEvent`` (SDK: parsed, percentage and ETA
  computed) or the floor client holds the raw text. Both follow the same stream and see the
  same messages. Median and p99.
- messages/s one progress stream takes: the server sends a burst of ``IN-PROGRESS``
  messages as fast as it can on each connection; from the first event to the last.
  Rounds alternate SDK and floor.

Needs the ``stream`` extra (``websockets``) and ``aiohttp`` (the ``async`` extra).
"""

from __future__ import annotations

import queue
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, List, Tuple

#: Seconds to wait for the server, a message, or a burst.
_PATIENCE = 30.0

# A Model API whose model "tick" sends one progress message per stdin line ("done": the
# last one), and whose model "burst" sends COUNT messages to each follower at once.
_PROGRESS_SERVER = """
import asyncio, json, sys, threading
from aiohttp import web

COUNT = int(sys.argv[1])
MODEL = {"id": "", "name": "bench", "version": "1", "cloud": False, "type": "SPEED",
         "usage": "CODE_CONVERSATION", "created": {"value": "2024-05-01T12:00:00Z"},
         "downloading": True, "downloaded": False}
followers = []

async def get(request):
    return web.json_response(dict(MODEL, id=request.match_info["model"]))

async def snapshot(request):  # download() names its model from the snapshot first
    return web.json_response({"iterable": [dict(MODEL, id=i) for i in ("tick", "burst")]})

async def progress(request):
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    if request.match_info["model"] == "burst":
        for i in range(COUNT):
            await ws.send_str(json.dumps({"status": "IN-PROGRESS", "percentage": i * 99.0 / COUNT}))
        await ws.send_str('{"status": "COMPLETED", "percentage": 100}')
    else:
        followers.append(ws)
    async for _ in ws:
        pass
    if ws in followers:
        followers.remove(ws)
    return ws

async def tell(text):
    for ws in list(followers):
        await ws.send_str(text)

def read_commands(loop, stop):
    percentage = 0.0
    for line in sys.stdin:
        if line.strip() == "done":
            text = '{"status": "COMPLETED", "percentage": 100}'
        else:
            percentage = min(99.0, percentage + 0.01)
            text = json.dumps({"status": "IN-PROGRESS", "percentage": round(percentage, 2)})
        asyncio.run_coroutine_threadsafe(tell(text), loop).result()
        sys.stdout.write("sent\\n")
        sys.stdout.flush()
    loop.call_soon_threadsafe(stop.set)

async def main():
    app = web.Application()
    app.router.add_get("/models", snapshot)
    app.router.add_get("/model/{model}", get)
    app.router.add_get("/model/{model}/download/progress", progress)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    sys.stdout.write(f"http://127.0.0.1:{port}\\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    threading.Thread(target=read_commands, args=(asyncio.get_running_loop(), stop), daemon=True).start()
    await stop.wait()
    await runner.cleanup()

asyncio.run(main())
"""


def _start(count: int) -> Tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _PROGRESS_SERVER, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise RuntimeError("the progress server did not start")
    return proc, url


def _stop(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=_PATIENCE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tell(proc: subprocess.Popen[str], command: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(command + "\n")
    proc.stdin.flush()


def _drain(arrivals: queue.Queue[float]) -> None:
    while True:
        try:
            arrivals.get_nowait()
        except queue.Empty:
            return


def measure_progress_latency(messages: int) -> Tuple[List[float], List[float]]:
    """Seconds from asking for a message to ``on_progress`` / the floor holding it."""
    from websockets.sync.client import connect

    from pieces_os_client import ApiClient, Configuration, ModelApi

    proc, url = _start(0)
    assert proc.stdout is not None
    sdk_arrivals: queue.Queue[float] = queue.Queue()
    floor_arrivals: queue.Queue[float] = queue.Queue()
    sdk_samples: List[float] = []
    floor_samples: List[float] = []
    try:
        with ApiClient(Configuration(host=url)) as api_client:

            def follow_sdk() -> None:
                ModelApi(api_client).download(
                    "tick",
                    on_progress=lambda event: sdk_arrivals.put(time.perf_counter()),
                    stall_timeout=_PATIENCE,
                )

            floor = connect(
                url.replace("http://", "ws://") + "/model/tick/download/progress",
                compression=None,
            ).__enter__()

            def follow_floor() -> None:
                try:
                    while True:
                        floor.recv()
                        floor_arrivals.put(time.perf_counter())
                except Exception:
                    pass  # closed by the benchmark

            readers = [threading.Thread(target=f, daemon=True) for f in (follow_sdk, follow_floor)]
            for reader in readers:
                reader.start()
            # Until both follow the stream, a message may reach only one: warm up, then drain.
            deadline = time.monotonic() + _PATIENCE
            while sdk_arrivals.empty() or floor_arrivals.empty():
                if time.monotonic() > deadline:
                    raise RuntimeError("the progress stream was not followed")
                _tell(proc, "tick")
                proc.stdout.readline()
                time.sleep(0.02)
            time.sleep(0.05)
            _drain(sdk_arrivals)
            _drain(floor_arrivals)
            for _ in range(messages):
                started = time.perf_counter()
                _tell(proc, "tick")
                sdk_samples.append(sdk_arrivals.get(timeout=_PATIENCE) - started)
                floor_samples.append(floor_arrivals.get(timeout=_PATIENCE) - started)
                proc.stdout.readline()
            _tell(proc, "done")  # download() returns
            readers[0].join(_PATIENCE)
            floor.close()
            readers[1].join(_PATIENCE)
    finally:
        _stop(proc)
    return sdk_samples, floor_samples


def measure_progress_throughput(messages: int, rounds: int) -> Tuple[List[float], List[float]]:
    """Progress messages per second one stream takes: (sdk, floor), one pair per round."""
    from websockets.sync.client import connect

    from pieces_os_client import ApiClient, Configuration, ModelApi

    proc, url = _start(messages)
    sdk_rates: List[float] = []
    floor_rates: List[float] = []
    try:
        with ApiClient(Configuration(host=url)) as api_client:
            api = ModelApi(api_client)

            def read_floor() -> None:
                with connect(
                    url.replace("http://", "ws://") + "/model/burst/download/progress",
                    compression=None,
                    max_queue=None,
                ) as floor:
                    floor.recv(timeout=_PATIENCE)
                    started = time.perf_counter()
                    for _ in range(messages - 1):
                        floor.recv(timeout=_PATIENCE)
                    floor_rates.append((messages - 1) / (time.perf_counter() - started))

            def read_sdk() -> None:
                arrivals: List[float] = []

                def on_progress(event: Any) -> None:
                    if not event.done:
                        arrivals.append(time.perf_counter())

                api.download("burst", on_progress=on_progress, stall_timeout=_PATIENCE)
                assert len(arrivals) == messages, f"{len(arrivals)} of {messages} messages"
                sdk_rates.append((messages - 1) / (arrivals[-1] - arrivals[0]))

            for round_number in range(rounds):
                order = (read_floor, read_sdk) if round_number % 2 else (read_sdk, read_floor)
                for read in order:
                    read()
    finally:
        _stop(proc)
    return sdk_rates, floor_rates


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _percentile(samples: List[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def download_report(quick: bool) -> str:
    """The download-progress figures as a small table (called by ``benchmarks/run.py``)."""
    try:
        import aiohttp  # noqa: F401
        import websockets  # noqa: F401
    except ImportError:
        return "download figures: skipped (install the stream and async extras)"
    messages, burst, rounds = (20, 1000, 2) if quick else (200, 20000, 7)
    sdk_latency, floor_latency = measure_progress_latency(messages)
    sdk_rate, floor_rate = measure_progress_throughput(burst, rounds)
    rows = [
        (
            "progress message -> on_progress, median",
            _ms(statistics.median(floor_latency)),
            _ms(statistics.median(sdk_latency)),
        ),
        (
            "progress message -> on_progress, p99",
            _ms(_percentile(floor_latency, 0.99)),
            _ms(_percentile(sdk_latency, 0.99)),
        ),
        (
            "progress messages/s one stream takes",
            f"{statistics.median(floor_rate):,.0f}/s",
            f"{statistics.median(sdk_rate):,.0f}/s",
        ),
    ]
    header = ("download figure", "floor: websockets client", "sdk: download()")
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
        f"({messages} progress messages from an aiohttp server in another process; "
        f"{rounds} bursts of {burst} messages; medians)"
    )
    return "\n".join([*lines, note])


if __name__ == "__main__":
    print(download_report("--quick" in sys.argv))
