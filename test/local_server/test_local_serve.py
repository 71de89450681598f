"""``serve()``: the port it falls back to, what it prints, and LocalPiecesOS's own logger."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from typing import Any, Iterator, List

import pytest

from pieces_os_client import ApiClient, Configuration, ModelsApi
from pieces_os_client.testing import LocalPiecesOS, _serve, _server, serve

TIMEOUT = 10.0


@contextlib.contextmanager
def serving(*args: Any, **kwargs: Any) -> Iterator[io.StringIO]:
    """Run ``serve(*args, **kwargs)`` in a thread until the block ends; yields its output."""
    out = io.StringIO()
    ready, stop = threading.Event(), threading.Event()
    failed: List[BaseException] = []

    def run() -> None:
        try:
            serve(*args, out=out, ready=ready, stop=stop, **kwargs)
        except BaseException as error:  # handed to the test's thread
            failed.append(error)
            ready.set()

    runner = threading.Thread(target=run)
    runner.start()
    try:
        assert ready.wait(TIMEOUT)
        if failed:
            raise failed[0]
        yield out
    finally:
        stop.set()
        runner.join(TIMEOUT)
    assert not runner.is_alive()
    assert out.getvalue().endswith("LocalPiecesOS: stopped\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unwrapped(text: str) -> List[str]:
    """serve()'s lines with the ones it wrapped to 80 columns joined again."""
    lines: List[str] = []
    for line in text.splitlines():
        assert len(line) < 80, line
        if line.startswith("  ") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def listening_port(out: io.StringIO) -> int:
    found = re.search(r"Models API on http://127\.0\.0\.1:(\d+)", out.getvalue())
    assert found is not None, out.getvalue()
    return int(found.group(1))


def snapshot_size(port: int) -> int:
    with ApiClient(Configuration(host=f"http://127.0.0.1:{port}", retries=0)) as client:
        return len(ModelsApi(client).models_snapshot().iterable)


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_without_a_port_it_falls_back_to_a_port_clients_look_on(
    busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fallback = free_port()
    monkeypatch.setattr(_server, "PIECES_OS_PORTS", (busy_port, fallback))
    with serving() as out:
        assert listening_port(out) == fallback
        assert snapshot_size(fallback) == 20
    first = unwrapped(out.getvalue())[0]
    assert first == (
        f"LocalPiecesOS: port {busy_port} is in use (is Pieces OS running?); listening on "
        f"{fallback}"
    )


def test_when_every_such_port_is_taken_it_says_how_to_reach_it(
    busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_server, "PIECES_OS_PORTS", (busy_port,))
    with serving() as out:
        port = listening_port(out)
        assert port != busy_port and snapshot_size(port) == 20
    text = " ".join(unwrapped(out.getvalue()))
    assert f"point clients at it with PIECES_OS_URL=http://127.0.0.1:{port}" in text


def test_a_port_asked_for_is_used_or_refused(busy_port: int) -> None:
    refusal = f"cannot listen on 127.0.0.1:{busy_port}"
    with pytest.raises(OSError, match=refusal) as refused, serving(port=busy_port):
        pass
    assert refused.value.errno == 98 or "in use" in str(refused.value).lower()
    port = free_port()
    with serving("127.0.0.1", port) as out:
        assert listening_port(out) == port
        assert not out.getvalue().startswith("LocalPiecesOS: port")  # no fallback note


def test_port_1000_is_used_only_when_asked_and_says_why_it_cannot_be() -> None:
    # A real "Permission denied" from the kernel: run as a process that may not bind
    # ports below 1024 (root gives up that capability for it).
    command = [sys.executable, "-c", _SERVE_ONCE]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None or not sys.platform.startswith("linux"):
            pytest.skip("needs setpriv (util-linux) to run without CAP_NET_BIND_SERVICE")
        drop = "-net_bind_service"
        command = [setpriv, f"--bounding-set={drop}", f"--inh-caps={drop}", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "cannot listen on 127.0.0.1:1000 (Permission denied)" in done.stderr
    assert "ports below 1024 may need admin rights" in done.stderr


_SERVE_ONCE = """
import sys, threading
from pieces_os_client.testing import _serve
stop = threading.Event()
stop.set()  # print the banner, then stop at once
try:
    _serve.serve(port=1000, stop=stop)
except OSError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
"""


def test_listening_on_every_address_warns_and_lists_them() -> None:
    with serving("0.0.0.0", 0) as out:
        port = listening_port(out)
        assert snapshot_size(port) == 20
    text = "\n".join(unwrapped(out.getvalue()))
    assert text.startswith("LocalPiecesOS: WARNING: listening on every address of this machine")
    assert "anyone who can reach it can list and change its models" in text
    listed = re.search(r"Models API on (.*); Ctrl-C stops it", text)
    assert listed is not None
    urls = listed.group(1).split(", ")
    assert urls[0] == f"http://127.0.0.1:{port}" and len(urls) >= 2
    others = [re.fullmatch(rf"http://\[?([^\]]+)\]?:{port}", url) for url in urls[1:]]
    if all(others):  # real addresses: each is one this machine can listen on
        for address in [match.group(1) for match in others if match]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family) as probe:
                probe.bind((address, 0))
    else:
        assert urls[1:] == ["this machine's other addresses"]
    assert "other host names are refused" in text


def test_the_banner_names_the_stream() -> None:
    with serving("127.0.0.1", 0) as out:
        port = listening_port(out)
    assert out.getvalue().splitlines() == [
        f"LocalPiecesOS: the Models API on http://127.0.0.1:{port}; Ctrl-C stops it",
        "LocalPiecesOS: 20 models; a download takes 2 s (--download-seconds to change)",
        f"LocalPiecesOS: model changes: ws://127.0.0.1:{port}/models/stream/identifiers",
        "LocalPiecesOS: stopped",
    ]


def test_every_line_fits_80_columns_with_the_longest_port() -> None:
    # The widest a port gets (5 digits) and every line serve() can print on a loopback host.
    with serving("127.0.0.1", 0) as out:
        pass
    port = str(listening_port(out))
    assert all(len(line.replace(port, "65535")) < 80 for line in out.getvalue().splitlines())
    note = _serve._fit("LocalPiecesOS: " + "a long note about ports " * 8)
    assert all(len(line) < 80 for line in note.splitlines()) and len(note.splitlines()) > 1
    assert note.splitlines()[1].startswith("  ")


def test_downloads_take_the_seconds_asked_for() -> None:
    # The pace the option sets, read back through a download on the served server.
    with serving("127.0.0.1", 0, download_seconds=600) as out:
        port = listening_port(out)
        assert "a download takes 600 s" in out.getvalue()
        from pieces_os_client import ModelApi
        from pieces_os_client.testing import builtin_id

        model_id = builtin_id("llama-3-8b-instruct-q4f32_1-cpu")
        with ApiClient(Configuration(host=f"http://127.0.0.1:{port}", retries=0)) as client:
            api = ModelApi(client)
            api.model_specific_model_download(model_id)
            try:
                with api.model_specific_model_download_progress(model_id) as stream:
                    percentages = [next(stream).percentage for _ in range(3)]
            finally:
                api.model_specific_model_download_cancel(model_id)
    # 600 s at ten messages a second: a sixtieth of a percent per message, not 5 %.
    steps = [b - a for a, b in zip(percentages, percentages[1:]) if a is not None and b]
    assert steps and all(0 < step < 0.5 for step in steps), percentages


@pytest.mark.parametrize(("seconds", "pace"), [(2.0, (0.1, 5.0)), (60.0, (0.1, 100 / 600))])
def test_the_pace_for_a_number_of_seconds(seconds: float, pace: Any) -> None:
    assert _serve.download_pace(seconds) == pytest.approx(pace)
    interval, step = _serve.download_pace(seconds)
    assert 100 / step * interval == pytest.approx(seconds)


@pytest.mark.parametrize("seconds", [0, -1, float("nan"), float("inf"), True, "10"])
def test_bad_download_seconds_are_refused_before_listening(seconds: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="download_seconds must be"):
        serve("127.0.0.1", 0, download_seconds=seconds, out=io.StringIO())


# --- logging ---------------------------------------------------------------------------------


def test_the_server_logs_under_its_own_name(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)  # the root logger as Python leaves it
    caplog.set_level(logging.NOTSET, logger="LocalPiecesOS")  # and ours as we ship it
    with LocalPiecesOS() as server:
        with caplog.at_level(logging.DEBUG, logger="pieces_os_client"), server.client() as client:
            ModelsApi(client).models_snapshot()
        sdk = {record.name for record in caplog.records}
        assert sdk == {"pieces_os_client"}  # the SDK's own lines, none of the server's
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="LocalPiecesOS"), server.client() as client:
            ModelsApi(client).models_snapshot()
    lines = [r.getMessage() for r in caplog.records if r.name == "LocalPiecesOS"]
    assert any('"GET /models HTTP/1.1" 200' in line for line in lines)
    assert not logging.getLogger("LocalPiecesOS").name.startswith("pieces_os_client")
