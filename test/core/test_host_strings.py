"""Host strings: read in any case, refused when they would send calls astray, and any
credentials in them never shown; redirects never followed, whatever retry object is used."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import pytest
import urllib3
from _scripted_server import Reply, ScriptedServer, free_port

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    Configuration,
    ModelsApi,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi

SECRET = "s3cr3t-Pa55"


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


async def _async_snapshot(configuration: Configuration, **options: Any) -> Any:
    async with AsyncApiClient(configuration) as client:
        return await AsyncModelsApi(client).models_snapshot(**options)


# --- host strings --------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["HTTP", "Http", "hTtP"])
def test_the_scheme_is_read_in_any_case(scripted_server: ScriptedServer, scheme: str) -> None:
    host = scripted_server.url.replace("http", scheme, 1)
    with ApiClient(Configuration(host=host)) as client:
        assert len(ModelsApi(client).models_snapshot().iterable) == 1
    assert len(_run(_async_snapshot(Configuration(host=host))).iterable) == 1
    assert [r.target for r in scripted_server.requests] == ["/models", "/models"]


def test_a_base_path_is_kept_in_front_of_every_call(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(200, {"iterable": []}), Reply(200, {"iterable": []}))
    host = f"{scripted_server.url}/pieces/v1/"
    with ApiClient(Configuration(host=host)) as client:
        ModelsApi(client).models_snapshot()
    _run(_async_snapshot(Configuration(host=host)))
    assert [r.target for r in scripted_server.requests] == ["/pieces/v1/models"] * 2


@pytest.mark.parametrize(
    "suffix",
    ["/?x=1", "?x=1", "/#top", "#", "/api?", "/a/../b", "/a/./b", "//models", "/a b", "/a%2Fb"],
)
def test_a_host_with_a_query_fragment_or_odd_path_is_refused(
    scripted_server: ScriptedServer, suffix: str
) -> None:
    host = scripted_server.url + suffix
    with pytest.raises(ApiValueError, match="host"):
        ApiClient(Configuration(host=host))
    with pytest.raises(ApiValueError, match="host"):
        AsyncApiClient(Configuration(host=host))
    # Changed after the client was made: refused on the call, before anything is sent.
    configuration = Configuration(host=scripted_server.url)
    with ApiClient(configuration) as client:
        configuration.host = host
        with pytest.raises(ApiValueError, match="host"):
            ModelsApi(client).models_snapshot()

    async def changed_after_the_client_was_made() -> None:
        configuration = Configuration(host=scripted_server.url)
        async with AsyncApiClient(configuration) as client:
            configuration.host = host
            await AsyncModelsApi(client).models_snapshot()

    with pytest.raises(ApiValueError, match="host"):
        _run(changed_after_the_client_was_made())
    assert scripted_server.accepted == 0


@pytest.mark.parametrize(
    "host",
    [
        "localhost:1000",
        "ftp://localhost",
        "http://",
        "http://:80",
        "http://h:99999",
        " http://localhost:1000",
        "http://localhost:1000 ",
        "http://local\nhost:1000",
    ],
)
def test_a_host_that_is_no_http_url_is_refused(host: str) -> None:
    with pytest.raises(ApiValueError, match="host"):
        ApiClient(Configuration(host=host))


# --- credentials in the host -----------------------------------------------------------------------
def _host_with_secret(url: str) -> str:
    return url.replace("://", f"://admin:{SECRET}@", 1)


def test_credentials_in_the_host_are_sent_as_basic_auth_and_never_in_the_url(
    scripted_server: ScriptedServer,
) -> None:
    configuration = Configuration(host=_host_with_secret(scripted_server.url))
    with ApiClient(configuration) as client:
        ModelsApi(client).models_snapshot()
    _run(_async_snapshot(configuration))
    expected = "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()
    assert [r.header("Authorization") for r in scripted_server.requests] == [expected] * 2
    assert all(SECRET not in r.request_line for r in scripted_server.requests)


def test_credentials_in_the_host_are_never_shown(
    scripted_server: ScriptedServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configuration = Configuration(host=_host_with_secret(scripted_server.url), debug=True)
    shown = [repr(configuration), configuration.to_debug_report()]
    with pytest.raises(ApiValueError) as wrong_index:
        configuration.get_host_from_settings(3)
    shown.append(str(wrong_index.value))
    caplog.set_level(logging.DEBUG, logger="pieces_os_client")
    scripted_server.script(Reply(500, "boom"), Reply(200, {"iterable": []}, delay=2))
    with ApiClient(configuration) as client:
        api = ModelsApi(client)
        for call in (api.models_snapshot, lambda: api.models_snapshot(_request_timeout=0.3)):
            with pytest.raises((ApiException, ApiTimeoutError)) as caught:
                call()
            shown.append(str(caught.value))
    closed = Configuration(host=_host_with_secret(f"http://127.0.0.1:{free_port()}"), retries=0)
    with ApiClient(closed) as client, pytest.raises(ApiConnectionError) as refused:
        ModelsApi(client).models_snapshot()
    shown += [str(refused.value), refused.value.url]
    with pytest.raises(ApiConnectionError) as refused_async:
        _run(_async_snapshot(closed))
    shown += [str(refused_async.value), refused_async.value.url]
    shown += [record.getMessage() for record in caplog.records]
    shown.append(capsys.readouterr().err)  # debug=True writes to stderr
    assert "***@127.0.0.1" in shown[0]
    assert len(caplog.records) >= 3
    assert [text for text in shown if SECRET in text or "admin" in text] == []


# --- redirects ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "retries",
    [
        urllib3.Retry(3),
        urllib3.Retry(total=3, redirect=5, raise_on_redirect=True),
        2,
    ],
    ids=["plain-retry", "retry-asking-for-redirects", "count"],
)
def test_no_redirect_is_followed_whatever_the_retry_object(
    scripted_server: ScriptedServer, retries: Any
) -> None:
    with ScriptedServer() as elsewhere:
        target = {"Location": f"{elsewhere.url}/models"}
        scripted_server.script(Reply(307, headers=target), Reply(307, headers=target))
        configuration = Configuration(
            host=scripted_server.url, retries=retries, api_key={"application": "app-id"}
        )
        with ApiClient(configuration) as client, pytest.raises(ApiException) as caught:
            ModelsApi(client).models_snapshot()
        with pytest.raises(ApiException) as caught_async:
            _run(_async_snapshot(configuration))
        assert elsewhere.accepted == 0
    assert caught.value.status == caught_async.value.status == 307
    assert caught.value.headers["Location"] == target["Location"]
