"""Contract: every answer LocalPiecesOS gives conforms to docs/openapi.yaml.

Schemathesis generates requests from the spec (a few per operation, derandomized so the run
is bounded and repeatable) and checks status code, content type, headers and body schema of
each answer. Generated ids rarely hit a real model, so a second test drives every documented
success and error answer with real ids and validates those too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    is_unexpected_http_status_case,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pieces_os_client.testing import LocalPiecesOS, builtin_id

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

# Valid requests (what the document allows): every answer must be a documented one.
schema = schemathesis.openapi.from_path(SPEC)
schema.config.generation.update(modes=[GenerationMode.POSITIVE])
# Invalid requests (bodies of the wrong shape...): refused with a text 4xx, nothing changes.
# Only the operations with a body can be sent invalid data (the others have no input to spoil).
# The cache operation's optional, open body is beyond what schemathesis 4.4 (the last release
# for Python 3.9) can make invalid ("Unsatisfiable"): test_invalid_cache_bodies_are_refused
# sends it invalid bodies by hand on every Python.
# Pieces OS does not check the X-Application-ID the document's security scheme names (nor
# does LocalPiecesOS), so a request without it is not invalid data here.
_UNSECURED = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
_UNSECURED.pop("security", None)
invalid_schema = schemathesis.openapi.from_dict(_UNSECURED).include(path_regex="create$")
invalid_schema.config.generation.update(modes=[GenerationMode.NEGATIVE])

# 500 is a documented answer here (deleting a built-in model...), so "not a server error"
# is not part of the contract; conformance to the document is.
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPiecesOS]:
    with LocalPiecesOS() as local:
        yield local


@schema.parametrize()
@SETTINGS
def test_valid_requests_get_documented_answers(case: Any, server: LocalPiecesOS) -> None:
    response = case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=5)
    if is_unexpected_http_status_case(case):
        # Schemathesis' probes outside the document (another method, another content type):
        # any real answer will do, with a one-line text error when it refuses.
        if response.status_code >= 400:
            assert _is_text_error(response), (case.method, case.path, response.status_code)
    else:
        # Documented answers only (status_code_conformance checks each against its
        # operation); 410 is the Model API's "no model has this id".
        assert response.status_code in (200, 204, 410, 500)


@invalid_schema.parametrize()
@SETTINGS
def test_invalid_requests_are_refused_and_change_nothing(case: Any, server: LocalPiecesOS) -> None:
    before = [m.to_json() for m in server.models()]
    response = case.call_and_validate(
        base_url=server.url, checks=[negative_data_rejection], timeout=5
    )
    if response.status_code >= 400:
        assert _is_text_error(response), (case.method, case.path, response.status_code)
        assert [m.to_json() for m in server.models()] == before


def _is_text_error(response: Any) -> bool:
    """An error as Pieces OS sends them: text/plain, one non-empty line."""
    text = response.text
    # schemathesis keeps each header as a list of values.
    content_types = [
        value
        for name, values in response.headers.items()
        if name.lower() == "content-type"
        for value in values
    ]
    return bool(
        content_types == ["text/plain; charset=utf-8"] and text.strip() and "\n" not in text
    )


@pytest.mark.parametrize(
    "body",
    [b"\x00", b"0\x05\x0c", b"[]", b'"text"', b'{"schema": true}', b'{"schema": "x"}'],
    ids=["nul", "binary", "array", "string", "schema-bool", "schema-string"],
)
def test_invalid_cache_bodies_are_refused(body: bytes, server: LocalPiecesOS) -> None:
    server.reset()
    model = builtin_id("llama-3-8b-instruct-q4f16_1-gpu")
    before = [m.to_json() for m in server.models()]
    operation = schema["/models/{model}/delete/cache"]["POST"]
    case = operation.Case(
        path_parameters={"model": model}, body=body, media_type="application/json"
    )
    response = case.call(base_url=server.url, timeout=5)
    assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    assert _is_text_error(response), response.text
    assert [m.to_json() for m in server.models()] == before


def _call(server: LocalPiecesOS, method: str, path: str, **case_args: Any) -> int:
    operation = schema[path][method]
    case = operation.Case(**case_args)
    response = case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=5)
    return int(response.status_code)


def test_every_documented_answer_conforms(server: LocalPiecesOS) -> None:
    server.reset()
    seed: Dict[str, Any] = {
        "name": "contract-model",
        "version": "1",
        "cloud": False,
        "type": "BALANCED",
        "usage": "CODE_GENERATION",
        "created": {"value": "2024-01-01T00:00:00Z"},
    }
    assert _call(server, "GET", "/models") == 200
    assert _call(server, "POST", "/models/create", body=seed, media_type="application/json") == 200
    custom = next(m for m in server.models() if m.name == "contract-model")
    cache_path = "/models/{model}/delete/cache"
    assert _call(server, "POST", cache_path, path_parameters={"model": custom.id}) == 200
    # Not an LLM, and a cloud LLM: documented 500s.
    assert (
        _call(server, "POST", cache_path, path_parameters={"model": builtin_id("pieces-ocr")})
        == 500
    )
    assert _call(server, "POST", cache_path, path_parameters={"model": builtin_id("gpt-4o")}) == 500
    delete_path = "/models/{model}/delete"
    assert _call(server, "POST", delete_path, path_parameters={"model": custom.id}) == 204
    assert _call(server, "POST", delete_path, path_parameters={"model": custom.id}) == 500
    assert (
        _call(server, "POST", delete_path, path_parameters={"model": builtin_id("gpt-4o")}) == 500
    )
    assert _call(server, "POST", "/models/unload") == 204
    assert _call(server, "POST", "/models/create") == 500  # no body: nothing to create
