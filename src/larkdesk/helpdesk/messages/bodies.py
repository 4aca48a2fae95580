"""Request bodies and query strings of the conversation APIs (lark-oapi's models), decoded
strictly by `helpdesk.bodies.decode_body`; every problem is a `BadRequest` naming the field.

Decisions where Feishu's documents are silent (docs/api.md repeats them):
- the message list's `time_start`/`time_end` are seconds (Feishu's example, 1617960686),
  an inclusive window on `created_at` (milliseconds): both or neither, start <= end;
- `page` from 1, `page_size` 1..200 (default 20);
- ticket_images' `index` counts from 0 (an image message has one image; a post's are its
  `image_keys` in order); `msg_id` is the list's `id` or the message's `message_id`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ...errors import BadRequest
from ...store.base import Window
from ..params import INT64_MAX, MAX_LIST_ITEMS, group_params, parse_int

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 20
MAX_SECONDS = INT64_MAX // 1000 - 1
MAX_ID = 255
Content = str | dict[str, Any]


class CreateMessageBody(msgspec.Struct):
    """`POST .../tickets/:ticket_id/messages` (`CreateTicketMessageRequestBody`)."""

    msg_type: str | None = None
    content: Content | None = None


class BotMessageBody(msgspec.Struct):
    """`POST /open-apis/helpdesk/v1/message` (`BotMessage`)."""

    msg_type: str | None = None
    content: Content | None = None
    receiver_id: str | None = None
    receive_type: str | None = None


class FaqInfo(msgspec.Struct):
    """One FAQ of an answer (`UserQueryFaqInfo`)."""

    id: str | None = None
    score: float | None = None


class AnswerUserQueryBody(msgspec.Struct):
    """`POST .../tickets/:ticket_id/answer_user_query` (`AnswerUserQueryTicketRequestBody`)."""

    event_id: str | None = None
    faqs: list[FaqInfo] | None = None


@dataclass(frozen=True, slots=True)
class MessageQuery:
    window: Window | None
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class ImageQuery:
    ticket_id: str
    msg_id: str
    index: int


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _number(params: dict[str, list[str]], name: str, low: int, high: int) -> int | None:
    value = _first(params, name)
    return None if value is None else parse_int(name, value, low, high)


def parse_message_query(items: Iterable[tuple[str, str]]) -> MessageQuery:
    """`GET .../tickets/:ticket_id/messages`' query: window (seconds), page, page_size."""
    params = group_params(items)
    start = _number(params, "time_start", 0, MAX_SECONDS)
    end = _number(params, "time_end", 0, MAX_SECONDS)
    window = None
    if (start is None) != (end is None):
        missing, given = ("time_start", "time_end") if start is None else ("time_end", "time_start")
        raise BadRequest(f"{missing} is required when {given} is given")
    if start is not None and end is not None:
        if start > end:
            raise BadRequest(f"time_start ({start}) must not be after time_end ({end})")
        window = Window(start * 1000, end * 1000 + 999)
    page_size = _number(params, "page_size", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    page = _number(params, "page", 1, INT64_MAX // MAX_PAGE_SIZE) or 1
    return MessageQuery(window, page, page_size)


def parse_image_query(items: Iterable[tuple[str, str]]) -> ImageQuery:
    """`GET /open-apis/helpdesk/v1/ticket_images`' query: ticket_id, msg_id, index."""
    params = group_params(items)
    ticket_id, msg_id = _first(params, "ticket_id"), _first(params, "msg_id")
    if not ticket_id:
        raise BadRequest("ticket_id is required")
    if not msg_id:
        raise BadRequest("msg_id is required: the message's id (or message_id)")
    for name, value in (("ticket_id", ticket_id), ("msg_id", msg_id)):
        if len(value) > MAX_ID:
            raise BadRequest(f"{name} is longer than {MAX_ID} characters")
    index = _number(params, "index", 0, MAX_LIST_ITEMS) or 0
    return ImageQuery(ticket_id, msg_id, index)


def required_text(name: str, value: str | None) -> str:
    """A required, non-blank id-like string of at most `MAX_ID` characters."""
    if value is None or not value.strip():
        raise BadRequest(f"{name} is required")
    if len(value) > MAX_ID:
        raise BadRequest(f"{name} is longer than {MAX_ID} characters")
    if "\x00" in value:
        raise BadRequest(f"{name} must not contain the NUL character")
    return value
