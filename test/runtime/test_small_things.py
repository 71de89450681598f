"""What people notice in a REPL: enums print as their value, reprs name the host, a client of
the wrong kind is refused at once, ``dir()`` lists the public names, ``Retry-After: 0`` means
now, and one log line per retry."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import pytest
from _scripted_server import MODEL_JSON, QuickRetries, Reply, ScriptedServer
from hypothesis import given
from hypothesis import strategies as st

import pieces_os_client
from pieces_os_client import (
    ApiClient,
    ApiTypeError,
    Configuration,
    ExternalMLProviderEnum,
    Model,
    ModelsApi,
    ModelTypeEnum,
    ModelUsageEnum,
)
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.rest import RetryPolicy


# --- enums ------------------------------------------------------------------------------------
@pytest.mark.parametrize("enum", [ExternalMLProviderEnum, ModelTypeEnum, ModelUsageEnum])
def test_str_and_format_of_every_known_member_give_its_value(enum: Any) -> None:
    for member in enum:
        assert str(member) == member.value
        assert f"{member}" == member.value
        assert f"{member:>40}" == member.value.rjust(40)
        assert "%s" % member == member.value  # noqa: UP031


@given(st.text(min_size=1).filter(lambda v: v not in ModelTypeEnum.known_values()))
def test_an_unknown_value_prints_as_itself(value: str) -> None:
    member = ModelTypeEnum(value)
    assert str(member) == f"{member}" == value
    assert not member.is_known and "unknown to this SDK" in repr(member)


def test_print_of_a_model_field_gives_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    model = Model.from_dict({**MODEL_JSON, "provider": "OPENAI"})
    print(model.provider)
    assert capsys.readouterr().out == "OPENAI\n"


# --- reprs --------------------------------------------------------------------------------------
def test_reprs_name_the_host_and_hide_credentials() -> None:
    api_client = ApiClient(Configuration(host="http://127.0.0.1:39300"))
    assert repr(api_client) == "ApiClient(host='http://127.0.0.1:39300')"
    assert repr(ModelsApi(api_client)) == "ModelsApi(host='http://127.0.0.1:39300')"
    async_client = AsyncApiClient(Configuration(host="https://me:secret@example.test/base"))
    assert repr(async_client) == "AsyncApiClient(host='https://***@example.test/base')"
    assert repr(AsyncModelsApi(async_client)) == (
        "AsyncModelsApi(host='https://***@example.test/base')"
    )
    api_client.close()


# --- the wrong kind of client ------------------------------------------------------------------------
def test_a_sync_api_refuses_an_async_client_at_once() -> None:
    with pytest.raises(TypeError, match="AsyncModelsApi") as raised:
        ModelsApi(AsyncApiClient(Configuration(host="http://127.0.0.1:9")))  # type: ignore[arg-type]
    assert isinstance(raised.value, ApiTypeError)
    assert "ModelsApi needs an ApiClient (got AsyncApiClient)" in str(raised.value)


def test_an_async_api_refuses_a_sync_client_at_once() -> None:
    api_client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    with pytest.raises(TypeError, match=r"pieces_os_client\.ModelsApi"):
        AsyncModelsApi(api_client)  # type: ignore[arg-type]
    api_client.close()


def test_an_api_given_a_configuration_says_to_wrap_it_in_a_client() -> None:
    with pytest.raises(TypeError, match=r"ModelsApi\(ApiClient\(configuration\)\)"):
        ModelsApi(Configuration())  # type: ignore[arg-type]


@pytest.mark.parametrize("client_class", [ApiClient, AsyncApiClient])
def test_a_client_given_something_else_than_a_configuration_says_what_to_pass(
    client_class: Any,
) -> None:
    with pytest.raises(ApiTypeError, match=r"needs a Configuration \(got str\)"):
        client_class("http://localhost:1000")


def test_a_host_that_is_not_a_string_is_refused_as_a_value_error() -> None:
    with pytest.raises(ValueError, match="host must be a URL string"):
        Configuration(host=5)  # type: ignore[arg-type]


# --- dir() --------------------------------------------------------------------------------------
def test_dir_of_the_package_lists_only_public_names() -> None:
    names = dir(pieces_os_client)
    assert names == sorted(pieces_os_client.__all__)
    assert "ModelsApi" in names and "discover" in names
    assert not {"Any", "Dict", "List", "TYPE_CHECKING", "importlib", "annotations"} & set(names)
    assert not [name for name in names if name.startswith("_") and name != "__version__"]


# --- Retry-After: 0 -----------------------------------------------------------------------------
class _SlowBackoff(RetryPolicy):
    """A backoff far longer than any test waits: only Retry-After can make a retry quick."""

    BACKOFF_FACTOR = 60.0
    BACKOFF_JITTER = 0.0
    BACKOFF_MAX = 60.0


def _gap_between_attempts(server: ScriptedServer) -> float:
    first, second = server.requests
    return second.at - first.at


def test_retry_after_0_retries_at_once(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(503, {"error": "busy"}, headers={"Retry-After": "0"}))
    configuration = Configuration(host=scripted_server.url, retries=_SlowBackoff.from_count(1))
    with ApiClient(configuration) as api_client:
        snapshot = ModelsApi(api_client).models_snapshot()
    assert [m.id for m in snapshot] == [MODEL_JSON["id"]]
    assert _gap_between_attempts(scripted_server) < 30  # not the 60 s backoff


def test_retry_after_0_retries_at_once_async(scripted_server: ScriptedServer) -> None:
    scripted_server.script(Reply(429, {"error": "busy"}, headers={"Retry-After": "0"}))
    configuration = Configuration(host=scripted_server.url, retries=_SlowBackoff.from_count(1))

    async def main() -> List[str]:
        async with AsyncApiClient(configuration) as api_client:
            return [m.id for m in await AsyncModelsApi(api_client).models_snapshot()]

    assert asyncio.run(asyncio.wait_for(main(), 30)) == [MODEL_JSON["id"]]
    assert _gap_between_attempts(scripted_server) < 30


# --- one log line per retry ------------------------------------------------------------------------
def _retry_records(caplog: pytest.LogCaptureFixture) -> List[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if "retr" in record.getMessage().lower()
    ]


@pytest.mark.parametrize(
    "failure",
    [
        Reply(503, {"error": "busy"}, headers={"Retry-After": "0"}),
        Reply(drop=True),  # the connection closes with no answer: urllib3 warns on its own
    ],
    ids=["status", "dropped"],
)
def test_debug_logging_shows_one_line_per_retry(
    scripted_server: ScriptedServer, caplog: pytest.LogCaptureFixture, failure: Reply
) -> None:
    scripted_server.script(failure)
    configuration = Configuration(host=scripted_server.url, retries=QuickRetries.from_count(1))
    with caplog.at_level(logging.DEBUG), ApiClient(configuration) as api_client:
        ModelsApi(api_client).models_snapshot()
    lines = _retry_records(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("pieces_os_client: retrying GET /models after ")
