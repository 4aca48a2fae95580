"""Request bodies of the lifecycle APIs (lark-oapi's request-body models), read with a size
limit, decoded strictly and checked; every problem is a `BadRequest` naming the field.

Decisions where Feishu's documents are silent:
- a body over its endpoint's limit (`server_limits`) is refused before it is read in full;
- JSON types are strict (`"status": "50"` or `"human_service": 1` is a wrong type);
  `null` counts as absent; unknown keys are ignored, as for query parameters;
- an update must change something: an empty object is refused;
- text fields must not contain the NUL character (PostgreSQL text cannot hold one, and
  both stores answer alike).
"""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from starlette.requests import Request

from ..errors import BadRequest
from ..jsonbody import BodyTooLarge, MalformedBody, decode_json, read_limited
from .models import SOLVE_VALUES, STATUSES, TICKET_TYPES, CustomizedFieldDisplayItem
from .query import INT64_MAX, MAX_LIST_ITEMS

MAX_BODY_BYTES = 64 * 1024
MAX_TAG_NAME = 255
MAX_COMMENT = 10_000
MAX_CUSTOMIZED_INFO = 4096
MAX_ID = 255

_WHERE = re.compile(r"^(?P<what>.*) - at `\$(?P<path>.*)`$")
Body = TypeVar("Body", bound=msgspec.Struct)


class UpdateTicketBody(msgspec.Struct):
    """`PUT /open-apis/helpdesk/v1/tickets/:ticket_id` (`UpdateTicketRequestBody`)."""

    status: int | None = None
    tag_names: list[str] | None = None
    comment: str | None = None
    customized_fields: list[CustomizedFieldDisplayItem] | None = None
    ticket_type: int | None = None
    solved: int | None = None
    channel: int | None = None


class StartServiceBody(msgspec.Struct):
    """`POST /open-apis/helpdesk/v1/start_service` (`StartServiceTicketRequestBody`)."""

    human_service: bool | None = None
    appointed_agents: list[str] | None = None
    open_id: str | None = None
    customized_info: str | None = None


class ListFieldsBody(msgspec.Struct):
    """`GET /open-apis/helpdesk/v1/ticket_customized_fields` (a GET with a JSON body)."""

    visible: bool | None = None


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


def _choice(name: str, value: int | None, allowed: tuple[int, ...]) -> None:
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of {list(allowed)}, got {value}")


def check_text(name: str, value: str | None, limit: int, *, blank_ok: bool = False) -> None:
    if value is None:
        return
    if not blank_ok and not value.strip():
        raise BadRequest(f"{name} must not be blank")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    if "\x00" in value:  # PostgreSQL text cannot hold it: refused on every store alike
        raise BadRequest(f"{name} must not contain the NUL character")


def _items(name: str, values: list[str] | None, limit: int) -> None:
    if values is None:
        return
    if len(values) > MAX_LIST_ITEMS:
        raise BadRequest(f"{name} has {len(values)} items; at most {MAX_LIST_ITEMS} allowed")
    for n, value in enumerate(values):
        check_text(f"{name}[{n}]", value, limit)


def check_update(body: UpdateTicketBody) -> UpdateTicketBody:
    """Refuse values out of range; return the body with tag names trimmed and deduplicated."""
    if all(getattr(body, name) is None for name in body.__struct_fields__):
        fields = ", ".join(body.__struct_fields__)
        raise BadRequest(f"nothing to update: give at least one of {fields}")
    _choice("status", body.status, STATUSES)
    _choice("ticket_type", body.ticket_type, TICKET_TYPES)
    _choice("solved", body.solved, SOLVE_VALUES)
    if body.channel is not None and not 0 <= body.channel <= INT64_MAX:
        raise BadRequest(f"channel must be between 0 and {INT64_MAX}, got {body.channel}")
    _items("tag_names", body.tag_names, MAX_TAG_NAME)
    check_text("comment", body.comment, MAX_COMMENT)
    if body.customized_fields is not None and len(body.customized_fields) > MAX_LIST_ITEMS:
        raise BadRequest(f"customized_fields has more than {MAX_LIST_ITEMS} items")
    if body.tag_names is not None:
        body.tag_names = list(dict.fromkeys(name.strip() for name in body.tag_names))
    return body


def check_start(body: StartServiceBody) -> StartServiceBody:
    """Refuse a missing guest, blank or too many agents, agents without human service."""
    if not body.open_id or not body.open_id.strip():
        raise BadRequest("open_id is required: the open_id of the user asking for service")
    check_text("open_id", body.open_id, MAX_ID)
    _items("appointed_agents", body.appointed_agents, MAX_ID)
    check_text("customized_info", body.customized_info, MAX_CUSTOMIZED_INFO, blank_ok=True)
    if body.appointed_agents and not body.human_service:
        raise BadRequest("appointed_agents needs human_service: true (a bot ticket has no agents)")
    return body
