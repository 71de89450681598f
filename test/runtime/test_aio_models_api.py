"""AsyncModelsApi against LocalPiecesOS: the fifteen methods, errors, validation, wire, logging.

No pytest-asyncio: each test drives its coroutine with ``asyncio.run`` (bounded by wait_for).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path
from typing import Any, Coroutine, List, Tuple, TypeVar

import pytest

from pieces_os_client import (
    ApiClient,
    ApiException,
    ApiResponseValidationError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    GroupedTimestamp,
    Model,
    ModelDeleteCacheInput,
    ModelDeleteCacheOutput,
    Models,
    ModelsApi,
    NotFoundException,
    SeededModel,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.api_client import DEFAULT_USER_AGENT
from pieces_os_client.testing import LocalPiecesOS, builtin_id

T = TypeVar("T")

LOCAL_LLM = builtin_id("phi-3-mini-4k-instruct")
CLOUD_LLM = builtin_id("gpt-4o")


def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def seed(name: str) -> SeededModel:
    return SeededModel(
        name=name,
        version="1.0",
        cloud=False,
        type="BALANCED",
        usage="CODE_CONVERSATION",
        created=GroupedTimestamp(value="2024-05-01T12:00:00Z"),
    )


def public_methods(cls: type) -> List[str]:
    return sorted(n for n in dir(cls) if callable(getattr(cls, n)) and not n.startswith("_"))


def test_same_methods_and_parameters_as_models_api() -> None:
    names = public_methods(ModelsApi)
    # five endpoints in three variants, the stream in three, the watcher, resolve_model
    assert len(names) == 20
    assert public_methods(AsyncModelsApi) == names
    for name in names:
        sync_method = getattr(ModelsApi, name)
        async_method = getattr(AsyncModelsApi, name)
        # The stream methods return an object to await or to use with ``async with``.
        is_stream = name.startswith(("models_stream_identifiers", "models_watch"))
        assert inspect.iscoroutinefunction(async_method) != is_stream, name
        sync_params = [
            (p.name, p.kind, p.default) for p in inspect.signature(sync_method).parameters.values()
        ]
        async_params = [
            (p.name, p.kind, p.default) for p in inspect.signature(async_method).parameters.values()
        ]
        assert async_params == sync_params, name


def test_all_fifteen_methods(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os

    async def main() -> List[str]:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)

            # GET /models
            snapshot = await api.models_snapshot()
            assert isinstance(snapshot, Models)
            assert [m.id for m in snapshot.iterable] == [m.id for m in server.models()]
            info = await api.models_snapshot_with_http_info()
            assert info.status_code == 200
            assert info.data == snapshot
            assert Models.from_json(info.raw_data) == snapshot
            assert info.headers is not None and info.headers["Content-Type"] == "application/json"
            raw = await api.models_snapshot_without_preload_content()
            async with raw:
                assert raw.status == 200
                assert Models.from_json(await raw.read()) == snapshot

            # POST /models/create
            first = await api.models_create_new_model(seed("first"))
            assert isinstance(first, Model) and first.custom and first.name == "first"
            second = await api.models_create_new_model_with_http_info(seed("second"))
            assert second.status_code == 200 and second.data.name == "second"
            raw = await api.models_create_new_model_without_preload_content(seed("third"))
            async with raw:
                assert raw.status == 200
                third = Model.from_json(await raw.read())
            assert third.custom and third.name == "third"
            # a duplicate returns the existing model instead of a new one
            assert (await api.models_create_new_model(seed("first"))).id == first.id
            created = {first.id, second.data.id, third.id}
            assert created <= {m.id for m in server.models()}

            # POST /models/{model}/delete
            assert await api.models_delete_specific_model(first.id) is None
            deleted = await api.models_delete_specific_model_with_http_info(second.data.id)
            assert (deleted.status_code, deleted.data, deleted.raw_data) == (204, None, b"")
            raw = await api.models_delete_specific_model_without_preload_content(third.id)
            async with raw:
                assert raw.status == 204
                assert await raw.read() == b""
            assert not created & {m.id for m in server.models()}

            # POST /models/{model}/delete/cache
            cleared = await api.models_delete_specific_model_cache(LOCAL_LLM)
            assert isinstance(cleared, ModelDeleteCacheOutput)
            assert cleared.model.id == LOCAL_LLM
            info_cache = await api.models_delete_specific_model_cache_with_http_info(
                LOCAL_LLM, ModelDeleteCacheInput(model=LOCAL_LLM)
            )
            assert info_cache.status_code == 200 and info_cache.data.model.id == LOCAL_LLM
            raw = await api.models_delete_specific_model_cache_without_preload_content(LOCAL_LLM)
            async with raw:
                assert raw.status == 200
                assert ModelDeleteCacheOutput.from_json(await raw.read()).model.id == LOCAL_LLM
            assert not next(m for m in server.models() if m.id == LOCAL_LLM).downloaded

            # POST /models/unload
            assert await api.unload_models() is None
            unloaded = await api.unload_models_with_http_info()
            assert (unloaded.status_code, unloaded.data) == (204, None)
            raw = await api.unload_models_without_preload_content()
            async with raw:
                assert raw.status == 204
            assert not any(m.loaded for m in server.models())
            return [first.id, second.data.id, third.id]

    created_ids = run(main())
    expected = (
        [("GET", "/models")] * 3
        + [("POST", "/models/create")] * 4
        + [("POST", f"/models/{model_id}/delete") for model_id in created_ids]
        + [("POST", f"/models/{LOCAL_LLM}/delete/cache")] * 3
        + [("POST", "/models/unload")] * 3
    )
    assert [(r.method, r.path) for r in server.requests] == expected
    assert all(r.header("User-Agent") == DEFAULT_USER_AGENT for r in server.requests)
    creates = [r for r in server.requests if r.path == "/models/create"]
    assert all(r.header("Content-Type") == "application/json" for r in creates)
    assert [r.json()["name"] for r in creates] == ["first", "second", "third", "first"]
    with_body = [r for r in server.requests if r.path.endswith("/delete/cache") and r.body]
    assert [r.json() for r in with_body] == [{"model": LOCAL_LLM}]


def _sync_failure(server: LocalPiecesOS, model: str) -> ApiException:
    with server.client(retries=0) as api_client:
        try:
            ModelsApi(api_client).models_delete_specific_model(model)
        except ApiException as error:
            return error
    raise AssertionError("the sync client did not raise")


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, BadRequestException),
        (401, UnauthorizedException),
        (403, ForbiddenException),
        (404, NotFoundException),
        (409, ConflictException),
        (422, UnprocessableEntityException),
        (418, ApiException),
        (500, ServiceException),
        (503, ServiceException),
    ],
)
def test_error_statuses_raise_the_sync_clients_exceptions(
    local_pieces_os: LocalPiecesOS, status: int, exception: type
) -> None:
    server = local_pieces_os
    body = {"error": f"scripted {status}", "status": status}

    async def main() -> ApiException:
        async with AsyncApiClient(server.configuration(retries=0)) as api_client:
            server.fail_next(1, status=status, body=body)
            with pytest.raises(ApiException) as caught:
                await AsyncModelsApi(api_client).models_delete_specific_model("some-id")
            return caught.value

    error = run(main())
    assert type(error) is exception
    assert (error.status, error.data) == (status, body)
    assert error.body is not None and f"scripted {status}" in error.body
    assert error.headers is not None and error.headers["Content-Type"] == "application/json"
    server.fail_next(1, status=status, body=body)
    sync_error = _sync_failure(server, "some-id")
    assert (type(sync_error), sync_error.status, sync_error.reason, sync_error.body) == (
        type(error),
        error.status,
        error.reason,
        error.body,
    )


def test_refusals_keep_the_servers_explanation(local_pieces_os: LocalPiecesOS) -> None:
    server = local_pieces_os

    async def main() -> Tuple[ServiceException, ServiceException, int]:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            with pytest.raises(ServiceException) as builtin:
                await api.models_delete_specific_model(CLOUD_LLM)
            with pytest.raises(ServiceException) as cloud_cache:
                await api.models_delete_specific_model_cache(CLOUD_LLM)
            # error statuses are not raised by *_without_preload_content
            raw = await api.models_delete_specific_model_without_preload_content(CLOUD_LLM)
            async with raw:
                await raw.read()
            return builtin.value, cloud_cache.value, raw.status

    builtin, cloud_cache, raw_status = run(main())
    assert builtin.status == 500 and "built in" in (builtin.body or "")
    assert cloud_cache.status == 500 and "cloud" in (cloud_cache.body or "")
    assert raw_status == 500
    assert CLOUD_LLM in {m.id for m in server.models()}


def test_a_2xx_body_that_is_not_a_model_raises_validation_error(
    local_pieces_os: LocalPiecesOS,
) -> None:
    server = local_pieces_os
    server.fail_next(1, status=200, body="not json at all", path="/models")

    async def main() -> ApiResponseValidationError:
        async with AsyncApiClient(server.configuration()) as api_client:
            with pytest.raises(ApiResponseValidationError) as caught:
                await AsyncModelsApi(api_client).models_snapshot()
            return caught.value

    error = run(main())
    assert error.status == 200 and error.body == "not json at all" and error.expected == "Models"


def test_bad_arguments_are_refused_before_anything_is_sent(
    local_pieces_os: LocalPiecesOS,
) -> None:
    server = local_pieces_os

    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            api = AsyncModelsApi(api_client)
            with pytest.raises(ApiValueError, match="model"):
                await api.models_delete_specific_model("  ")
            with pytest.raises(ApiTypeError, match="must be a str"):
                await api.models_delete_specific_model(42)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="unexpected keyword"):
                await api.models_snapshot(_request_timout=3)  # type: ignore[call-arg]
            with pytest.raises(ApiValueError, match="CR"):
                await api.unload_models(_headers={"X-Trace": "a\r\nInjected: 1"})
            with pytest.raises(ApiTypeError, match="SeededModel"):
                await api.models_create_new_model("a model")  # type: ignore[arg-type]
            with pytest.raises(ApiValueError, match="timeout"):
                await api.models_snapshot(_request_timeout=-1)

    run(main())
    assert server.requests == []


@pytest.mark.parametrize("model_id", ["a/b", "..", ".", "x?y#z", "id with spaces", "ü"])
def test_path_segments_are_encoded_like_the_sync_client(
    local_pieces_os: LocalPiecesOS, model_id: str
) -> None:
    server = local_pieces_os

    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            with pytest.raises(ServiceException, match="no model"):
                await AsyncModelsApi(api_client).models_delete_specific_model(model_id)

    run(main())
    with ApiClient(server.configuration()) as api_client, pytest.raises(ServiceException):
        ModelsApi(api_client).models_delete_specific_model(model_id)
    async_path, sync_path = (r.path for r in server.requests)
    assert async_path == sync_path
    assert async_path.startswith("/models/") and async_path.endswith("/delete")
    assert async_path.count("/") == 3


def test_auth_and_extra_headers_are_sent_and_never_logged(
    local_pieces_os: LocalPiecesOS, caplog: pytest.LogCaptureFixture
) -> None:
    server = local_pieces_os
    configuration = server.configuration(
        api_key={"application": "app-secret-123"}, access_token="token-secret-456"
    )

    async def main() -> None:
        async with AsyncApiClient(configuration, "X-Default", "default-secret-789") as client:
            client.user_agent = "my-plugin/2.0"
            await AsyncModelsApi(client).models_snapshot(_headers={"X-Trace": "trace-secret"})
            await AsyncModelsApi(client).unload_models(
                _request_auth={"in": "header", "key": "X-Application-ID", "value": "other-app"}
            )

    with caplog.at_level(logging.DEBUG, logger="pieces_os_client"):
        run(main())
    snapshot, unload = server.requests
    assert snapshot.header("X-Application-ID") == "app-secret-123"
    assert snapshot.header("Authorization") == "Bearer token-secret-456"
    assert snapshot.header("X-Default") == "default-secret-789"
    assert snapshot.header("X-Trace") == "trace-secret"
    assert snapshot.header("User-Agent") == "my-plugin/2.0"
    assert snapshot.header("Accept") == "application/json"
    assert unload.header("X-Application-ID") == "other-app"
    assert unload.header("Authorization") is None

    ours = [r.getMessage() for r in caplog.records if r.name == "pieces_os_client"]
    assert any(f"GET {server.url}/models -> 200 in" in line for line in ours), ours
    assert any(f"POST {server.url}/models/unload -> 204 in" in line for line in ours), ours
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("app-secret", "token-secret", "default-secret", "trace-secret", "other-app"):
        assert secret not in everything


def test_debug_configuration_logs_to_its_own_file(
    local_pieces_os: LocalPiecesOS, tmp_path: Path
) -> None:
    configuration = local_pieces_os.configuration(access_token="token-secret")
    configuration.logger_file = str(tmp_path / "pieces.log")
    configuration.debug = True

    async def main() -> None:
        async with AsyncApiClient(configuration) as api_client:
            await AsyncModelsApi(api_client).models_snapshot()

    run(main())
    logged = (tmp_path / "pieces.log").read_text()
    assert f"GET {local_pieces_os.url}/models -> 200" in logged
    assert "token-secret" not in logged
    logger = configuration._get_debug_logger()
    assert logger is not None
    for handler in logger.handlers:
        handler.close()
