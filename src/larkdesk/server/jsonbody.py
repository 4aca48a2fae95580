"""The one place request bodies become Python values: strict UTF-8, bounded nesting, JSON.

msgspec itself recurses once per nesting level (a body of 1,000 `[` raised RecursionError,
a 500) and checks UTF-8 only where it decodes a string (an invalid byte in a known field
raised UnicodeDecodeError, a 500; in an ignored one it passed). So every body is checked
here first, in C-speed passes, and every failure is a `MalformedBody` the caller turns
into its own wire error (154000, or 10003 on the token endpoints).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted; larkdesk's bodies need at most 4."""

# A string, or an unterminated one running to the end: every attempt from a quote
# succeeds, so one pass is linear however the body is built.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")

Kind = TypeVar("Kind")


class MalformedBody(ValueError):
    """The body is not strict UTF-8 JSON within `MAX_DEPTH`; the message says why."""


class BodyTooLarge(MalformedBody):
    """The body is larger than the endpoint takes."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it is known to exceed `limit` bytes: by its
    `Content-Length` before a byte is read, else (chunked) when the bytes read pass it."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_utf8(raw: bytes) -> None:
    """Refuse a body that is not strict UTF-8 (JSON text must be)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"invalid UTF-8 at byte {exc.start}") from None


def nesting_depth_exceeds(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects in `raw` nest deeper than `limit` (strings ignored).

    Each pass deletes every innermost `[]` / `{}` pair, one level per pass, so a body
    within the limit is empty after at most `limit` passes. Brackets that never pair up
    are malformed JSON, left for the decoder to name.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    for _ in range(limit):
        shorter = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if not shorter or shorter == brackets:
            return False
        brackets = shorter
    return True


def decode_json(raw: bytes, kind: type[Kind] | None = None) -> Kind | Any:
    """`raw` decoded (into `kind` when given); `MalformedBody` for bad bytes or nesting.

    msgspec's `ValidationError` (a wrong type) passes through for the caller to explain.
    """
    check_utf8(raw)
    if nesting_depth_exceeds(raw):
        raise MalformedBody(f"arrays and objects are nested deeper than {MAX_DEPTH} levels")
    try:
        return msgspec.json.decode(raw, type=kind) if kind is not None else msgspec.json.decode(raw)
    except msgspec.ValidationError:
        raise
    except msgspec.DecodeError as exc:
        raise MalformedBody(str(exc)) from None
    except RecursionError:  # a nesting the pre-check let through; never a 500
        raise MalformedBody(f"arrays and objects are nested deeper than {MAX_DEPTH}") from None
