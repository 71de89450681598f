"""A client used before ``os.fork()`` works in both processes afterwards, on its own sockets.

Each test forks for real against a loopback server: parent and child send many creates at
once through the one client object, each checks every answer is its own, and the server's
log shows that no connection ever carried requests from both processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import warnings
from typing import Any, Callable, Dict, List

import pytest
from _scripted_server import ScriptedServer

from pieces_os_client import ApiClient, Configuration, GroupedTimestamp, ModelsApi, SeededModel
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX-only")

CREATES = 300


def _seed(tag: str, number: int) -> SeededModel:
    return SeededModel(
        name=f"{tag}-{number}",
        version="1.0",
        cloud=False,
        type="SPEED",
        usage="CODE_GENERATION",
        created=GroupedTimestamp(value="2024-05-01T12:00:00Z"),
    )


def _wrong_answers(tag: str, names: List[str]) -> List[str]:
    return [name for number, name in enumerate(names) if name != f"{tag}-{number}"]


def _in_both_processes(work: Callable[[str], List[str]]) -> Dict[str, List[str]]:
    """Run ``work("parent")`` here and ``work("child")`` in a forked child, at the same time;
    return the names each got back (or the child's error text)."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (the server's) may deadlock.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report and leave without running any pytest teardown
        os.close(read_end)
        try:
            outcome: Any = {"names": work("child")}
        except BaseException as error:
            outcome = {"error": f"{type(error).__name__}: {error}"}
        with os.fdopen(write_end, "w") as pipe:
            json.dump(outcome, pipe)
        os._exit(0)
    os.close(write_end)
    try:
        parent_names = work("parent")
    finally:
        with os.fdopen(read_end) as pipe:
            child = json.loads(pipe.read() or '{"error": "no report"}')
        os.waitpid(pid, 0)
    assert "error" not in child, child.get("error")
    return {"parent": parent_names, "child": child["names"]}


def _connections_by_process(server: ScriptedServer) -> Dict[int, set[str]]:
    """For every connection the server accepted, which processes' creates it carried."""
    carried: Dict[int, set[str]] = {}
    for request in server.requests:
        if request.target == "/models/create":
            tag = request.json()["name"].split("-")[0]
            carried.setdefault(request.connection, set()).add(tag)
    return carried


def test_a_client_used_before_fork_works_in_parent_and_child(
    scripted_server: ScriptedServer,
) -> None:
    client = ApiClient(Configuration(host=scripted_server.url, retries=0))
    api = ModelsApi(client)
    api.models_snapshot()  # a pooled keep-alive connection exists when the process forks

    def creates(tag: str) -> List[str]:
        return [api.models_create_new_model(_seed(tag, n)).name for n in range(CREATES)]

    names = _in_both_processes(creates)
    client.close()
    assert _wrong_answers("parent", names["parent"]) == []
    assert _wrong_answers("child", names["child"]) == []
    shared = [c for c, tags in _connections_by_process(scripted_server).items() if len(tags) > 1]
    assert shared == []


def test_the_process_wide_default_client_is_fork_safe_too(
    scripted_server: ScriptedServer,
) -> None:
    ApiClient.set_default(ApiClient(Configuration(host=scripted_server.url, retries=0)))
    try:
        ModelsApi().models_snapshot()

        def creates(tag: str) -> List[str]:
            api = ModelsApi()  # ApiClient.get_default(), made before the fork
            return [api.models_create_new_model(_seed(tag, n)).name for n in range(CREATES)]

        names = _in_both_processes(creates)
    finally:
        ApiClient.get_default().close()
        ApiClient.set_default(None)
    assert _wrong_answers("parent", names["parent"]) == []
    assert _wrong_answers("child", names["child"]) == []


@pytest.mark.skipif(sys.platform == "darwin", reason="fork with a live event loop is Linux-only")
def test_an_async_client_with_a_live_session_is_fork_safe(scripted_server: ScriptedServer) -> None:
    """The parent's loop (and its session with a pooled connection) is still open at the fork;
    the child runs that very loop object, the case where a session could be shared."""
    client = AsyncApiClient(Configuration(host=scripted_server.url, retries=0))
    api = AsyncModelsApi(client)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(api.models_snapshot())

    async def burst(tag: str) -> List[str]:
        return [(await api.models_create_new_model(_seed(tag, n))).name for n in range(CREATES)]

    def creates(tag: str) -> List[str]:
        if tag == "child":
            return loop.run_until_complete(burst(tag))
        return []  # the parent waits: two processes must not drive one epoll set at once

    try:
        names = _in_both_processes(creates)
        names["parent"] = loop.run_until_complete(burst("parent"))
        loop.run_until_complete(client.close())
    finally:
        loop.close()
    assert _wrong_answers("parent", names["parent"]) == []
    assert _wrong_answers("child", names["child"]) == []
    shared = [c for c, tags in _connections_by_process(scripted_server).items() if len(tags) > 1]
    assert shared == []
