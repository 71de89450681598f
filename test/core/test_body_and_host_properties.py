"""Properties of the two pure pieces both transports share: reading a body within a limit
(whatever the chunking and compression), and masking credentials in a host."""

from __future__ import annotations

import gzip
import zlib
from typing import Callable, Dict, List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pieces_os_client import ApiValueError
from pieces_os_client._core.body import BodyTooLarge, BoundedBody
from pieces_os_client._core.host import parse_host, redact_url

CODINGS: Dict[str, Callable[[bytes], bytes]] = {
    "": lambda data: data,
    "gzip": gzip.compress,
    "deflate": zlib.compress,
}


def _split(data: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in zip(points, points[1:])]


@given(
    body=st.binary(max_size=4096) | st.text(max_size=2000).map(str.encode),
    coding=st.sampled_from(sorted(CODINGS)),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_any_body_in_any_chunks_reads_back_unchanged(
    body: bytes, coding: str, cuts: List[int]
) -> None:
    headers = {"Content-Encoding": coding} if coding else {}
    reader = BoundedBody(len(body), headers)  # a limit exactly the body's size is enough
    for chunk in _split(CODINGS[coding](body), cuts):
        reader.feed(chunk)
    assert reader.finish() == body


@given(
    body=st.binary(min_size=1, max_size=4096),
    coding=st.sampled_from(sorted(CODINGS)),
    short_by=st.integers(min_value=1, max_value=4096),
)
def test_one_byte_past_the_limit_is_refused(body: bytes, coding: str, short_by: int) -> None:
    limit = max(len(body) - short_by, 1) if len(body) > 1 else None
    if limit is None:
        return
    headers = {"Content-Encoding": coding} if coding else {}
    with pytest.raises(BodyTooLarge) as caught:
        reader = BoundedBody(limit, headers)
        reader.feed(CODINGS[coding](body))
        reader.finish()
    assert caught.value.limit == limit
    assert body.startswith(caught.value.head)


_USERINFO_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="/?#@", blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=20,
)


@given(
    user=_USERINFO_TEXT,
    password=_USERINFO_TEXT | st.just(""),
    path=st.sampled_from(["", "/models", "/a/b?x=1"]),
)
def test_credentials_never_survive_redaction(user: str, password: str, path: str) -> None:
    url = f"http://{user}:{password}@127.0.0.1:1000{path}"
    shown = redact_url(url)
    assert shown == f"http://***@127.0.0.1:1000{path}"


@given(tail=_USERINFO_TEXT)
def test_a_checked_host_never_shows_its_password(tail: str) -> None:
    password = "SECRET-" + tail
    host = f"https://me:{password}@example.test:8443/base"
    try:
        info = parse_host(host)
    except ApiValueError as error:
        assert password not in str(error)
    else:
        assert password not in info.shown + info.base
        assert info.base == "https://example.test:8443/base"
