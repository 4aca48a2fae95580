"""Request bodies of the subscription APIs (lark-oapi's `SubscribeEventRequestBody`,
`UnsubscribeEventRequestBody`) and their rules."""

from __future__ import annotations

import msgspec

from ...errors import BadRequest
from ...events.types import SUBSCRIBABLE

MAX_EVENTS = 50


class EventItem(msgspec.Struct):
    """lark-oapi's `Event`: `{"type": "helpdesk.ticket", "subtype": "ticket.created_v1"}`."""

    type: str | None = None
    subtype: str | None = None


class EventsBody(msgspec.Struct):
    events: list[EventItem] | None = None


def event_types(body: EventsBody) -> list[str]:
    """The event types the body names; 400/154000 for none, too many, or an unknown one."""
    if not body.events:
        raise BadRequest("events: give at least one {type, subtype}")
    if len(body.events) > MAX_EVENTS:
        raise BadRequest(f"events: at most {MAX_EVENTS} items, got {len(body.events)}")
    found = []
    for n, item in enumerate(body.events):
        event_type = SUBSCRIBABLE.get((item.type or "", item.subtype or ""))
        if event_type is None:
            known = ", ".join(f"{t}/{s}" for t, s in SUBSCRIBABLE)
            raise BadRequest(
                f"events[{n}]: unknown type/subtype {item.type!r}/{item.subtype!r}; known: {known}"
            )
        found.append(event_type)
    return found
