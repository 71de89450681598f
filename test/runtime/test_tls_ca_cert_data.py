"""``Configuration(ca_cert_data=...)`` verifies an https host with the given CA, as in 5.0.1.

A real HTTPS server on 127.0.0.1 presents a self-signed certificate (``test/runtime/tls/``). Trusting
it through ``ca_cert_data`` (PEM text or DER bytes) lets both clients through; without it the
handshake fails with a connection error that names TLS.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Union

import pytest
from _scripted_server import MODEL_JSON

from pieces_os_client import ApiClient, Configuration, ModelsApi
from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi
from pieces_os_client.exceptions import ApiConnectionError

TLS = Path(__file__).resolve().parent / "tls"
CERT_PEM = (TLS / "server-cert.pem").read_text(encoding="ascii")


class _Snapshot(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"iterable": [MODEL_JSON]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def https_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Snapshot)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server-cert.pem", TLS / "server-key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    "ca_cert_data", [CERT_PEM, ssl.PEM_cert_to_DER_cert(CERT_PEM)], ids=["pem-text", "der-bytes"]
)
def test_ca_cert_data_makes_the_host_trusted(
    https_url: str, ca_cert_data: Union[str, bytes]
) -> None:
    configuration = Configuration(https_url, retries=0, ca_cert_data=ca_cert_data)
    with ApiClient(configuration) as client:
        assert ModelsApi(client).models_snapshot().iterable[0].id == MODEL_JSON["id"]

    async def call_async() -> str:
        async with AsyncApiClient(configuration) as client:
            return (await AsyncModelsApi(client).models_snapshot()).iterable[0].id

    assert asyncio.run(call_async()) == MODEL_JSON["id"]


def test_without_ca_cert_data_the_self_signed_host_is_refused(https_url: str) -> None:
    with (
        ApiClient(Configuration(https_url, retries=0)) as client,
        pytest.raises(ApiConnectionError, match="TLS failed"),
    ):
        ModelsApi(client).models_snapshot()
