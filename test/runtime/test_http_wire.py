"""What each of the 15 ModelsApi methods puts on the wire, and what it hands back."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

import pytest
import urllib3
from _scripted_server import MODEL_JSON, ScriptedServer

import pieces_os_client
from pieces_os_client import (
    ApiClient,
    ApiResponse,
    ApiValueError,
    Configuration,
    GroupedTimestamp,
    Model,
    ModelDeleteCacheInput,
    ModelDeleteCacheOutput,
    Models,
    ModelsApi,
    SeededModel,
)
from pieces_os_client._version import __version__

SEED = SeededModel(
    name="my-llm",
    version="1.0",
    cloud=False,
    type="BALANCED",
    usage="CODE_CONVERSATION",
    created=GroupedTimestamp(value="2024-05-01T12:00:00Z"),
)
CACHE_INPUT = ModelDeleteCacheInput()
MODEL_ID = "0f3c1a52-6a7e-4bb8-9d5e-8a51c2f0a001"

Call = Callable[..., Any]

# (base method name, args, HTTP method, path, expected JSON body or None, returned type)
ENDPOINTS = [
    ("models_snapshot", (), "GET", "/models", None, Models),
    (
        "models_create_new_model",
        (SEED,),
        "POST",
        "/models/create",
        json.loads(SEED.to_json()),
        Model,
    ),
    ("models_delete_specific_model", (MODEL_ID,), "POST", f"/models/{MODEL_ID}/delete", None, None),
    (
        "models_delete_specific_model_cache",
        (MODEL_ID, CACHE_INPUT),
        "POST",
        f"/models/{MODEL_ID}/delete/cache",
        {},
        ModelDeleteCacheOutput,
    ),
    ("unload_models", (), "POST", "/models/unload", None, None),
]
IDS = [e[0] for e in ENDPOINTS]


def _client(server: ScriptedServer, **settings: Any) -> ApiClient:
    return ApiClient(Configuration(host=server.url, **settings))


@pytest.mark.parametrize(("name", "args", "method", "path", "body", "returns"), ENDPOINTS, ids=IDS)
def test_plain_method_sends_exact_request_and_returns_data(
    scripted_server: ScriptedServer,
    name: str,
    args: tuple[Any, ...],
    method: str,
    path: str,
    body: Optional[Dict[str, Any]],
    returns: Optional[type],
) -> None:
    config = Configuration(host=scripted_server.url, access_token="tok-123")
    config.api_key["application"] = "app-42"
    config.api_key_prefix["application"] = "Pieces"
    with ApiClient(config) as client:
        result = getattr(ModelsApi(client), name)(*args)

    (seen,) = scripted_server.requests
    assert seen.request_line == f"{method} {path} HTTP/1.1"
    assert seen.header("Accept") == "application/json"
    assert seen.header("User-Agent") == f"pieces-os-client-python/{__version__}"
    assert seen.header("X-Application-ID") == "Pieces app-42"
    assert seen.header("Authorization") == "Bearer tok-123"
    if body is None:
        assert seen.header("Content-Type") is None
        assert seen.body == b""
    else:
        assert seen.header("Content-Type") == "application/json"
        assert seen.json() == body
    if returns is None:
        assert result is None
    else:
        assert type(result) is returns


@pytest.mark.parametrize(("name", "args", "method", "path", "body", "returns"), ENDPOINTS, ids=IDS)
def test_with_http_info_returns_status_headers_and_raw_body(
    scripted_server: ScriptedServer,
    name: str,
    args: tuple[Any, ...],
    method: str,
    path: str,
    body: Optional[Dict[str, Any]],
    returns: Optional[type],
) -> None:
    with _client(scripted_server) as client:
        response = getattr(ModelsApi(client), f"{name}_with_http_info")(*args)

    assert isinstance(response, ApiResponse)
    assert scripted_server.requests[0].request_line == f"{method} {path} HTTP/1.1"
    if returns is None:
        assert (response.status_code, response.data, response.raw_data) == (204, None, b"")
    else:
        assert response.status_code == 200
        assert type(response.data) is returns
        assert response.headers is not None
        assert response.headers["Content-Type"] == "application/json"
        assert json.loads(response.raw_data) == json.loads(response.data.to_json())


@pytest.mark.parametrize(("name", "args", "method", "path", "body", "returns"), ENDPOINTS, ids=IDS)
def test_without_preload_content_returns_unread_urllib3_response(
    scripted_server: ScriptedServer,
    name: str,
    args: tuple[Any, ...],
    method: str,
    path: str,
    body: Optional[Dict[str, Any]],
    returns: Optional[type],
) -> None:
    with _client(scripted_server) as client:
        raw = getattr(ModelsApi(client), f"{name}_without_preload_content")(*args)
        assert isinstance(raw, urllib3.BaseHTTPResponse)
        data = raw.data
        raw.release_conn()

    seen = scripted_server.requests[0]
    assert seen.request_line == f"{method} {path} HTTP/1.1"
    assert seen.json() == body if body is not None else seen.body == b""
    if returns is None:
        assert (raw.status, data) == (204, b"")
    else:
        assert raw.status == 200
        assert returns.from_json(data.decode()) is not None


def test_without_preload_content_does_not_raise_for_error_status(
    scripted_server: ScriptedServer,
) -> None:
    from _scripted_server import Reply

    scripted_server.script(Reply(500, {"error": "boom"}))
    with _client(scripted_server, retries=0) as client:
        raw = ModelsApi(client).unload_models_without_preload_content()
        assert raw.status == 500
        assert json.loads(raw.data) == {"error": "boom"}
        raw.release_conn()


def test_bodies_are_optional_and_omitted_when_not_given(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        api = ModelsApi(client)
        api.models_create_new_model()
        api.models_delete_specific_model_cache(MODEL_ID)
    for seen in scripted_server.requests:
        assert seen.body == b""
        assert seen.header("Content-Type") is None


def test_dict_body_is_accepted_and_validated(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        created = ModelsApi(client).models_create_new_model(json.loads(SEED.to_json()))
    assert created.name == "my-llm"
    assert scripted_server.requests[0].json() == json.loads(SEED.to_json())


def test_no_auth_headers_unless_configured(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        ModelsApi(client).models_snapshot()
    seen = scripted_server.requests[0]
    assert seen.header("X-Application-ID") is None
    assert seen.header("Authorization") is None


def test_per_call_options_headers_auth_content_type(scripted_server: ScriptedServer) -> None:
    config = Configuration(host=scripted_server.url)
    config.api_key["application"] = "configured"
    with ApiClient(config) as client:
        client.set_default_header("X-Default", "d")
        client.user_agent = "my-app/2"
        ModelsApi(client).models_create_new_model(
            SEED,
            _headers={"X-Trace": "t-1"},
            _request_auth={"in": "header", "key": "X-Application-ID", "value": "per-call"},
            _content_type="application/json; charset=utf-8",
            _host_index=0,
        )
    seen = scripted_server.requests[0]
    assert seen.header("X-Trace") == "t-1"
    assert seen.header("X-Default") == "d"
    assert seen.header("User-Agent") == "my-app/2"
    assert seen.header("X-Application-ID") == "per-call"
    assert seen.header("Content-Type") == "application/json; charset=utf-8"


def test_header_name_and_value_given_to_api_client_are_sent(
    scripted_server: ScriptedServer,
) -> None:
    config = Configuration(host=scripted_server.url)
    with ApiClient(config, header_name="X-Tenant", header_value="acme") as client:
        ModelsApi(client).models_snapshot()
    assert scripted_server.requests[0].header("X-Tenant") == "acme"


def test_unknown_option_and_host_index_fail_before_sending(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        api = ModelsApi(client)
        with pytest.raises(TypeError, match="_bogus"):
            api.models_snapshot(_bogus=1)  # type: ignore[call-arg]
        with pytest.raises(ApiValueError, match="host index"):
            api.models_snapshot(_host_index=1)
    assert scripted_server.accepted == 0


def test_snapshot_parses_the_model_the_server_sent(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        snapshot = ModelsApi(client).models_snapshot()
    assert [json.loads(m.to_json()) for m in snapshot.iterable] == [
        json.loads(Model.from_dict(MODEL_JSON).to_json())
    ]


def test_api_client_is_a_context_manager_that_closes_its_pool(
    scripted_server: ScriptedServer,
) -> None:
    with _client(scripted_server) as client:
        ModelsApi(client).models_snapshot()
        assert scripted_server.open_connections == 1
    # Closing the pool closes the socket: the server sees the connection end.
    assert scripted_server.wait_for(lambda: scripted_server.open_connections == 0)
    # A closed client reconnects on demand rather than failing.
    ModelsApi(client).models_snapshot()
    client.close()
    assert scripted_server.accepted == 2


def test_published_sdk_three_step_api(scripted_server: ScriptedServer) -> None:
    with _client(scripted_server) as client:
        method, url, headers, body, post = client.param_serialize(
            "POST",
            "/models/{model}/delete/cache",
            path_params={"model": "../unload"},
            header_params={"Content-Type": "application/json"},
            body=CACHE_INPUT,
        )
        response = client.call_api(method, url, headers, body, post)
        response.read()
        result = client.response_deserialize(response, {"200": "ModelDeleteCacheOutput"})
    assert scripted_server.requests[0].target == "/models/..%2Funload/delete/cache"
    assert isinstance(result.data, ModelDeleteCacheOutput)
    assert result.data.model.id == "..%2Funload"


# --- the published SDK's docs/ModelsApi.md examples, run as written -----------------------------
# Only two things change: ``Models API(api_client)`` (a typo in those docs) is read as
# ``pieces_os_client.ModelsApi(api_client)``, and the host points at the test server.
# Placeholders the docs leave for the reader to fill (an empty SeededModel(), 'model_example')
# are filled with real values, as a reader would.
_EXAMPLE_HEAD = """
import pieces_os_client
{imports}
from pieces_os_client.rest import ApiException
from pprint import pprint

# Defining the host is optional and defaults to http://localhost:1000
# See configuration.py for a list of all supported configuration parameters.
configuration = pieces_os_client.Configuration(
    host = "http://localhost:1000"
)


# Enter a context with an instance of the API client
with pieces_os_client.ApiClient(configuration) as api_client:
    # Create an instance of the API class
    api_instance = Models API(api_client)
{body}
"""

PUBLISHED_EXAMPLES = {
    "models_snapshot": (
        "from pieces_os_client.models.models import Models",
        """
    try:
        # /models [GET]
        api_response = api_instance.models_snapshot()
        print("The response of ModelsApi->models_snapshot:\\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling ModelsApi->models_snapshot: %s\\n" % e)
""",
    ),
    "models_create_new_model": (
        "from pieces_os_client.models.model import Model\n"
        "from pieces_os_client.models.seeded_model import SeededModel",
        """
    seeded_model = pieces_os_client.SeededModel(name="my-llm", version="1.0", cloud=False, type="BALANCED", usage="CODE_CONVERSATION", created=pieces_os_client.GroupedTimestamp(value="2024-05-01T12:00:00Z")) # SeededModel |  (optional)

    try:
        # /models/create [POST]
        api_response = api_instance.models_create_new_model(seeded_model=seeded_model)
        print("The response of ModelsApi->models_create_new_model:\\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling ModelsApi->models_create_new_model: %s\\n" % e)
""",
    ),
    "models_delete_specific_model": (
        "",
        """
    model = 'created-1' # str | model id

    try:
        # /models/\\{model\\}/delete [POST]
        api_instance.models_delete_specific_model(model)
    except Exception as e:
        print("Exception when calling ModelsApi->models_delete_specific_model: %s\\n" % e)
""",
    ),
    "models_delete_specific_model_cache": (
        "from pieces_os_client.models.model_delete_cache_input import ModelDeleteCacheInput\n"
        "from pieces_os_client.models.model_delete_cache_output import ModelDeleteCacheOutput",
        """
    model = 'model_example' # str | model id
    model_delete_cache_input = pieces_os_client.ModelDeleteCacheInput() # ModelDeleteCacheInput |  (optional)

    try:
        # /models/\\{model\\}/delete/cache [POST]
        api_response = api_instance.models_delete_specific_model_cache(model, model_delete_cache_input=model_delete_cache_input)
        print("The response of ModelsApi->models_delete_specific_model_cache:\\n")
        pprint(api_response)
    except Exception as e:
        print("Exception when calling ModelsApi->models_delete_specific_model_cache: %s\\n" % e)
""",
    ),
    "unload_models": (
        "",
        """
    try:
        # /models/unload [POST]
        api_instance.unload_models()
    except Exception as e:
        print("Exception when calling ModelsApi->unload_models: %s\\n" % e)
""",
    ),
}

EXPECTED_REQUEST = {
    "models_snapshot": "GET /models HTTP/1.1",
    "models_create_new_model": "POST /models/create HTTP/1.1",
    "models_delete_specific_model": "POST /models/created-1/delete HTTP/1.1",
    "models_delete_specific_model_cache": "POST /models/model_example/delete/cache HTTP/1.1",
    "unload_models": "POST /models/unload HTTP/1.1",
}


@pytest.mark.parametrize("name", list(PUBLISHED_EXAMPLES))
def test_published_sdk_example_runs_unchanged(
    scripted_server: ScriptedServer, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    imports, body = PUBLISHED_EXAMPLES[name]
    source = _EXAMPLE_HEAD.format(imports=imports, body=body)
    source = source.replace("Models API(api_client)", "pieces_os_client.ModelsApi(api_client)")
    source = source.replace("http://localhost:1000", scripted_server.url)
    exec(compile(source, f"<published example {name}>", "exec"), {"__name__": "__example__"})

    printed = capsys.readouterr().out
    assert "Exception when calling" not in printed
    assert [r.request_line for r in scripted_server.requests] == [EXPECTED_REQUEST[name]]
    if name in ("models_snapshot", "models_create_new_model", "models_delete_specific_model_cache"):
        assert f"The response of ModelsApi->{name}:" in printed


def test_import_is_lazy_and_exposes_every_public_name() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, pieces_os_client as p\n"
        "heavy = [m for m in ('urllib3', 'pydantic', 'pieces_os_client.api_client') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "missing = [n for n in p.__all__ if getattr(p, n, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(p.__all__) <= set(dir(p))\n"
        "print(len(p.__all__))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    names = set(pieces_os_client.__all__)
    for required in ("Configuration", "ApiClient", "ModelsApi", "ApiResponse", "SeededModel"):
        assert required in names
    from pieces_os_client import exceptions, models

    assert set(exceptions.__all__) <= names
    assert {n for n in models.__all__ if not n.startswith("_")} <= names
