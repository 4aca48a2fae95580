"""Canonical header-name case, as the head is written (unit level; the live tests are in
test_hardening_wire.py)."""

from __future__ import annotations

from typing import Any

import pytest

from larkdesk.server.wire_headers import HeadCaseTransport, canonical_head, canonical_name


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        (b"x-tt-logid", b"X-Tt-Logid"),
        (b"content-type", b"Content-Type"),
        (b"x-ogw-ratelimit-reset", b"X-Ogw-Ratelimit-Reset"),
        (b"retry-after", b"Retry-After"),
        (b"DATE", b"Date"),
        (b"www-authenticate", b"Www-Authenticate"),
    ],
)
def test_canonical_name(name: bytes, canonical: bytes) -> None:
    assert canonical_name(name) == canonical


def test_only_names_change_never_values() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-a: b:c-d\r\n\r\n"
    assert canonical_head(head) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: b:c-d\r\n\r\n"
    )


class Recorder:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True


def test_the_transport_rewrites_each_head_and_leaves_bodies_alone() -> None:
    inner = Recorder()
    wire: Any = HeadCaseTransport(inner)  # type: ignore[arg-type]
    wire.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    wire.write(b"HTTP/1.1 200 OK\r\nx-tt-logid: 1\r\n\r\n")
    wire.write(b"HTTP/1.1 x-tt-logid: a body that looks like a head")
    wire.next_response()
    wire.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
    wire.close()
    assert inner.written == [
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Tt-Logid: 1\r\n\r\n",
        b"HTTP/1.1 x-tt-logid: a body that looks like a head",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    ]
    assert inner.closed
