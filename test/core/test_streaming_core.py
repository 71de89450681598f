"""The transport-free core of the stream and the watcher (``pieces_os_client._core.streaming``).

No sockets here: the state machine is fed messages, snapshots, clock readings and failures
directly, the way the sync and async front ends feed it.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional

import pytest
from _scripted_server import MODEL_JSON
from hypothesis import given, settings
from hypothesis import strategies as st

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiException,
    ApiResponseValidationError,
    Configuration,
    Models,
    NotFoundException,
    ServiceException,
    StreamedIdentifiers,
)
from pieces_os_client._core.operations import by_name
from pieces_os_client._core.streaming import (
    MAX_MESSAGE_SIZE,
    parse_message,
    refused,
    stream_request,
)
from pieces_os_client._core.watch import (
    CONNECT,
    DISCONNECT,
    RECEIVE,
    SLEEP,
    SNAPSHOT,
    TIMED_OUT,
    Burst,
    Reconnects,
    Watch,
    WatchState,
)
from pieces_os_client.rest import RetryPolicy

STREAM = by_name("models_stream_identifiers")


def snapshot(**names: str) -> Models:
    """A ``Models`` holding one model per ``id=name``."""
    models = [dict(copy.deepcopy(MODEL_JSON), id=i, name=n) for i, n in names.items()]
    return Models.from_dict({"iterable": models})  # type: ignore[return-value]


def message(*ids: str, deleted: bool = False) -> StreamedIdentifiers:
    items = [{"model": {"id": i}, **({"deleted": True} if deleted else {})} for i in ids]
    return StreamedIdentifiers.from_dict({"iterable": items})  # type: ignore[return-value]


# --- WatchState ------------------------------------------------------------------------------------
def test_the_first_settle_is_initial_and_adds_every_model() -> None:
    state = WatchState()
    state.feed(message("a", "b"))
    change = state.settle(snapshot(a="A", b="B"))
    assert change is not None and change.initial
    assert (change.added, change.updated, change.removed) == (("a", "b"), (), ())


def test_changes_come_from_the_snapshots_and_the_messages() -> None:
    state = WatchState()
    state.feed(message("a", "b"))
    state.settle(snapshot(a="A", b="B"))
    state.feed(message("c"))
    state.feed(message("b", deleted=True))
    state.feed(message("a"))  # named by a message, its fields unchanged: still "updated"
    change = state.settle(snapshot(a="A", c="C"))
    assert change is not None and not change.initial
    assert (change.added, change.updated, change.removed) == (("c",), ("a",), ("b",))
    assert str(change) == "added c; updated a; removed b (2 models)"


def test_after_a_reconnect_the_full_set_is_not_taken_as_changes() -> None:
    state = WatchState()
    state.feed(message("a", "b"))
    state.settle(snapshot(a="A", b="B"))
    state.connected()
    state.feed(message("a", "b"))  # the full set again
    assert state.settle(snapshot(a="A", b="B")) is None
    state.connected()
    state.feed(message("a"))
    change = state.settle(snapshot(a="renamed while away"))
    assert change is not None and (change.updated, change.removed) == (("a",), ("b",))


@settings(max_examples=50, deadline=None)
@given(
    before=st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["x", "y"]), max_size=6),
    after=st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["x", "y"]), max_size=6),
    touched=st.sets(st.sampled_from("abcdef")),
)
def test_settle_partitions_the_ids_exactly(
    before: Dict[str, str], after: Dict[str, str], touched: set
) -> None:
    state = WatchState()
    state.feed(message(*before))
    state.settle(snapshot(**before))
    state.feed(message(*sorted(touched)))
    change = state.settle(snapshot(**after))
    added = [i for i in after if i not in before]
    removed = [i for i in before if i not in after]
    updated = [i for i in after if i in before and (i in touched or before[i] != after[i])]
    if not (added or removed or updated):
        assert change is None
    else:
        assert change is not None
        assert (list(change.added), list(change.updated), list(change.removed)) == (
            added,
            updated,
            removed,
        )
        assert [m.id for m in change.models] == list(after)


# --- Burst and Reconnects -------------------------------------------------------------------------
def test_a_burst_ends_after_a_quiet_gap_or_its_longest() -> None:
    burst = Burst(quiet=0.05, longest=0.5)
    assert burst.wait(100.0) is None  # nothing yet: wait as long as it takes
    burst.message(100.0)
    assert burst.wait(100.0) == pytest.approx(0.05)
    burst.message(100.04)
    assert burst.wait(100.06) == pytest.approx(0.03)
    for step in range(1, 20):  # a steady trickle never keeps it open past `longest`
        burst.message(100.0 + step * 0.04)
    assert burst.wait(100.49) == pytest.approx(0.01)
    assert burst.wait(100.6) == 0.0


def test_reconnects_back_off_up_to_the_retry_count_and_reset_on_success() -> None:
    reconnects = Reconnects(RetryPolicy.from_count(3))
    delays = [reconnects.next_delay() for _ in range(4)]
    assert delays[3] is None
    for number, delay in enumerate(delays[:3], start=1):
        base = RetryPolicy.BACKOFF_FACTOR * 2 ** (number - 1)
        assert delay is not None and base <= delay <= base + RetryPolicy.BACKOFF_JITTER
    reconnects.succeeded()
    assert reconnects.next_delay() is not None
    assert Reconnects(0).next_delay() is None
    assert Reconnects(None).next_delay() is None


# --- the Watch generator --------------------------------------------------------------------------
class Driver:
    """Drives ``Watch.next_change`` like a front end, with scripted I/O results."""

    def __init__(self, retries: Any = 2) -> None:
        self.now = 0.0
        self.watch = Watch(retries, clock=lambda: self.now)
        self.steps: List[str] = []

    def run(self, replies: List[Any]) -> Any:
        """Answer each step with the next reply (an exception is thrown in)."""
        steps = self.watch.next_change()
        reply: Any = None
        error: Optional[Exception] = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as done:
                return done.value
            self.steps.append(step.kind)
            reply, error = None, None
            if step.kind in (RECEIVE, SNAPSHOT, CONNECT):
                answer = replies.pop(0)
                if isinstance(answer, Exception):
                    error = answer
                else:
                    reply = answer
            if step.kind == RECEIVE and reply is not TIMED_OUT:
                self.now += 0.01
            elif step.kind == RECEIVE:
                self.now += step.timeout or 0.0


def test_watch_connects_reads_a_burst_then_snapshots() -> None:
    driver = Driver()
    change = driver.run([None, message("a"), TIMED_OUT, snapshot(a="A")])
    assert change.initial and change.added == ("a",)
    assert driver.steps == [CONNECT, RECEIVE, RECEIVE, SNAPSHOT]
    change = driver.run([message("b"), message("a"), TIMED_OUT, snapshot(a="A2", b="B")])
    assert (change.added, change.updated) == (("b",), ("a",))
    assert driver.steps[4:] == [RECEIVE, RECEIVE, RECEIVE, SNAPSHOT]


def test_watch_reconnects_after_a_drop_and_gives_up_after_the_retries() -> None:
    driver = Driver(retries=2)
    driver.run([None, message("a"), TIMED_OUT, snapshot(a="A")])
    drop = ApiConnectionError("cut off")
    with pytest.raises(ApiConnectionError, match="refused"):
        driver.run([drop, ApiConnectionError("refused"), ApiConnectionError("refused")])
    assert driver.steps[4:] == [RECEIVE, DISCONNECT, SLEEP, CONNECT, SLEEP, CONNECT]


def test_a_drop_right_after_a_message_reports_the_change_first() -> None:
    driver = Driver()
    driver.run([None, message("a"), TIMED_OUT, snapshot(a="A")])
    change = driver.run([message("b"), ApiConnectionError("cut off"), snapshot(a="A", b="B")])
    assert change.added == ("b",)
    # The next step starts by reconnecting, and the full set after it is not a change.
    change = driver.run(
        [
            None,
            message("a", "b"),
            TIMED_OUT,
            snapshot(a="A", b="B"),
            message("a"),
            TIMED_OUT,
            snapshot(a="A3", b="B"),
        ]
    )
    assert change.updated == ("a",)
    assert driver.steps[-9:-7] == [DISCONNECT, SLEEP]


def test_watch_raises_at_once_for_an_error_not_worth_reconnecting() -> None:
    driver = Driver(retries=5)
    with pytest.raises(NotFoundException):
        driver.run([NotFoundException(status=404)])
    assert driver.steps == [CONNECT]
    driver = Driver(retries=5)
    driver.run([None, message("a"), TIMED_OUT, snapshot(a="A")])
    bad = ApiResponseValidationError(status=101, body="{", expected="StreamedIdentifiers")
    with pytest.raises(ApiResponseValidationError):
        driver.run([bad])
    assert driver.steps[-2:] == [RECEIVE, DISCONNECT]


def test_watch_rides_out_a_not_now_status() -> None:
    driver = Driver(retries=5)
    change = driver.run(
        [ServiceException(status=503), None, message("a"), TIMED_OUT, snapshot(a="A")]
    )
    assert change.initial and driver.steps[:3] == [CONNECT, SLEEP, CONNECT]


# --- requests, messages, refusals -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("http://127.0.0.1:1000", "ws://127.0.0.1:1000/models/stream/identifiers"),
        ("https://pieces.example/base", "wss://pieces.example/base/models/stream/identifiers"),
    ],
)
def test_stream_request_url_headers_and_timeout(host: str, url: str) -> None:
    config = Configuration(host=host, api_key={"application": "app"}, timeout=(3, 60))
    with ApiClient(config) as client:
        headers = client.default_headers
    request = stream_request(config, headers, STREAM, {"_headers": {"X-A": "1"}})
    assert request.url == url
    assert request.headers["X-Application-ID"] == "app" and request.headers["X-A"] == "1"
    assert request.open_timeout == 3.0
    total = stream_request(config, headers, STREAM, {"_request_timeout": 7})
    assert total.open_timeout == 7.0
    assert request.max_message_size == MAX_MESSAGE_SIZE
    config.max_response_size = 1000
    assert stream_request(config, headers, STREAM, {}).max_message_size == 1000


def test_parse_message_keeps_the_raw_text_of_a_bad_one() -> None:
    assert parse_message(StreamedIdentifiers, b'{"iterable": []}').iterable == []
    with pytest.raises(ApiResponseValidationError) as caught:
        parse_message(StreamedIdentifiers, "[1, 2]")
    assert caught.value.status == 101 and caught.value.body == "[1, 2]"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, NotFoundException),
        (500, ServiceException),
        (503, ServiceException),
        (426, ApiException),
        (200, ApiResponseValidationError),
    ],
)
def test_refused_maps_the_status(status: int, expected: type) -> None:
    error = refused("ws://h/models/stream/identifiers", status, "Why", {"X": "1"}, b"body text")
    assert type(error) is expected
    assert (error.status, error.body, error.headers) == (status, "body text", {"X": "1"})
