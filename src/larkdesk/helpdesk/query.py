"""Parse and validate the list API's query string into a `TicketQuery`.

Every problem raises `BadRequest` (400 / 154000) with a message that names the
parameter and the reason. Decisions where Feishu's document is silent:
- arrays arrive as repeated keys, `key[]=` or indexed keys (`key[0]=`), in any mix; integer
  arrays also as comma-joined values (`status_list=1,2`), `tags` not (a name may hold a
  comma);
- an empty value (`type=`) counts as absent; a repeated scalar takes its first value;
- unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import BadRequest
from ..store.base import TicketQuery, Window
from .models import SCORES, SOLVE_VALUES, STATUSES, TICKET_TYPES

MAX_RESULTS = 10_000
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 20
MAX_LIST_ITEMS = 100
MAX_STRING_LENGTH = 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ARRAYS = frozenset({"status_list", "tags"})
_INTEGER_ARRAYS = frozenset({"status_list"})
_INDEXED_KEY = re.compile(r"(?P<name>[^\[\]]+)\[(?P<index>[^\]]*)\]")
_MAX_INDEX_DIGITS = 9


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")


def group_params(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Collect values by key: `key[]` folds into `key`; an array's indexed keys
    (`tags[1]=x`) follow its other values in index order; only integer arrays are split on
    commas (a comma may be part of a tag's name)."""
    grouped: dict[str, list[str]] = {}
    indexed: dict[str, list[tuple[int, str]]] = {}
    for raw_key, value in items:
        key, index = _array_key(raw_key)
        if index is None:
            grouped.setdefault(key, []).extend(_values(key, value))
        else:
            indexed.setdefault(key, []).append((index, value))
    for key, pairs in indexed.items():
        pairs.sort(key=lambda pair: pair[0])  # stable: a repeated index keeps arrival order
        for _, value in pairs:
            grouped.setdefault(key, []).extend(_values(key, value))
    return grouped


def _array_key(raw_key: str) -> tuple[str, int | None]:
    """`key[]` as `key`; an array's `key[N]` as `(key, N)`; any other key as it is."""
    if raw_key.endswith("[]"):
        return raw_key[:-2], None
    found = _INDEXED_KEY.fullmatch(raw_key)
    if found is None or found["name"] not in _ARRAYS:
        return raw_key, None
    index = found["index"]
    if not (index.isascii() and index.isdigit() and len(index) <= _MAX_INDEX_DIGITS):
        raise BadRequest(
            f"{found['name']}: the index in {_shown(raw_key)} must be a whole number "
            f"below {10**_MAX_INDEX_DIGITS}"
        )
    return found["name"], int(index)


def _values(key: str, value: str) -> list[str]:
    """An array's values trimmed (integer arrays split on commas); other values as sent."""
    if key not in _ARRAYS:
        return [value] if value else []
    parts = value.split(",") if key in _INTEGER_ARRAYS else [value]
    return [part.strip() for part in parts if part.strip()]


def parse_int(name: str, value: str, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    if not _INTEGER.fullmatch(value):
        raise BadRequest(f"{name} must be an integer, got {_shown(value)}")
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise BadRequest(f"{name} is out of range for a 64-bit integer, got {_shown(value)}")
    if not minimum <= number <= maximum:
        raise BadRequest(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number


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
