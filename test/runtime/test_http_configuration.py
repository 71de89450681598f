"""Configuration: where requests go (PIECES_OS_URL), and defaults handed out as copies."""

from __future__ import annotations

from typing import Iterator

import pytest
from _scripted_server import ScriptedServer

from pieces_os_client import ApiClient, Configuration, ModelsApi
from pieces_os_client.configuration import DEFAULT_HOST, HOST_ENV_VAR


@pytest.fixture
def clean_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No PIECES_OS_URL, no process-wide default Configuration or ApiClient, before and after."""
    monkeypatch.delenv(HOST_ENV_VAR, raising=False)
    Configuration.set_default(None)
    ApiClient.set_default(None)
    yield
    Configuration.set_default(None)
    ApiClient.set_default(None)


def test_host_defaults_to_localhost_1000(clean_defaults: None) -> None:
    assert Configuration().host == DEFAULT_HOST == "http://localhost:1000"


def test_pieces_os_url_is_honoured_end_to_end(
    clean_defaults: None, scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIECES_OS_URL", scripted_server.url + "/")
    assert Configuration().host == scripted_server.url
    # Explicit host wins over the environment.
    assert Configuration(host="http://127.0.0.1:9").host == "http://127.0.0.1:9"
    with ApiClient() as client:
        ModelsApi(client).models_snapshot()
    # ModelsApi() with no client uses the process-wide default client, made from the env.
    ModelsApi().unload_models()
    assert [r.request_line for r in scripted_server.requests] == [
        "GET /models HTTP/1.1",
        "POST /models/unload HTTP/1.1",
    ]
    ApiClient.get_default().close()


def test_get_default_hands_out_independent_copies(clean_defaults: None) -> None:
    first = Configuration.get_default()
    second = Configuration.get_default()
    assert first is not second
    first.api_key["application"] = "mine"
    first.proxy_headers = {"X": "1"}
    assert second.api_key == {}
    assert Configuration.get_default().api_key == {}


def test_set_default_keeps_a_copy(clean_defaults: None, scripted_server: ScriptedServer) -> None:
    template = Configuration(host=scripted_server.url, retries=0, timeout=3)
    template.api_key["application"] = "shared-app"
    Configuration.set_default(template)

    # Changing the template afterwards changes nothing for others.
    template.api_key["application"] = "changed"
    template.host = "http://127.0.0.1:9"
    copy_one = Configuration.get_default()
    assert copy_one is not template
    assert (copy_one.host, copy_one.api_key, copy_one.retries, copy_one.timeout) == (
        scripted_server.url,
        {"application": "shared-app"},
        0,
        3,
    )
    # Changing a handed-out copy changes nothing for the next one.
    copy_one.api_key["application"] = "other"
    assert Configuration.get_default().api_key == {"application": "shared-app"}
    assert Configuration.get_default_copy().api_key == {"application": "shared-app"}

    # ApiClient() with no configuration uses a copy of the default.
    with ApiClient() as client:
        assert client.configuration is not template
        ModelsApi(client).models_snapshot()
    assert scripted_server.requests[0].header("X-Application-ID") == "shared-app"


def test_configurations_share_no_mutable_state(clean_defaults: None) -> None:
    a, b = Configuration(), Configuration()
    a.api_key["application"] = "a"
    a.api_key_prefix["application"] = "P"
    a.server_variables["x"] = "1"
    assert (b.api_key, b.api_key_prefix, b.server_variables) == ({}, {}, {})
    given = {"application": "given"}
    c = Configuration(api_key=given)
    given["application"] = "mutated"
    assert c.api_key == {"application": "given"}


def test_clients_from_one_configuration_keep_their_own_headers(
    scripted_server: ScriptedServer,
) -> None:
    config = Configuration(host=scripted_server.url)
    with ApiClient(config) as one, ApiClient(config) as two:
        one.set_default_header("X-Who", "one")
        ModelsApi(two).models_snapshot()
        ModelsApi(one).models_snapshot()
    assert [r.header("X-Who") for r in scripted_server.requests] == [None, "one"]


def test_debug_report_has_no_secrets() -> None:
    config = Configuration(host="http://127.0.0.1:1000", access_token="tok-SECRET")
    config.api_key["application"] = "app-SECRET"
    report = config.to_debug_report() + repr(config)
    assert "SECRET" not in report
    assert "http://127.0.0.1:1000" in report
