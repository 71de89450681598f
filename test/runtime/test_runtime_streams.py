"""The models stream and watcher, written once and run against the sync ``ApiClient`` and the
async ``AsyncApiClient`` (the ``client`` fixture), against a WebSocket server we did not write
(``WsPeer``, on the ``websockets`` library). No thread (sync) or task (async) of the SDK may
outlive a test. What only one side has (threads closing a stream, task cancellation) stays in
test_stream.py.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Iterator

import pytest
from _both import Runtime
from _scripted_server import QuickRetries, free_port
from _ws_peer import STREAM_PATH, WsPeer, message, model_json

from pieces_os_client import (
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
    Configuration,
    NotFoundException,
    ServiceException,
    StreamedIdentifiers,
)

#: Seconds a test waits for something that should happen at once (a loaded machine is slow).
PATIENCE = 10.0


@pytest.fixture
def peer() -> Iterator[WsPeer]:
    with WsPeer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        extra = [t for t in set(threading.enumerate()) - before if t.name != "ws-peer"]
        if not extra:
            return
        time.sleep(0.01)
    pytest.fail(f"threads left behind: {extra}")


def config(url: str, **settings: Any) -> Configuration:
    return Configuration(host=url, api_key={"application": "app-1"}, **settings)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def ids(message: StreamedIdentifiers) -> list:
    return [(i.model.id, i.deleted) for i in message.iterable if i.model]


# --- the raw stream --------------------------------------------------------------------------------
def test_a_stream_sends_the_client_headers_and_yields_typed_messages(
    client: Runtime, peer: WsPeer
) -> None:
    api = client.models(config(peer.url))
    api.api_client.set_default_header("X-Custom", "yes")
    stream = client.stream(api.models_stream_identifiers(_headers={"X-Call": "1"}))
    assert stream.raw.url == peer.url.replace("http://", "ws://") + STREAM_PATH
    first = next(stream)
    assert isinstance(first, StreamedIdentifiers)
    assert ids(first) == [("m1", None)]
    peer.add(model_json("m2"))
    peer.remove("m1")
    added, removed = next(stream), next(stream)
    assert ids(added) == [("m2", None)] and ids(removed) == [("m1", True)]
    stream.close()
    assert stream.raw.closed
    headers = peer.upgrades[0]
    assert headers["X-Application-ID"] == "app-1"
    assert headers["X-Custom"] == "yes" and headers["X-Call"] == "1"
    assert headers.get_all("User-Agent") == [api.api_client.user_agent]


def test_unknown_fields_and_other_kinds_are_kept(client: Runtime, peer: WsPeer) -> None:
    peer.greeting = json.dumps(
        {"iterable": [{"model": {"id": "m1"}, "asset": {"id": "a1"}}], "future": 1}
    )
    stream = client.stream(client.models(config(peer.url)).models_stream_identifiers())
    first = next(stream)
    stream.close()
    assert first.model_extra == {"future": 1}
    assert first.iterable[0].model_extra == {"asset": {"id": "a1"}}


def test_with_http_info_gives_the_upgrade_answer_and_the_stream(
    client: Runtime, peer: WsPeer
) -> None:
    answer = client.models(config(peer.url)).models_stream_identifiers_with_http_info()
    stream = client.stream(answer.data)
    assert answer.status_code == 101
    assert answer.headers is not None and answer.headers["Upgrade"] == "websocket"
    assert next(stream).iterable[0].model.id == "m1"
    stream.close()


def test_without_preload_content_yields_the_raw_text(client: Runtime, peer: WsPeer) -> None:
    peer.greeting = "not json at all"
    api = client.models(config(peer.url))
    stream = client.stream(api.models_stream_identifiers_without_preload_content())
    assert next(stream) == "not json at all"
    peer.add(model_json("m2"))
    assert json.loads(next(stream)) == json.loads(message("m2"))
    stream.close()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "Invalid JSON"),
        ('{"iterable": 3}', "iterable"),
        ('{"iterable": [{"model": {"name": "no id"}}]}', "iterable.0.model.id"),
    ],
)
def test_a_malformed_message_raises_a_validation_error_with_the_raw_text(
    client: Runtime, peer: WsPeer, text: str, problem: str
) -> None:
    peer.greeting = text
    stream = client.stream(client.models(config(peer.url)).models_stream_identifiers())
    with pytest.raises(ApiResponseValidationError) as caught:
        next(stream)
    assert caught.value.body == text
    assert caught.value.expected == "StreamedIdentifiers"
    assert problem in caught.value.problem
    # The stream stays usable: the next message parses.
    peer.add(model_json("m2"))
    assert next(stream).iterable[0].model.id == "m2"
    stream.close()


def test_the_raw_text_kept_in_an_error_is_bounded(client: Runtime, peer: WsPeer) -> None:
    peer.greeting = "x" * 100_000
    stream = client.stream(client.models(config(peer.url)).models_stream_identifiers())
    with pytest.raises(ApiResponseValidationError) as caught:
        next(stream)
    stream.close()
    body = caught.value.body
    assert body is not None and len(body) < 10_000 and body.endswith("more characters)")


def test_a_message_over_the_size_limit_ends_the_stream(client: Runtime, peer: WsPeer) -> None:
    peer.greeting = json.dumps({"iterable": [{"model": {"id": "x" * 5000}}]})
    api = client.models(config(peer.url, max_response_size=1000))
    stream = client.stream(api.models_stream_identifiers())
    with pytest.raises(ApiConnectionError, match="too big"):
        next(stream)
    assert stream.raw.closed


def test_a_drop_mid_stream_raises_connection_error(client: Runtime, peer: WsPeer) -> None:
    stream = client.stream(client.models(config(peer.url)).models_stream_identifiers())
    next(stream)
    peer.drop()
    with pytest.raises(ApiConnectionError, match="cut off"):
        next(stream)
    assert stream.raw.closed


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, b"no such endpoint", NotFoundException),
        (500, b"models are unavailable", ServiceException),
        (426, b"Upgrade Required", ApiException),
        (200, b'{"iterable": []}', ApiResponseValidationError),
        (302, b"moved", ApiException),  # not followed, as by the HTTP client
    ],
)
def test_a_refused_upgrade_raises_the_typed_exception_with_its_body(
    client: Runtime, peer: WsPeer, status: int, body: bytes, expected: type
) -> None:
    peer.refuse = (status, body, {"Content-Type": "text/plain", "X-Why": "refused"})
    with pytest.raises(expected) as caught:
        client.models(config(peer.url)).models_stream_identifiers()
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.body == body.decode()
    assert caught.value.headers is not None and caught.value.headers["X-Why"] == "refused"


def test_a_refused_connection_raises_connection_error(client: Runtime) -> None:
    api = client.models(config(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(ApiConnectionError, match="could not connect"):
        api.models_stream_identifiers()


# --- the watcher -----------------------------------------------------------------------------------
def test_the_watcher_follows_changes_and_reconnects_after_a_drop(
    client: Runtime, peer: WsPeer
) -> None:
    api = client.models(config(peer.url, retries=QuickRetries.from_count(5)))
    watcher = client.stream(api.models_watch())
    initial = next(watcher)
    assert initial.initial and initial.added == ("m1",)
    peer.add(model_json("m2"))
    peer.update("m1", name="Renamed")
    seen: set = set()
    while seen != {("added", "m2"), ("updated", "m1")}:
        change = next(watcher)
        seen |= {("added", i) for i in change.added}
        seen |= {("updated", i) for i in change.updated}
    peer.drop()
    wait_for(lambda: peer.subscribers() == 0)
    peer.remove("m2")
    change = next(watcher)
    assert change.removed == ("m2",)
    assert [m.id for m in change.models] == ["m1"]
    watcher.close()


def test_the_watcher_gives_up_after_the_configured_retries(client: Runtime) -> None:
    with WsPeer() as peer:
        api = client.models(config(peer.url, retries=QuickRetries.from_count(2)))
        watcher = client.stream(api.models_watch())
        next(watcher)
    # The peer is gone: the drop, then two failed reconnects, then the error.
    with pytest.raises(ApiConnectionError):
        next(watcher)
    assert list(watcher) == []  # closed for good


def test_the_watcher_raises_at_once_when_the_upgrade_is_refused(
    client: Runtime, peer: WsPeer
) -> None:
    peer.refuse = (404, b"no stream here", {})
    watcher = client.stream(
        client.models(config(peer.url, retries=QuickRetries.from_count(5))).models_watch()
    )
    with pytest.raises(NotFoundException):
        next(watcher)
    watcher.close()
    assert len(peer.upgrades) == 1
