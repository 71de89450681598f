"""Code written for the published SDK 5.0.1 keeps working: its public names, its ``except``
clauses, its per-call parameters and what ``ApiException.data`` holds.

The names are pinned from ``../shared/wire/OPERATIONS.md`` ("Public names"), so the surface
cannot shrink by accident. Everything runs against a real server on 127.0.0.1: the bundled
``LocalPiecesOS``, or a ``ScriptedServer`` where an answer must be exact.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import inspect
import json
import pickle
import pydoc
import traceback
import typing
from typing import Any, Callable, Dict, List, Tuple

import pydantic
import pytest
from _scripted_server import MODEL_JSON, Reply, ScriptedServer

from pieces_os_client import ApiClient, Configuration, ModelsApi, WellKnownApi
from pieces_os_client._core.endpoint import OPTION_NAMES
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi, AsyncWellKnownApi
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.exceptions import (
    ApiException,
    ApiResponseValidationError,
    ApiTypeError,
    ApiValueError,
    ServiceException,
)
from pieces_os_client.models import (
    GroupedTimestamp,
    Model,
    ModelMaxTokens,
    Models,
    ReferencedModel,
    SeededModel,
)
from pieces_os_client.testing import LocalPiecesOS

#: OPERATIONS.md, "Public names".
API_CLIENT_NAMES = [
    "call_api",
    "deserialize",
    "files_parameters",
    "get_default",
    "param_serialize",
    "parameters_to_tuples",
    "parameters_to_url_query",
    "response_deserialize",
    "sanitize_for_serialization",
    "select_header_accept",
    "select_header_content_type",
    "set_default",
    "set_default_header",
    "update_params_for_auth",
    "user_agent",
    "NATIVE_TYPES_MAPPING",
    "PRIMITIVE_TYPES",
]
CONFIGURATION_NAMES = [
    "auth_settings",
    "debug",
    "get_api_key_with_prefix",
    "get_basic_auth_token",
    "get_default",
    "get_default_copy",
    "get_host_from_settings",
    "get_host_settings",
    "host",
    "logger_file",
    "logger_format",
    "set_default",
    "to_debug_report",
]
#: Every public name of 5.0.1's ``pieces_os_client.exceptions``.
EXCEPTIONS_NAMES = [
    "OpenApiException",
    "ApiTypeError",
    "ApiValueError",
    "ApiAttributeError",
    "ApiKeyError",
    "ApiException",
    "BadRequestException",
    "NotFoundException",
    "UnauthorizedException",
    "ForbiddenException",
    "ServiceException",
    "ConflictException",
    "UnprocessableEntityException",
    "render_path",
]
#: ``Configuration(...)``'s parameters in 5.0.1, in order; ``debug`` is keyword-only.
CONFIGURATION_PARAMETERS = [
    "host",
    "api_key",
    "api_key_prefix",
    "username",
    "password",
    "access_token",
    "server_index",
    "server_variables",
    "server_operation_index",
    "server_operation_variables",
    "ignore_operation_servers",
    "ssl_ca_cert",
    "retries",
    "ca_cert_data",
]
#: The per-call options every endpoint method names, with their annotations.
OPTIONS = {
    "_request_timeout": "Optional[TimeoutSpec]",
    "_request_auth": "Optional[Dict[str, Any]]",
    "_content_type": "Optional[str]",
    "_headers": "Optional[Mapping[str, str]]",
    "_host_index": "int",
}
ENDPOINT_NAMES = [
    "models_snapshot",
    "models_create_new_model",
    "models_delete_specific_model",
    "models_delete_specific_model_cache",
    "unload_models",
]
METHOD_NAMES = [
    name + suffix
    for name in ENDPOINT_NAMES
    for suffix in ("", "_with_http_info", "_without_preload_content")
]
#: 5.0.1's ``WellKnownApi`` (OPERATIONS.md, "The well-known operations"): no parameters but
#: the per-call options.
WELL_KNOWN_NAMES = [
    "get_well_known_health",
    "get_well_known_version",
    "get_installation_path",
    "get_well_known_stream_health",
]
WELL_KNOWN_METHOD_NAMES = [
    name + suffix
    for name in WELL_KNOWN_NAMES
    for suffix in ("", "_with_http_info", "_without_preload_content")
]


# --- the names ---------------------------------------------------------------------------------
def test_api_client_configuration_and_api_response_have_every_published_name() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        assert [n for n in API_CLIENT_NAMES if not hasattr(client, n)] == []
    configuration = Configuration()
    assert [n for n in CONFIGURATION_NAMES if not hasattr(configuration, n)] == []
    assert issubclass(ApiResponse, pydantic.BaseModel)
    assert set(ApiResponse.model_fields) == {"status_code", "headers", "data", "raw_data"}
    assert [n for n in METHOD_NAMES if not callable(getattr(ModelsApi, n, None))] == []


def test_exceptions_module_has_every_published_name_and_from_response_raises() -> None:
    from pieces_os_client import exceptions

    assert [n for n in EXCEPTIONS_NAMES if not hasattr(exceptions, n)] == []
    assert exceptions.render_path(["iterable", 0, "id"]) == "['iterable'][0]['id']"

    class Answer:
        status, reason, data = 404, "Not Found", b"no such model"

        def getheaders(self) -> Dict[str, str]:
            return {"Content-Type": "text/plain"}

    # 5.0.1's from_response raises (code calls it without ``raise``).
    with pytest.raises(exceptions.NotFoundException) as caught:
        exceptions.ApiException.from_response(http_resp=Answer(), body=None, data=None)
    assert (caught.value.status, caught.value.data) == (404, "no such model")


def test_every_exception_names_the_exceptions_module_in_tracebacks_and_pickles() -> None:
    # Some are written in private modules; what users see names the module they import from.
    from pieces_os_client import exceptions

    public = "pieces_os_client.exceptions"
    assert [n for n in exceptions.__all__ if getattr(exceptions, n).__module__ != public] == []
    errors = [
        exceptions.ModelNotFoundError("no model by that name", query="x"),
        exceptions.ModelDownloadFailed("the download failed", model_id="m1"),
        exceptions.ApiValueError("model must not be empty", ["model"]),
    ]
    for error in errors:
        data = pickle.dumps(error)
        assert public.encode() in data and b"pieces_os_client._" not in data, data
        twin = pickle.loads(data)
        assert (type(twin), str(twin)) == (type(error), str(error))
    line = traceback.format_exception_only(type(errors[0]), errors[0])[-1]
    assert line == "pieces_os_client.exceptions.ModelNotFoundError: no model by that name\n"


def test_configuration_takes_the_published_keywords_in_order() -> None:
    parameters = inspect.signature(Configuration).parameters
    positional = [
        name for name, p in parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert positional == CONFIGURATION_PARAMETERS
    assert parameters["debug"].kind is inspect.Parameter.KEYWORD_ONLY
    pem = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"
    configuration = Configuration("https://127.0.0.1:1000", ca_cert_data=pem, debug=False)
    assert (configuration.host, configuration.ca_cert_data) == ("https://127.0.0.1:1000", pem)


def test_basic_auth_token_is_what_http_basic_auth_sends() -> None:
    assert Configuration(username="user", password="pass").get_basic_auth_token() == (
        "Basic dXNlcjpwYXNz"
    )
    assert Configuration().get_basic_auth_token() == "Basic Og=="  # ":" alone, as in 5.0.1


def test_native_and_primitive_types_are_the_published_ones() -> None:
    assert (float, bool, bytes, str, int) == ApiClient.PRIMITIVE_TYPES
    assert ApiClient.NATIVE_TYPES_MAPPING["datetime"] is dt.datetime
    assert ApiClient.NATIVE_TYPES_MAPPING["decimal"] is decimal.Decimal
    assert set(ApiClient.NATIVE_TYPES_MAPPING) == {
        "int",
        "long",
        "float",
        "str",
        "bool",
        "date",
        "datetime",
        "decimal",
        "object",
    }


# --- ApiResponse is a pydantic model ------------------------------------------------------------
def test_api_response_of_a_real_call_dumps_like_a_pydantic_model(server: LocalPiecesOS) -> None:
    with server.client() as api_client:
        response = ModelsApi(api_client).models_snapshot_with_http_info()
    dumped = response.model_dump()
    assert dumped["status_code"] == 200
    assert dumped["raw_data"] == response.raw_data
    assert dumped["headers"]["Content-Type"].startswith("application/json")
    assert len(dumped["data"]["iterable"]) == len(response.data.iterable) > 0
    assert json.loads(response.model_dump_json())["status_code"] == 200


def test_api_response_validates_what_users_build() -> None:
    built = ApiResponse(status_code=204, headers={"X": "1"}, data=None, raw_data=b"")
    assert built.model_dump() == {
        "status_code": 204,
        "headers": {"X": "1"},
        "data": None,
        "raw_data": b"",
    }
    with pytest.raises(pydantic.ValidationError, match="status_code"):
        ApiResponse(status_code="204", headers={}, data=None, raw_data=b"")


# --- the three-step flow of the published SDK, end to end -----------------------------------------
def test_param_serialize_call_api_response_deserialize_round_trip(server: LocalPiecesOS) -> None:
    configuration = server.configuration(api_key={"application": "my-app"})
    with ApiClient(configuration) as client:
        method, url, headers, body, _post = client.param_serialize(
            "POST",
            "/models/create",
            header_params={"Content-Type": "application/json"},
            body=SeededModel(
                name="three-step",
                version="1",
                cloud=False,
                type="BALANCED",
                usage="CODE_GENERATION",
                created=GroupedTimestamp(value="2024-01-01T00:00:00Z"),
                description="made the 5.0.1 way",
            ),
            auth_settings=["application"],
        )
        assert headers["X-Application-ID"] == "my-app"
        assert body["description"] == "made the 5.0.1 way"
        response = client.call_api(method, url, header_params=headers, body=body)
        response.read()
        created = client.response_deserialize(response, {"200": "Model", "500": "str"}).data
    assert isinstance(created, Model) and created.description == "made the 5.0.1 way"
    assert server.requests[-1].headers["X-Application-ID"] == "my-app"


def test_a_subclass_update_params_for_auth_is_what_param_serialize_applies(
    server: LocalPiecesOS,
) -> None:
    # 5.0.1 code adds its own credentials by overriding this method; param_serialize calls it
    # with what 5.0.1 passes, and the default credentials are then its business.
    seen = []

    class SignedClient(ApiClient):
        def update_params_for_auth(
            self, headers, queries, auth_settings, resource_path, method, body, request_auth=None
        ):  # type: ignore[no-untyped-def]
            seen.append((auth_settings, resource_path, method, request_auth))
            headers["X-Signature"] = f"signed {method} {resource_path}"
            queries.append(("token", "t 1"))

    with SignedClient(server.configuration(api_key={"application": "my-app"})) as client:
        method, url, headers, _body, _post = client.param_serialize(
            "GET", "/model/{model}", path_params={"model": "m 1"}, auth_settings=["application"]
        )
        assert headers["X-Signature"] == "signed GET /model/m%201"
        assert "X-Application-ID" not in headers
        assert url.endswith("/model/m%201?token=t%201")
        client.call_api(method, url, header_params=headers).read()
    assert seen == [(["application"], "/model/m%201", "GET", None)]
    assert server.requests[-1].headers["X-Signature"] == "signed GET /model/m%201"


@pytest.mark.parametrize(
    ("reply", "types", "data"),
    [
        (
            Reply(200, "plain text", headers={"Content-Type": "text/plain"}),
            {"200": "str"},
            "plain text",
        ),
        (Reply(200, {"id": "m9"}), {"2XX": "ReferencedModel"}, ReferencedModel(id="m9")),
        (
            Reply(200, b"\x00\x01", headers={"Content-Type": "application/octet-stream"}),
            {"200": "bytearray"},
            b"\x00\x01",
        ),
        (
            Reply(200, '"SPEED"', headers={"Content-Type": "application/json"}),
            {"200": "ModelTypeEnum"},
            "SPEED",
        ),
        (Reply(204), {"204": None}, None),
    ],
    ids=["str", "2XX-model", "bytearray", "enum", "no-content"],
)
def test_response_deserialize_reads_every_published_type_name(
    scripted_server: ScriptedServer, reply: Reply, types: Dict[str, Any], data: Any
) -> None:
    scripted_server.script(reply)
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        method, url, headers, _body, _ = client.param_serialize("GET", "/models")
        response = client.call_api(method, url, header_params=headers)
        response.read()
        answer = client.response_deserialize(response, types)
    assert (answer.status_code, answer.data) == (reply.status, data)


def test_param_serialize_applies_only_the_named_auth_schemes() -> None:
    configuration = Configuration(
        host="http://127.0.0.1:9", api_key={"application": "app"}, access_token="tok"
    )
    with ApiClient(configuration) as client:
        _, _, unnamed, _, _ = client.param_serialize("GET", "/models")
        _, url, named, _, _ = client.param_serialize(
            "GET", "/models", query_params=[("a", "x y")], auth_settings=["application"]
        )
    assert "X-Application-ID" not in unnamed and "Authorization" not in unnamed
    assert named["X-Application-ID"] == "app" and "Authorization" not in named
    assert url == "http://127.0.0.1:9/models?a=x%20y"


def test_update_params_for_auth_places_each_setting_where_it_says() -> None:
    configuration = Configuration(host="http://127.0.0.1:9", api_key={"application": "app"})
    with ApiClient(configuration) as client:
        headers: Dict[str, str] = {}
        queries: List[Tuple[str, Any]] = []
        client.update_params_for_auth(headers, queries, ["application"], "/models", "GET", None)
        assert (headers, queries) == ({"X-Application-ID": "app"}, [])
        client.update_params_for_auth(headers, queries, [], "/models", "GET", None)
        assert (headers, queries) == ({"X-Application-ID": "app"}, [])  # nothing named
        one_off = {"in": "query", "key": "k", "value": "v", "type": "api_key"}
        client.update_params_for_auth(headers, queries, ["x"], "/m", "GET", None, one_off)
        assert queries == [("k", "v")]
        with pytest.raises(ApiValueError, match="'in' must be 'header'"):
            client.update_params_for_auth(
                {}, [], ["x"], "/m", "GET", None, {"in": "body", "key": "k", "value": "v"}
            )
        with pytest.raises(ApiValueError, match="CR, LF"):
            client.update_params_for_auth(
                {}, [], ["x"], "/m", "GET", None, {"in": "header", "key": "K", "value": "a\nb"}
            )


def test_collection_parameters_are_formatted_as_published() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        params = {"a": [1, 2], "b": [3, 4], "c": 5, "d": ["x y", "z"]}
        formats = {"a": "multi", "b": "pipes", "d": "ssv"}
        assert client.parameters_to_tuples(params, formats) == [
            ("a", 1),
            ("a", 2),
            ("b", "3|4"),
            ("c", 5),
            ("d", "x y z"),
        ]
        query = client.parameters_to_url_query(
            [("q", "a b"), ("on", True), ("n", 1.5), ("f", {"k": 1}), ("ids", [1, "a/b"])],
            {"ids": "csv"},
        )
    assert query == "q=a%20b&on=true&n=1.5&f=%7B%22k%22%3A%201%7D&ids=1,a/b"


def test_file_uploads_are_refused_with_a_clear_value_error() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        for attempt in (
            lambda: client.files_parameters({"file": b"data"}),
            lambda: client.param_serialize("POST", "/models/create", files={"file": b"x"}),
        ):
            with pytest.raises(ApiValueError, match="file uploads are not part of the Models"):
                attempt()


@pytest.mark.parametrize(
    ("text", "type_name", "content_type", "expected"),
    [
        ('{"id": "m1"}', "ReferencedModel", "application/json", ReferencedModel(id="m1")),
        (
            '{"id": "m1"}',
            "ReferencedModel",
            "application/vnd.pieces+json",
            ReferencedModel(id="m1"),
        ),
        ("model not found", "str", "text/plain; charset=utf-8", "model not found"),
        ("", "str", "application/json", ""),
        ("[1, 2]", "List[int]", None, [1, 2]),
        ('{"a": "1"}', "Dict[str, int]", None, {"a": 1}),
        ("plain words", "str", None, "plain words"),
        (
            '"2024-05-01T12:00:00Z"',
            "datetime",
            None,
            dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc),
        ),
        ('"2024-05-01"', "date", None, dt.date(2024, 5, 1)),
        ('{"x": [1]}', "object", None, {"x": [1]}),
        ('"SPEED"', "ModelTypeEnum", "application/json", "SPEED"),
    ],
)
def test_deserialize_reads_the_published_type_names(
    text: str, type_name: str, content_type: Any, expected: Any
) -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        assert client.deserialize(text, type_name, content_type) == expected


def test_deserialize_refuses_bad_bodies_with_value_errors() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        with pytest.raises(ValueError, match="not JSON") as not_json:
            client.deserialize("{", "Models", "application/json")
        assert isinstance(not_json.value, ApiResponseValidationError)
        with pytest.raises(ApiResponseValidationError, match="iterable"):
            client.deserialize('{"models": []}', "Models", "application/json")
        with pytest.raises(ApiException, match="Unsupported content type"):
            client.deserialize("x", "str", "application/octet-stream")


def test_sanitize_for_serialization_keeps_the_published_shapes() -> None:
    with ApiClient(Configuration(host="http://127.0.0.1:9")) as client:
        sanitized = client.sanitize_for_serialization(
            {"t": (1, 2), "d": decimal.Decimal("1.5"), "s": pydantic.SecretStr("x"), "b": b"r"}
        )
    assert sanitized == {"t": (1, 2), "d": "1.5", "s": "x", "b": b"r"}


# --- except clauses written for 5.0.1 -------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [b"<html>busy</html>", b'{"iterable": "not a list"}', b""],
    ids=["html", "shape", "empty"],
)
def test_a_bad_2xx_body_is_caught_by_except_value_error(
    scripted_server: ScriptedServer, body: bytes
) -> None:
    scripted_server.script(Reply(200, body, headers={"Content-Type": "application/json"}))
    with ApiClient(Configuration(host=scripted_server.url, retries=0)) as client:
        try:
            ModelsApi(client).models_snapshot()
        except ValueError as error:  # what code written for 5.0.1 catches
            caught: BaseException = error
    assert isinstance(caught, ApiResponseValidationError)
    assert caught.status == 200 and caught.body == body.decode()


BAD_ARGUMENTS: List[Tuple[str, Callable[[ModelsApi], Any]]] = [
    ("id of the wrong type", lambda api: api.models_delete_specific_model(5)),  # type: ignore[arg-type]
    ("missing id", lambda api: api.models_delete_specific_model(None)),  # type: ignore[arg-type]
    ("empty id", lambda api: api.models_delete_specific_model(" ")),
    ("body of the wrong type", lambda api: api.models_create_new_model("x")),  # type: ignore[arg-type]
    ("body dict of the wrong shape", lambda api: api.models_create_new_model({})),  # type: ignore[arg-type]
    ("header with a line break", lambda api: api.models_snapshot(_headers={"X": "a\nb"})),
    ("headers not a mapping", lambda api: api.models_snapshot(_headers=5)),  # type: ignore[arg-type]
    ("host index", lambda api: api.models_snapshot(_host_index=1)),
    ("negative timeout", lambda api: api.models_snapshot(_request_timeout=-1)),
    ("timeout of the wrong type", lambda api: api.models_snapshot(_request_timeout="x")),  # type: ignore[arg-type]
    ("auth setting without a value", lambda api: api.models_snapshot(_request_auth={"key": "K"})),
    ("content type", lambda api: api.models_snapshot(_content_type="a\r\nb")),
]


@pytest.mark.parametrize(("label", "call"), BAD_ARGUMENTS, ids=[b[0] for b in BAD_ARGUMENTS])
def test_every_bad_argument_is_a_value_error_as_in_5_0_1(
    scripted_server: ScriptedServer, label: str, call: Callable[[ModelsApi], Any]
) -> None:
    # 5.0.1 checked arguments with pydantic's validate_call: a ValidationError, a ValueError.
    with (
        ApiClient(Configuration(host=scripted_server.url)) as client,
        pytest.raises(ValueError) as caught,
    ):
        call(ModelsApi(client))
    assert isinstance(caught.value, (ApiValueError, ApiTypeError)), label
    assert scripted_server.accepted == 0  # refused before anything was sent


def test_a_misspelt_option_is_a_type_error_naming_it(scripted_server: ScriptedServer) -> None:
    configuration = Configuration(host=scripted_server.url)
    with ApiClient(configuration) as client, pytest.raises(TypeError, match="_request_timout"):
        ModelsApi(client).models_snapshot(_request_timout=3)  # type: ignore[call-arg]
    assert scripted_server.accepted == 0


# --- ApiException.data: the text of a text body, the value of a JSON one --------------------------
ERROR_BODIES = [
    (
        "text/plain",
        b"Model abc is built in and cannot be deleted.",
        "Model abc is built in and cannot be deleted.",
    ),
    ("text/plain; charset=utf-8", b'{"looks": "like json"}', '{"looks": "like json"}'),
    ("application/json", b'{"error": "busy"}', {"error": "busy"}),
    ("application/problem+json", b'{"title": "busy"}', {"title": "busy"}),
    ("application/json", b"{broken", None),
    (None, b"no content type at all", "no content type at all"),
    (None, b'["a"]', ["a"]),
]


@pytest.mark.parametrize(("content_type", "body", "data"), ERROR_BODIES)
def test_error_data_follows_the_content_type(
    scripted_server: ScriptedServer, content_type: Any, body: bytes, data: Any
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    scripted_server.script(Reply(500, body, headers=headers), Reply(500, body, headers=headers))
    configuration = Configuration(host=scripted_server.url, retries=0)
    with ApiClient(configuration) as client, pytest.raises(ServiceException) as caught:
        ModelsApi(client).models_delete_specific_model("abc")
    assert (caught.value.status, caught.value.body, caught.value.data) == (500, body.decode(), data)

    async def call_async() -> ApiException:
        async with AsyncApiClient(Configuration(host=scripted_server.url, retries=0)) as client:
            with pytest.raises(ServiceException) as caught:
                await AsyncModelsApi(client).models_delete_specific_model("abc")
            return caught.value

    async_error = asyncio.run(call_async())
    assert (async_error.body, async_error.data) == (body.decode(), data)


# --- per-call options are named, typed parameters -----------------------------------------------
@pytest.mark.parametrize(
    ("api_class", "method_name"),
    [(api, name) for api in (ModelsApi, AsyncModelsApi) for name in METHOD_NAMES]
    # The HTTP ones: a stream method's hints name the optional websockets/aiohttp stream types.
    + [
        (api, name)
        for api in (WellKnownApi, AsyncWellKnownApi)
        for name in WELL_KNOWN_METHOD_NAMES[:9]
    ],
)
def test_every_method_names_the_per_call_options(api_class: type, method_name: str) -> None:
    method = getattr(api_class, method_name)
    parameters = inspect.signature(method).parameters
    options = {n: p for n, p in parameters.items() if n.startswith("_")}
    assert {n: p.annotation for n, p in options.items()} == OPTIONS
    assert tuple(options) == OPTION_NAMES  # the names the shared request path reads
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in options.values())
    assert [p.default for p in options.values()] == [None, None, None, None, 0]
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    # The annotations resolve (what IDEs and typing.get_type_hints read).
    hints = typing.get_type_hints(method)
    assert set(OPTIONS) <= set(hints)
    assert "_request_timeout" in pydoc.render_doc(method, renderer=pydoc.plaintext)


@pytest.mark.parametrize("api_class", [WellKnownApi, AsyncWellKnownApi])
def test_well_known_api_has_the_published_methods_and_no_other_parameters(api_class: type) -> None:
    public = sorted(
        name
        for name, value in vars(api_class).items()
        if callable(value) and not name.startswith("_")
    )
    assert public == sorted(WELL_KNOWN_METHOD_NAMES)
    for name in WELL_KNOWN_METHOD_NAMES:
        parameters = inspect.signature(getattr(api_class, name)).parameters
        assert list(parameters) == ["self", *OPTION_NAMES], name
    # 5.0.1 returns each text answer as a str.
    for name in WELL_KNOWN_NAMES[:3]:
        returns = typing.get_type_hints(getattr(api_class, name))["return"]
        assert returns is str, name


def test_editors_complete_the_options_from_source() -> None:
    jedi = pytest.importorskip("jedi")  # installed with IPython (dev extra)
    source = (
        "from pieces_os_client import ModelsApi\n"
        "from pieces_os_client.aio import AsyncModelsApi\n"
        "ModelsApi().models_snapshot(_req"
    )
    names = {
        c.name for c in jedi.Script(source).complete(3, len("ModelsApi().models_snapshot(_req"))
    }
    assert {"_request_timeout=", "_request_auth="} <= names
    signatures = jedi.Script(source).get_signatures(3, len("ModelsApi().models_snapshot("))
    assert [p.name for p in signatures[0].params] == list(OPTIONS)


def test_named_options_reach_the_wire(scripted_server: ScriptedServer) -> None:
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        ModelsApi(client).models_create_new_model_with_http_info(
            None,
            _request_timeout=(2.0, 5.0),
            _request_auth={"in": "header", "key": "X-Application-ID", "value": "one-off"},
            _content_type="application/json; charset=utf-8",
            _headers={"X-Trace": "t1"},
            _host_index=0,
        )
    sent = scripted_server.requests[0]
    assert (sent.header("X-Trace"), sent.header("X-Application-ID")) == ("t1", "one-off")


# --- the wire facts 5.0.1 users rely on -----------------------------------------------------------
def test_description_is_optional_text(server: LocalPiecesOS) -> None:
    assert Model.from_json(json.dumps(MODEL_JSON)).description is None
    with pytest.raises(ValueError, match="description"):
        SeededModel.model_validate(dict(MODEL_JSON, description=5))
    seed = SeededModel.model_validate(dict(MODEL_JSON, description="A small fine-tune."))
    with server.client() as api_client:
        created = ModelsApi(api_client).models_create_new_model(seed)
    assert created.description == "A small fine-tune."
    assert server.requests[-1].json()["description"] == "A small fine-tune."


def test_a_snapshot_with_a_max_tokens_without_total_parses(scripted_server: ScriptedServer) -> None:
    partial = dict(MODEL_JSON, maxTokens={"input": 4096})
    complete = dict(MODEL_JSON, id="m2", maxTokens={"total": 8192})
    scripted_server.script(Reply(200, {"iterable": [partial, complete]}))
    with ApiClient(Configuration(host=scripted_server.url)) as client:
        snapshot = ModelsApi(client).models_snapshot()
    assert isinstance(snapshot, Models)
    assert [m.max_tokens.total for m in snapshot.iterable if m.max_tokens] == [None, 8192]
    assert json.loads(snapshot.to_json())["iterable"][0]["maxTokens"] == {"input": 4096}
    with pytest.raises(pydantic.ValidationError):
        ModelMaxTokens.from_json('{"total": true}')  # strict types stay strict
