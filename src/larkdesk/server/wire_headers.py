"""Response header names in canonical case on the wire (`X-Tt-Logid`, `Content-Type`).

lark-oapi's sync client keeps response headers in a plain dict and looks up exactly
`X-Tt-Logid` and `Content-Type`, so lower-case names break `get_log_id()` and the generic
`client.request()` (FIDELITY.md). Starlette lower-cases every name it is given, and
uvicorn's httptools protocol lower-cases them again as it writes the head (its h11
protocol keeps them as sent), so the case is set at the last step: the bytes of the head,
as they are written to the socket. Names take Go's canonical form (`net/http`'s
`CanonicalMIMEHeaderKey`), as Feishu's gateway sends them.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=256)
def canonical_name(name: bytes) -> bytes:
    """`x-tt-logid` → `X-Tt-Logid`: each dash-separated word capitalised."""
    return b"-".join(word[:1].upper() + word[1:].lower() for word in name.split(b"-"))


def canonical_head(head: bytes) -> bytes:
    """A response head (status line, header lines, blank line) with canonical names."""
    lines = head.split(b"\r\n")
    for n in range(1, len(lines)):
        name, colon, rest = lines[n].partition(b":")
        if colon:
            lines[n] = canonical_name(name) + colon + rest
    return b"\r\n".join(lines)


class HeadCaseTransport:
    """A transport that writes each response's head in canonical case, the rest as is.

    uvicorn writes a head in one `write`, before its body; `next_response()` (called when
    a response is complete) makes the next write that starts with a status line a head.
    An informational `100 Continue` is a head too and leaves the next one expected.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._expect_head = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._expect_head and bytes(data[:5]) == b"HTTP/":
            data = canonical_head(bytes(data))
            self._expect_head = data[9:10] == b"1"  # "HTTP/1.1 1xx": the real head follows
        self._transport.write(data)

    def next_response(self) -> None:
        self._expect_head = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
