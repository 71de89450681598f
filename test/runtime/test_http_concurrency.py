"""One ApiClient shared by threads, and connection reuse (counted on the server's accept())."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from _scripted_server import MODEL_JSON, Reply, ScriptedServer, SeenRequest, pieces_like

from pieces_os_client import ApiClient, Configuration, ModelsApi, ServiceException


def _echo_call_id(request: SeenRequest) -> Reply:
    """Answers GET /models with one model named after the request's X-Call header."""
    if request.target == "/models":
        model = {**MODEL_JSON, "name": request.header("X-Call") or "?"}
        return Reply(200, {"iterable": [model]})
    if request.target.endswith("/delete/cache"):
        return Reply(200, {"model": {"id": request.target.split("/")[2]}})
    return pieces_like(request)


def test_8_threads_x_100_calls_on_one_client_all_correct() -> None:
    with ScriptedServer(_echo_call_id) as server:
        client = ApiClient(Configuration(host=server.url, timeout=10))
        api = ModelsApi(client)
        start = threading.Barrier(8)

        def work(thread: int) -> list[str]:
            start.wait(timeout=10)
            wrong = []
            for i in range(100):
                call_id = f"{thread}-{i}"
                if i % 2:
                    got = api.models_snapshot(_headers={"X-Call": call_id}).iterable[0].name
                else:
                    got = api.models_delete_specific_model_cache(call_id).model.id
                if got != call_id:
                    wrong.append(f"{call_id} got {got}")
            return wrong

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8), timeout=60))
        client.close()
        assert results == [[]] * 8
        assert len(server.requests) == 800
        # Threads reuse pooled connections rather than opening one per call.
        assert server.accepted <= 16


def test_200_sequential_calls_reuse_a_few_connections(scripted_server: ScriptedServer) -> None:
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        api = ModelsApi(client)
        for i in range(200):
            if i % 4 == 0:
                api.models_snapshot()
            elif i % 4 == 1:
                api.unload_models()
            elif i % 4 == 2:
                api.models_create_new_model_with_http_info()
            else:
                raw = api.models_delete_specific_model_without_preload_content("m")
                raw.data  # noqa: B018 - reading returns the connection to the pool
                raw.release_conn()
    assert len(scripted_server.requests) == 200
    assert scripted_server.accepted <= 2


def test_connections_are_reused_after_error_statuses(scripted_server: ScriptedServer) -> None:
    scripted_server.script(*(Reply(500, {"error": "x"}) for _ in range(20)))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        api = ModelsApi(client)
        for _ in range(20):
            try:
                api.models_delete_specific_model("builtin")
            except ServiceException as error:
                assert json.loads(error.body or "") == {"error": "x"}
            else:
                raise AssertionError("a 500 must raise ServiceException")
    assert scripted_server.accepted == 1


def test_a_client_per_thread_does_not_interfere(scripted_server: ScriptedServer) -> None:
    def work(_: int) -> int:
        with ApiClient(Configuration(host=scripted_server.url)) as client:
            return len(ModelsApi(client).models_snapshot().iterable)

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(8), timeout=30)) == [1] * 8


def test_post_after_the_server_closed_an_idle_connection_reconnects(
    scripted_server: ScriptedServer,
) -> None:
    """Servers close idle keep-alive connections; the next POST must not fail because of it."""
    for _ in range(3):
        # Answer, then hang up without saying so (no "Connection: close").
        scripted_server.script(Reply(raw=b"HTTP/1.1 204 No Content\r\n\r\n"))
    with ApiClient(Configuration(host=scripted_server.url, retries=0)) as client:
        api = ModelsApi(client)
        for _ in range(3):
            api.unload_models()
            assert scripted_server.wait_for(lambda: scripted_server.open_connections == 0)
        api.unload_models()
    assert len(scripted_server.requests) == 4
    assert scripted_server.accepted == 4
