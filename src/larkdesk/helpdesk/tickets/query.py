"""Parse and validate the list API's query string into a `TicketQuery`.

Every problem raises `BadRequest` (400 / 154000) with a message that names the
parameter and the reason; how parameters are grouped is in `helpdesk.params`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...errors import BadRequest
from ...store.base import TicketQuery, Window
from ..models import SCORES, SOLVE_VALUES, STATUSES, TICKET_TYPES
from ..params import (
    INT64_MAX,
    INT64_MIN,
    MAX_LIST_ITEMS,
    MAX_STRING_LENGTH,
    group_params,
    parse_int,
)

MAX_RESULTS = 10_000
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 20


def _choice(name: str, value: str, allowed: tuple[int, ...]) -> int:
    number = parse_int(name, value)
    if number not in allowed:
        raise BadRequest(f"{name} must be one of {list(allowed)}, got {number}")
    return number


class _Params:
    """Typed access to one request's grouped parameters."""

    def __init__(self, grouped: dict[str, list[str]]) -> None:
        self.grouped = grouped

    def text(self, name: str) -> str | None:
        values = self.grouped.get(name)
        if not values:
            return None
        if len(values[0]) > MAX_STRING_LENGTH:
            raise BadRequest(f"{name} is longer than {MAX_STRING_LENGTH} characters")
        return values[0]

    def integer(self, name: str, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int | None:
        value = self.text(name)
        return None if value is None else parse_int(name, value, minimum, maximum)

    def choice(self, name: str, allowed: tuple[int, ...]) -> int | None:
        value = self.text(name)
        return None if value is None else _choice(name, value, allowed)

    def array(self, name: str) -> list[str]:
        values = self.grouped.get(name, [])
        if len(values) > MAX_LIST_ITEMS:
            raise BadRequest(f"{name} has {len(values)} values; at most {MAX_LIST_ITEMS} allowed")
        for value in values:
            if len(value) > MAX_STRING_LENGTH:
                raise BadRequest(f"{name} has a value longer than {MAX_STRING_LENGTH} characters")
        return values

    def window(self, start_name: str, end_name: str) -> Window | None:
        start = self.integer(start_name, minimum=0)
        end = self.integer(end_name, minimum=0)
        if start is None and end is None:
            return None
        if start is None or end is None:
            missing, given = (start_name, end_name) if start is None else (end_name, start_name)
            raise BadRequest(f"{missing} is required when {given} is given")
        if start > end:
            raise BadRequest(f"{start_name} ({start}) must not be after {end_name} ({end})")
        return Window(start, end)


def parse_ticket_query(items: Iterable[tuple[str, str]]) -> TicketQuery:
    """Build the `TicketQuery` for `GET /open-apis/helpdesk/v1/tickets` from its query items."""
    params = _Params(group_params(items))
    page = params.integer("page", minimum=1) or 1
    page_size = params.integer("page_size", minimum=1, maximum=MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE
    if page * page_size > MAX_RESULTS:
        raise BadRequest(
            f"page * page_size must not exceed {MAX_RESULTS} (got page={page}, "
            f"page_size={page_size}): a query returns at most {MAX_RESULTS} tickets, narrow it "
            "by time with create_time_start/create_time_end or update_time_start/update_time_end"
        )
    statuses = params.array("status_list")
    return TicketQuery(
        ticket_id=params.text("ticket_id"),
        agent_id=params.text("agent_id"),
        closed_by_id=params.text("closed_by_id"),
        ticket_type=params.choice("type", TICKET_TYPES),
        channel=params.integer("channel", minimum=0),
        solve=params.choice("solved", SOLVE_VALUES),
        score=params.choice("score", SCORES),
        statuses=tuple(dict.fromkeys(_choice("status_list", s, STATUSES) for s in statuses)),
        guest_name=params.text("guest_name"),
        guest_id=params.text("guest_id"),
        tags=tuple(dict.fromkeys(params.array("tags"))),
        created=params.window("create_time_start", "create_time_end"),
        updated=params.window("update_time_start", "update_time_end"),
        page=page,
        page_size=page_size,
    )
