"""Error statuses, unreadable answers, unreachable servers and unsafe input, over real sockets."""

from __future__ import annotations

import json
import logging
from typing import Any, Type

import pytest
from _scripted_server import QuickRetries, Reply, ScriptedServer, free_port

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
    ApiTimeoutError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    Configuration,
    ConflictException,
    ForbiddenException,
    ModelsApi,
    NotFoundException,
    OpenApiException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from pieces_os_client.rest import ApiException as RestApiException


def _api(server: ScriptedServer, **settings: Any) -> ModelsApi:
    return ModelsApi(ApiClient(Configuration(host=server.url, **settings)))


STATUS_CLASSES = [
    (400, BadRequestException),
    (401, UnauthorizedException),
    (403, ForbiddenException),
    (404, NotFoundException),
    (409, ConflictException),
    (422, UnprocessableEntityException),
    (500, ServiceException),
    (418, ApiException),
]


@pytest.mark.parametrize(("status", "exc_class"), STATUS_CLASSES)
def test_error_status_maps_to_its_exception_and_keeps_everything(
    scripted_server: ScriptedServer, status: int, exc_class: Type[ApiException]
) -> None:
    scripted_server.script(Reply(status, {"error": f"nope {status}"}, headers={"X-Trace": "t9"}))
    api = _api(scripted_server)
    with pytest.raises(exc_class) as caught:
        api.models_create_new_model()
    error = caught.value
    assert type(error) is exc_class
    assert isinstance(error, RestApiException) and isinstance(error, OpenApiException)
    assert error.status == status
    assert error.reason
    assert error.headers is not None and error.headers["X-Trace"] == "t9"
    assert json.loads(error.body) == {"error": f"nope {status}"}
    assert error.data == {"error": f"nope {status}"}
    assert f"nope {status}" in str(error)
    # Not retried: these statuses say the request itself was wrong.
    assert len(scripted_server.requests) == 1
    api.api_client.close()


def test_text_error_body_is_kept_as_body_and_data(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(500, "Built-in models cannot be deleted."))
    api = _api(scripted_server)
    with pytest.raises(ServiceException) as caught:
        api.models_delete_specific_model("builtin")
    assert caught.value.body == "Built-in models cannot be deleted."
    # As in the published SDK: the text of a non-JSON body is the data.
    assert caught.value.data == "Built-in models cannot be deleted."
    api.api_client.close()


def test_503_after_all_retries_is_a_service_exception_with_body(
    scripted_server: ScriptedServer,
) -> None:
    busy = Reply(503, {"error": "busy"}, headers={"X-Trace": "last"})
    scripted_server.script(busy, busy, busy)
    api = _api(scripted_server, retries=QuickRetries.from_count(2))
    with pytest.raises(ServiceException) as caught:
        api.models_snapshot()
    assert (caught.value.status, caught.value.data) == (503, {"error": "busy"})
    assert caught.value.headers is not None and caught.value.headers["X-Trace"] == "last"
    assert len(scripted_server.requests) == 3
    api.api_client.close()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>not json</html>", "Invalid JSON"),
        (b"", "EOF"),
        (json.dumps({"iterable": "not a list"}).encode(), "iterable"),
        (json.dumps([1, 2]).encode(), "Models"),
    ],
    ids=["html", "empty", "wrong-field", "wrong-type"],
)
def test_2xx_body_that_is_not_the_documented_shape_raises_validation_error(
    scripted_server: ScriptedServer, body: bytes, problem: str
) -> None:
    scripted_server.script(Reply(200, body, headers={"Content-Type": "text/html", "X-Trace": "v"}))
    api = _api(scripted_server)
    with pytest.raises(ApiResponseValidationError) as caught:
        api.models_snapshot()
    error = caught.value
    assert isinstance(error, ApiException)
    assert error.status == 200
    assert error.headers is not None and error.headers["X-Trace"] == "v"
    assert (error.body or "") == body.decode()
    assert error.__cause__ is not None
    assert problem.lower() in str(error).lower()
    api.api_client.close()


def test_validation_error_from_with_http_info_and_other_endpoints(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script(Reply(200, {"model": "x"}), Reply(200, {"id": 5}))
    api = _api(scripted_server)
    with pytest.raises(ApiResponseValidationError):
        api.models_delete_specific_model_cache_with_http_info("m")
    with pytest.raises(ApiResponseValidationError):
        api.models_create_new_model()
    api.api_client.close()


def test_connection_refused_names_url_and_hint() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = ApiClient(Configuration(host=url, retries=0))
    with client, pytest.raises(ApiConnectionError) as caught:
        ModelsApi(client).models_snapshot()
    error = caught.value
    assert not isinstance(error, ApiTimeoutError)
    assert isinstance(error, OpenApiException) and isinstance(error, ConnectionError)
    assert f"{url}/models" in str(error)
    assert "PIECES_OS_URL" in str(error)
    assert (error.method, error.url) == ("GET", f"{url}/models")
    assert error.__cause__ is not None


def test_connection_refused_is_retried_then_reported(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = Configuration(host=url, retries=QuickRetries.from_count(2))
    logs = caplog.at_level(logging.INFO, logger="pieces_os_client")
    client = ApiClient(config)
    with logs, client, pytest.raises(ApiConnectionError, match="PIECES_OS_URL"):
        ModelsApi(client).unload_models()
    # Nothing was sent, so even a POST is tried again: once per allowed retry.
    retries = [r.getMessage() for r in caplog.records if "retrying POST" in r.getMessage()]
    assert len(retries) == 2


# --- input safety: nothing reaches the socket ----------------------------------------------
@pytest.mark.parametrize(
    ("model", "exc_class"),
    [("", ApiValueError), ("   ", ApiValueError), (None, ApiValueError), (42, ApiTypeError)],
)
def test_bad_model_id_fails_before_sending(
    scripted_server: ScriptedServer, model: Any, exc_class: Type[Exception]
) -> None:
    api = _api(scripted_server)
    with pytest.raises(exc_class):
        api.models_delete_specific_model(model)
    with pytest.raises(exc_class):
        api.models_delete_specific_model_cache_without_preload_content(model)
    assert scripted_server.accepted == 0
    api.api_client.close()


@pytest.mark.parametrize(
    ("call", "exc_class"),
    [
        (lambda api: api.models_create_new_model("a string"), ApiTypeError),
        (lambda api: api.models_create_new_model(42), ApiTypeError),
        (lambda api: api.models_create_new_model({"name": 1}), ApiValueError),
        (
            lambda api: api.models_delete_specific_model_cache("m", ["not", "an", "input"]),
            ApiTypeError,
        ),
    ],
    ids=["str", "int", "invalid-dict", "list"],
)
def test_wrong_body_type_fails_before_sending(
    scripted_server: ScriptedServer, call: Any, exc_class: Type[Exception]
) -> None:
    api = _api(scripted_server)
    with pytest.raises(exc_class):
        call(api)
    assert scripted_server.accepted == 0
    api.api_client.close()


@pytest.mark.parametrize(
    ("model", "target"),
    [
        ("../unload", "/models/..%2Funload/delete"),
        ("..", "/models/%2E%2E/delete"),
        (".", "/models/%2E/delete"),
        ("a/b?c#d", "/models/a%2Fb%3Fc%23d/delete"),
        ("模型 1", "/models/%E6%A8%A1%E5%9E%8B%201/delete"),
        ("%2e", "/models/%252e/delete"),
        ("../../models/unload?x=", "/models/..%2F..%2Fmodels%2Funload%3Fx%3D/delete"),
    ],
)
def test_path_injection_never_reaches_another_route(
    scripted_server: ScriptedServer, model: str, target: str
) -> None:
    api = _api(scripted_server)
    api.models_delete_specific_model(model)
    api.models_delete_specific_model_cache(model)
    lines = [r.request_line for r in scripted_server.requests]
    assert lines == [f"POST {target} HTTP/1.1", f"POST {target}/cache HTTP/1.1"]
    api.api_client.close()


CRLF_VALUES = ["v\r\nX-Evil: 1", "v\nX-Evil: 1", "v\rX-Evil: 1"]


@pytest.mark.parametrize("value", CRLF_VALUES)
def test_header_injection_via_per_call_headers(scripted_server: ScriptedServer, value: str) -> None:
    api = _api(scripted_server)
    with pytest.raises(ApiValueError):
        api.models_snapshot(_headers={"X-Trace": value})
    with pytest.raises(ApiValueError):
        api.unload_models(_headers={"X-Bad\r\nX-Evil": "1"})
    with pytest.raises(ApiValueError):
        api.models_create_new_model(_content_type=f"application/json{value}", seeded_model=None)
    assert scripted_server.accepted == 0
    api.api_client.close()


@pytest.mark.parametrize("value", CRLF_VALUES)
def test_header_injection_via_api_key_and_token(
    scripted_server: ScriptedServer, value: str
) -> None:
    config = Configuration(host=scripted_server.url)
    config.api_key["application"] = value
    with ApiClient(config) as client, pytest.raises(ApiValueError):
        ModelsApi(client).models_snapshot()
    config = Configuration(host=scripted_server.url, access_token=value)
    with ApiClient(config) as client, pytest.raises(ApiValueError):
        ModelsApi(client).models_snapshot_with_http_info()
    config = Configuration(host=scripted_server.url)
    config.api_key["application"] = "ok"
    config.api_key_prefix["application"] = value
    with ApiClient(config) as client, pytest.raises(ApiValueError):
        ModelsApi(client).unload_models_without_preload_content()
    with ApiClient(Configuration(host=scripted_server.url)) as client, pytest.raises(ApiValueError):
        ModelsApi(client).models_snapshot(
            _request_auth={"in": "header", "key": "X-Application-ID", "value": value}
        )
    assert scripted_server.accepted == 0


@pytest.mark.parametrize("value", CRLF_VALUES)
def test_header_injection_via_default_headers(scripted_server: ScriptedServer, value: str) -> None:
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        with pytest.raises(ApiValueError):
            client.set_default_header("X-Trace", value)
        with pytest.raises(ApiValueError):
            client.user_agent = f"agent{value}"
        with pytest.raises(ApiValueError):
            ApiClient(Configuration(host=scripted_server.url), "X-Trace", value)
        # The refused values were not stored either: a later call sends clean headers.
        ModelsApi(client).models_snapshot()
    seen = scripted_server.requests[0]
    assert seen.header("X-Trace") is None and seen.header("X-Evil") is None
    assert scripted_server.accepted == 1


def test_non_string_header_value_is_a_type_error(scripted_server: ScriptedServer) -> None:
    api = _api(scripted_server)
    with pytest.raises(ApiTypeError):
        api.models_snapshot(_headers={"X-Count": 3})  # type: ignore[dict-item]
    assert scripted_server.accepted == 0
    api.api_client.close()


def test_bad_host_is_refused_when_the_client_is_made() -> None:
    with pytest.raises(ApiValueError, match="http"):
        ApiClient(Configuration(host="localhost:1000"))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Name": "模型"},
        {"X Bad": "1"},
        {"X-Tab\t": "1"},
        {"Xé": "1"},
        {"X-Colon:": "1"},
        {"X-Nul": "a\x00b"},
        {"": "1"},
    ],
    ids=["non-latin1-value", "space", "tab", "non-ascii-name", "colon", "nul", "empty"],
)
def test_headers_http_cannot_carry_are_api_value_errors_before_sending(
    scripted_server: ScriptedServer, headers: dict[str, str]
) -> None:
    api = _api(scripted_server)
    with pytest.raises(ApiValueError):
        api.models_snapshot(_headers=headers)
    assert scripted_server.accepted == 0
    api.api_client.close()


def test_non_latin1_api_key_is_an_api_value_error(scripted_server: ScriptedServer) -> None:
    config = Configuration(host=scripted_server.url)
    config.api_key["application"] = "ключ"
    with ApiClient(config) as client, pytest.raises(ApiValueError, match="X-Application-ID"):
        ModelsApi(client).models_snapshot()
    assert scripted_server.accepted == 0


def test_a_compressed_body_that_does_not_decompress_says_so(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script(
        Reply(200, b"this is not gzip", headers={"Content-Encoding": "gzip"}),
    )
    client = ApiClient(Configuration(host=scripted_server.url, retries=0))
    with pytest.raises(ApiConnectionError, match="Content-Encoding could not be decoded"):
        ModelsApi(client).models_snapshot()
    client.close()
