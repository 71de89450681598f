"""One download per model per process, and ``denied`` models refused before anything is sent.

The race is made certain, not likely: the peer (``aiohttp.web``, see test_downloads_peer.py)
holds the ``POST .../download`` until every caller has read the model, so each of them saw
"not downloading". Without the process-wide start gate each would then send its own POST.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Iterator, List, Optional

import pytest
from aiohttp import web
from test_downloads_peer import MODEL, Peer, client

from pieces_os_client import (
    Configuration,
    Model,
    ModelApi,
    ModelDownloadDenied,
    ModelDownloadError,
    ServiceException,
)
from pieces_os_client._core import inflight
from pieces_os_client.aio import AsyncApiClient, AsyncModelApi
from pieces_os_client.cli import main
from pieces_os_client.testing import LocalPiecesOS, builtin_id

MISTRAL = builtin_id("mistral-7b-instruct-v0.3")


class GatedPeer(Peer):
    """A peer whose ``POST .../download`` waits until ``readers`` reads of the model came
    in; ``refuse`` answers it with a 500."""

    def __init__(self, readers: int, refuse: bool = False) -> None:
        super().__init__()
        self.readers = readers
        self.refuse = refuse
        self._all_read: Optional[asyncio.Event] = None

    def _read(self) -> asyncio.Event:
        if self._all_read is None:  # made in the peer's loop
            self._all_read = asyncio.Event()
        return self._all_read

    async def _get(self, request: web.Request) -> web.Response:
        response = await super()._get(request)
        if self.log.count("GET /") >= self.readers:
            self._read().set()
        return response

    async def _download(self, request: web.Request) -> web.Response:
        self._known(request)
        await asyncio.wait_for(self._read().wait(), 30)
        if self.refuse:
            return web.Response(status=500, text="no room left on the device")
        if not (self.model["downloaded"] or self.model["downloading"]):
            await self._start()
        return web.json_response(self.model)


@pytest.fixture
def gated() -> Iterator[Callable[..., GatedPeer]]:
    peers: List[GatedPeer] = []

    def make(readers: int, refuse: bool = False) -> GatedPeer:
        peer = GatedPeer(readers, refuse)
        peer.__enter__()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.__exit__(None, None, None)


def in_threads(*calls: Callable[[], Any]) -> List[Any]:
    """Run each call in a thread of its own; what each returned or raised."""
    results: List[Any] = [None] * len(calls)

    def run(at: int) -> None:
        try:
            results[at] = calls[at]()
        except BaseException as error:  # handed to the test
            results[at] = error

    threads = [threading.Thread(target=run, args=(at,)) for at in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def sync_download(peer: Peer) -> Callable[[], Model]:
    def call() -> Model:
        with client(peer) as api_client:
            return ModelApi(api_client).download(MODEL)

    return call


def async_download(peer: Peer) -> Callable[[], Model]:
    async def main() -> Model:
        configuration = Configuration(host=peer.url)
        async with AsyncApiClient(configuration) as api_client:
            return await AsyncModelApi(api_client).download(MODEL)

    return lambda: asyncio.run(main())


# --- one POST --------------------------------------------------------------------------------
def test_two_threads_send_one_post_and_both_get_the_model(
    gated: Callable[..., GatedPeer],
) -> None:
    peer = gated(readers=2)
    results = in_threads(sync_download(peer), sync_download(peer))
    assert all(isinstance(r, Model) and r.downloaded for r in results), results
    assert peer.log.count("POST /download") == 1
    assert peer.log.count("GET /download/progress") == 2  # each follows with its own stream
    assert inflight._ENTRIES == {}  # nothing left behind


def test_a_sync_thread_and_an_async_task_share_the_post(gated: Callable[..., GatedPeer]) -> None:
    peer = gated(readers=2)
    results = in_threads(sync_download(peer), async_download(peer))
    assert all(isinstance(r, Model) and r.downloaded for r in results), results
    assert peer.log.count("POST /download") == 1


def test_tasks_of_one_loop_share_the_post(gated: Callable[..., GatedPeer]) -> None:
    peer = gated(readers=3)

    async def main() -> List[Model]:
        async with AsyncApiClient(Configuration(host=peer.url)) as api_client:
            api = AsyncModelApi(api_client)
            return list(await asyncio.gather(*(api.download(MODEL) for _ in range(3))))

    models = asyncio.run(main())
    assert [m.downloaded for m in models] == [True] * 3
    assert peer.log.count("POST /download") == 1


def test_a_refused_start_is_the_same_error_for_every_caller(
    gated: Callable[..., GatedPeer],
) -> None:
    peer = gated(readers=2, refuse=True)
    first, second = in_threads(sync_download(peer), async_download(peer))
    for error in (first, second):
        assert isinstance(error, ServiceException), error
        assert (error.status, error.data) == (500, "no room left on the device")
    assert first is not second  # each caller raises its own copy, with its own traceback
    assert peer.log.count("POST /download") == 1
    assert "POST /download/cancel" not in peer.log  # nothing started: nothing to cancel


# --- the gate's decisions, one by one --------------------------------------------------------
def test_a_start_given_up_before_its_answer_lets_the_waiting_call_start() -> None:
    first, second = inflight.join("h", "m"), inflight.join("h", "m")
    woken: List[str] = []
    first.mark()
    second.mark()
    assert first.claim(lambda: woken.append("first")) is inflight.START
    assert second.claim(lambda: woken.append("second")) is inflight.WAIT
    first.publish(error=KeyboardInterrupt())  # Ctrl-C during the POST
    assert woken == ["second"]
    assert second.claim(lambda: None) is inflight.START
    second.publish(model=Model.from_dict(_model()))
    first.leave()
    second.leave()
    assert inflight._ENTRIES == {}


def test_a_read_after_an_answered_start_starts_anew() -> None:
    # The first download ran (and failed on Pieces OS) before this call read the model.
    first, later = inflight.join("h", "m"), inflight.join("h", "m")
    first.mark()
    assert first.claim(lambda: None) is inflight.START
    first.publish(model=Model.from_dict(_model()))
    later.mark()
    assert later.claim(lambda: None) is inflight.START
    later.publish(error=ValueError("refused"))
    first.leave()
    later.leave()


def test_a_read_while_a_start_waits_for_its_answer_follows_that_answer() -> None:
    first, second = inflight.join("h", "m"), inflight.join("h", "m")
    first.mark()
    assert first.claim(lambda: None) is inflight.START
    second.mark()  # read while the POST is out: the read may predate it
    first.publish(model=Model.from_dict(_model(downloading=True)))
    followed = second.claim(lambda: None)
    assert isinstance(followed, Model) and followed.downloading
    first.leave()
    second.leave()


def test_different_hosts_and_models_do_not_share() -> None:
    tickets = [inflight.join("h1", "m"), inflight.join("h2", "m"), inflight.join("h1", "n")]
    for ticket in tickets:
        ticket.mark()
        assert ticket.claim(lambda: None) is inflight.START
    for ticket in tickets:
        ticket.publish(model=Model.from_dict(_model()))
        ticket.leave()


def _model(**flags: Any) -> Any:
    return {
        "id": "m",
        "name": "M",
        "version": "1",
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
        **flags,
    }


# --- denied ----------------------------------------------------------------------------------
def test_a_denied_model_is_refused_before_anything_but_the_snapshot_is_sent(
    server: LocalPiecesOS,
) -> None:
    server.deny(MISTRAL)
    with server.client() as api_client:
        api = ModelApi(api_client)
        with pytest.raises(ModelDownloadDenied) as caught:
            api.download("Mistral 7B Instruct")
        with pytest.raises(ModelDownloadDenied), api.download_events(MISTRAL) as events:
            list(events)
    error = caught.value
    assert isinstance(error, ModelDownloadError) and error.model_id == MISTRAL
    assert str(error) == (
        f"model {MISTRAL} (Mistral 7B Instruct) is denied on this Pieces OS (its organization "
        "does not allow it): nothing was downloaded; pick another model, or ask the "
        "organization's admin to allow it"
    )
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/models")] * 2


def test_the_async_download_refuses_a_denied_model_alike(server: LocalPiecesOS) -> None:
    server.deny(MISTRAL)

    async def main() -> None:
        async with AsyncApiClient(server.configuration()) as api_client:
            with pytest.raises(ModelDownloadDenied, match="is denied"):
                await AsyncModelApi(api_client).download(MISTRAL)

    asyncio.run(main())
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/models")]


def test_local_pieces_os_refuses_a_denied_download_itself(server: LocalPiecesOS) -> None:
    server.deny(MISTRAL)
    assert next(m for m in server.models() if m.id == MISTRAL).denied is True
    with server.client() as api_client, pytest.raises(ServiceException, match="denied"):
        ModelApi(api_client).model_specific_model_download(MISTRAL)  # the raw operation
    server.deny(MISTRAL, denied=False)
    assert next(m for m in server.models() if m.id == MISTRAL).denied is False
    with pytest.raises(ValueError, match="no model"):
        server.deny("no-such-model")


def test_the_cli_download_of_a_denied_model_is_exit_1_and_one_line(
    capsys: pytest.CaptureFixture[str], server: LocalPiecesOS, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    server.deny(MISTRAL)
    code = main(["--url", server.url, "models", "download", "mistral 7b instruct"])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err == (
        f"error: the download of model {MISTRAL} (Mistral 7B Instruct) was refused before it "
        "started: the model is denied on this Pieces OS (its organization does not allow it); "
        "pick another model\n"
    )
    assert not any(r.method == "POST" for r in server.requests)
