"""Request bodies as the helpdesk APIs read them: size-limited, decoded strictly into a
msgspec struct, text checked; every problem is a `BadRequest` naming the field.

Decisions where Feishu's documents are silent:
- a body over its endpoint's limit (`server.limits`) is refused before it is read in full;
- JSON types are strict (`"status": "50"` or `"human_service": 1` is a wrong type);
  `null` counts as absent; unknown keys are ignored, as for query parameters;
- text fields must not contain the NUL character (PostgreSQL text cannot hold one, and
  both stores answer alike).
"""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from starlette.requests import Request

from ..errors import BadRequest
from ..server.jsonbody import BodyTooLarge, MalformedBody, decode_json, read_limited

MAX_BODY_BYTES = 64 * 1024

_WHERE = re.compile(r"^(?P<what>.*) - at `\$(?P<path>.*)`$")
Body = TypeVar("Body", bound=msgspec.Struct)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused as soon as it is known to exceed `limit` bytes."""
    try:
        return await read_limited(request, limit)
    except BodyTooLarge as exc:
        raise BadRequest(str(exc)) from None


def decode_body(raw: bytes, kind: type[Body], *, required: bool = True) -> Body:
    """Decode a JSON object strictly into `kind`; an empty body is `kind()` unless required."""
    if not raw.strip():
        if required:
            raise BadRequest("the request body must be a JSON object")
        return kind()
    try:
        return decode_json(raw, kind)
    except msgspec.ValidationError as exc:
        raise BadRequest(_explain(str(exc))) from None
    except MalformedBody as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc})") from None


def _explain(message: str) -> str:
    """msgspec's "Expected `int | null`, got `str` - at `$.status`" as "status: expected
    int, got str"."""
    found = _WHERE.match(message)
    what, path = (found["what"], found["path"].lstrip(".")) if found else (message, "")
    what = what.replace(" | null", "").replace("`", "")
    return f"{path or 'the request body'}: {what[:1].lower()}{what[1:]}"


def check_text(name: str, value: str | None, limit: int, *, blank_ok: bool = False) -> None:
    """Refuse blank (unless `blank_ok`), too long or NUL-holding text."""
    if value is None:
        return
    if not blank_ok and not value.strip():
        raise BadRequest(f"{name} must not be blank")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    if "\x00" in value:  # PostgreSQL text cannot hold it: refused on every store alike
        raise BadRequest(f"{name} must not contain the NUL character")
