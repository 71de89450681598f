"""Every TLS setting on every transport, against one real TLS server on 127.0.0.1.

The four transports (the urllib3 pool, aiohttp, the sync WebSocket client over websockets and
the async one over aiohttp) all take their TLS from ``pieces_os_client._backends.tls``; each test
runs once per transport. The server is aiohttp's, with the self-signed certificate of
``test/runtime/tls/`` (for ``127.0.0.1`` and ``localhost``): it answers ``GET /models`` and greets each
``/models/stream/identifiers`` subscriber with one message, and records whether the client
presented a certificate (it asks for one but accepts clients without).
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from _scripted_server import MODEL_JSON
from aiohttp import web

from pieces_os_client import ApiClient, Configuration, ModelsApi
from pieces_os_client._backends.tls import tls_context
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.exceptions import ApiConnectionError, ApiValueError

TLS = Path(__file__).resolve().parent / "tls"
CERT = TLS / "server-cert.pem"
KEY = TLS / "server-key.pem"
GREETING = {"iterable": [{"model": {"id": "m1"}}]}


class _TlsServer:
    """aiohttp's server on a loop of its own thread, presenting ``test/runtime/tls/``'s certificate."""

    def __init__(self) -> None:
        #: For each request or stream, whether the client presented a certificate.
        self.client_certs: List[bool] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-server")
        self._thread.start()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._socket.getsockname()[1]}"
        self._runner = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> web.AppRunner:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(CERT, KEY)
        # Asks for a client certificate (signed by the same self-signed certificate), and
        # lets clients without one in.
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(CERT)
        app = web.Application()
        app.router.add_get("/models", self._snapshot)
        app.router.add_get("/models/stream/identifiers", self._stream)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.SockSite(runner, self._socket, ssl_context=context).start()
        return runner

    def _seen(self, request: web.Request) -> None:
        transport = request.transport
        self.client_certs.append(bool(transport and transport.get_extra_info("peercert")))

    async def _snapshot(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.json_response({"iterable": [MODEL_JSON]})

    async def _stream(self, request: web.Request) -> web.WebSocketResponse:
        self._seen(request)
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        await websocket.send_str(json.dumps(GREETING))
        async for _ in websocket:  # a subscriber sends nothing; wait for its close
            pass
        return websocket

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture(scope="module")
def tls_server() -> Iterator[_TlsServer]:
    server = _TlsServer()
    try:
        yield server
    finally:
        server.stop()


# --- one call or one stream message over each transport -----------------------------------------
def _sync_call(configuration: Configuration) -> str:
    with ApiClient(configuration) as client:
        return ModelsApi(client).models_snapshot().iterable[0].id


def _async_call(configuration: Configuration) -> str:
    async def call() -> str:
        async with AsyncApiClient(configuration) as client:
            return (await AsyncModelsApi(client).models_snapshot()).iterable[0].id

    return asyncio.run(call())


def _sync_stream(configuration: Configuration) -> str:
    with ApiClient(configuration) as client, ModelsApi(client).models_stream_identifiers() as s:
        assert s.url.startswith("wss://")
        return next(s).iterable[0].model.id  # type: ignore[union-attr]


def _async_stream(configuration: Configuration) -> str:
    async def receive() -> str:
        async with (
            AsyncApiClient(configuration) as client,
            AsyncModelsApi(client).models_stream_identifiers() as stream,
        ):
            assert stream.url.startswith("wss://")
            message = await stream.__anext__()
            return message.iterable[0].model.id  # type: ignore[union-attr]

    return asyncio.run(receive())


TRANSPORTS: Dict[str, Callable[[Configuration], str]] = {
    "urllib3": _sync_call,
    "aiohttp": _async_call,
    "websockets-stream": _sync_stream,
    "aiohttp-stream": _async_stream,
}
EXPECTED = {"urllib3": MODEL_JSON["id"], "aiohttp": MODEL_JSON["id"]}


@pytest.fixture(params=list(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _config(url: str, **settings: Any) -> Configuration:
    configuration = Configuration(host=url, retries=0, timeout=(5, 10))
    for name, value in settings.items():
        assert hasattr(configuration, name), name
        setattr(configuration, name, value)
    return configuration


def _works(transport: str, configuration: Configuration) -> None:
    assert TRANSPORTS[transport](configuration) == EXPECTED.get(transport, "m1")


def _refused(transport: str, configuration: Configuration, why: str) -> None:
    with pytest.raises(ApiConnectionError, match="TLS failed") as raised:
        TRANSPORTS[transport](configuration)
    assert why in str(raised.value)


# urllib3 warns at each unverified request, as it did for the published SDK.
_UNVERIFIED = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


# --- the settings ---------------------------------------------------------------------------------
def test_a_ca_file_makes_the_host_trusted(tls_server: _TlsServer, transport: str) -> None:
    _works(transport, _config(tls_server.url, ssl_ca_cert=str(CERT)))


@pytest.mark.parametrize("form", ["pem-text", "der-bytes"])
def test_ca_data_makes_the_host_trusted(tls_server: _TlsServer, transport: str, form: str) -> None:
    pem = CERT.read_text(encoding="ascii")
    data = pem if form == "pem-text" else ssl.PEM_cert_to_DER_cert(pem)
    _works(transport, _config(tls_server.url, ca_cert_data=data))


def test_an_untrusted_certificate_is_refused(tls_server: _TlsServer, transport: str) -> None:
    _refused(transport, _config(tls_server.url), "certificate verify failed")


@_UNVERIFIED
def test_verify_ssl_false_accepts_an_untrusted_certificate(
    tls_server: _TlsServer, transport: str
) -> None:
    _works(transport, _config(tls_server.url, verify_ssl=False))


@_UNVERIFIED
def test_an_upper_case_scheme_is_https_with_the_same_settings(
    tls_server: _TlsServer, transport: str
) -> None:
    upper = tls_server.url.replace("https://", "HTTPS://")
    _works(transport, _config(upper, verify_ssl=False))
    _works(transport, _config(upper, ca_cert_data=CERT.read_text(encoding="ascii")))
    _refused(transport, _config(upper), "certificate verify failed")


def test_a_client_certificate_is_presented(
    tls_server: _TlsServer, transport: str, tmp_path: Path
) -> None:
    both = tmp_path / "cert-and-key.pem"  # key_file may be left out when cert_file holds it
    both.write_text(CERT.read_text(encoding="ascii") + KEY.read_text(encoding="ascii"))
    del tls_server.client_certs[:]
    _works(transport, _config(tls_server.url, ssl_ca_cert=str(CERT)))
    _works(
        transport,
        _config(tls_server.url, ssl_ca_cert=str(CERT), cert_file=str(CERT), key_file=str(KEY)),
    )
    _works(transport, _config(tls_server.url, ssl_ca_cert=str(CERT), cert_file=str(both)))
    assert tls_server.client_certs == [False, True, True]


def test_tls_server_name_is_the_name_checked(tls_server: _TlsServer, transport: str) -> None:
    trusted = str(CERT)
    _works(transport, _config(tls_server.url, ssl_ca_cert=trusted, tls_server_name="localhost"))
    _refused(
        transport,
        _config(tls_server.url, ssl_ca_cert=trusted, tls_server_name="elsewhere.example"),
        "elsewhere.example",
    )


def test_assert_hostname_false_checks_the_certificate_but_not_the_name(
    tls_server: _TlsServer, transport: str
) -> None:
    elsewhere = {"tls_server_name": "elsewhere.example", "assert_hostname": False}
    _works(transport, _config(tls_server.url, ssl_ca_cert=str(CERT), **elsewhere))
    _refused(transport, _config(tls_server.url, **elsewhere), "certificate verify failed")


# --- settings that cannot be loaded ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"ssl_ca_cert": "/nonexistent/ca.pem"}, "ssl_ca_cert"),
        ({"ca_cert_data": "not a certificate"}, "ca_cert_data"),
        ({"cert_file": "/nonexistent/client.pem"}, "cert_file"),
        ({"key_file": str(KEY)}, "key_file is set but cert_file is not"),
    ],
)
def test_a_setting_that_cannot_be_loaded_is_named(
    settings: Dict[str, Any], named: str, transport: str
) -> None:
    configuration = _config("https://127.0.0.1:9", **settings)
    with pytest.raises(ApiValueError, match=named):
        tls_context(configuration)
    with pytest.raises(ApiValueError, match=named):
        TRANSPORTS[transport](configuration)


def test_an_http_host_has_no_tls() -> None:
    configuration = _config("http://127.0.0.1:9", verify_ssl=False, ssl_ca_cert="/nonexistent")
    assert tls_context(configuration) is None
