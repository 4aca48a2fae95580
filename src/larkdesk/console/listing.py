"""The tickets page's query string: every filter of the list API (under the API's own
names, so a console URL reads like an API call), UTC dates for the time windows, the sort
column and direction, the keyset cursor, and the heatmap's weekday/hour slot.

Parsing goes through the list API's own `parse_ticket_query`, so a filter means the
same in both; a bad value is the API's `BadRequest`, naming the parameter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec

from ..errors import BadRequest
from ..helpdesk.params import parse_int
from ..helpdesk.tickets.query import parse_ticket_query
from ..store.base import Store, TicketQuery, Window
from ..store.console_reads import SORT_COLUMNS
from ..store.console_records import SortedTicket, TimeSlot
from ..transfer.export.sinks import CsvSink

DAY_MS = 86_400_000
PAGE_SIZE = 50
CSV_PAGE = 2000
COUNT_CAP = 10_000  # a filtered view's count shows "10000+" past it
# Console-only parameters: everything else goes to the list API's parser.
DATES = {
    "created_from": ("create_time_start", 0),
    "created_to": ("create_time_end", DAY_MS - 1),
    "updated_from": ("update_time_start", 0),
    "updated_to": ("update_time_end", DAY_MS - 1),
}
OWN = frozenset({"sort", "dir", "after", "weekday", "hour", "city", "reason", *DATES})
PAGING = frozenset({"page", "page_size"})
_decode = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True, slots=True)
class ListView:
    """One tickets page's request, and the query items that reproduce it."""

    query: TicketQuery
    slot: TimeSlot
    sort: str
    descending: bool
    after: tuple[int, str] | None
    items: tuple[tuple[str, str], ...]  # the filters (and sort), for links and forms

    def value(self, name: str) -> str:
        return next((v for k, v in self.items if k == name), "")

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.items if k == name]

    def url_query(self, **changes: str | None) -> str:
        """The query string of this view with `changes` (None removes a parameter)."""
        items = [(k, v) for k, v in self.items if k not in changes]
        items += [(k, v) for k, v in changes.items() if v is not None]
        return urlencode(items)


def day_ms(name: str, text: str, extra: int) -> int:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, got {text!r}") from None
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(start.timestamp() * 1000) + extra


def _slot_value(name: str, text: str, top: int) -> int:
    return parse_int(name, text, 0, top)


def parse_view(items: Iterable[tuple[str, str]]) -> ListView:
    """The view of a tickets page URL; `BadRequest` names a parameter that is wrong."""
    kept = [(k, v) for k, v in items if v.strip() != "" and k not in PAGING]
    api_items = [(k, v) for k, v in kept if k not in OWN]
    for name, (api_name, extra) in DATES.items():
        for k, v in kept:
            if k == name:
                api_items = [(a, b) for a, b in api_items if a != api_name]
                api_items.append((api_name, str(day_ms(name, v, extra))))
    query = parse_ticket_query(api_items)
    query = dataclasses.replace(query, page=1, page_size=1)
    own = {k: v for k, v in kept if k in OWN}
    sort = own.get("sort", "created_at")
    if sort not in SORT_COLUMNS:
        raise BadRequest(f"sort must be one of {', '.join(SORT_COLUMNS)}, got {sort!r}")
    direction = own.get("dir", "desc")
    if direction not in ("asc", "desc"):
        raise BadRequest(f"dir must be asc or desc, got {direction!r}")
    slot = TimeSlot(
        _slot_value("weekday", own["weekday"], 6) if "weekday" in own else None,
        _slot_value("hour", own["hour"], 23) if "hour" in own else None,
        own.get("city"),
        own.get("reason"),
    )
    return ListView(
        query,
        slot,
        sort,
        direction == "desc",
        _cursor(own.get("after")),
        tuple((k, v) for k, v in kept if k != "after"),
    )


def _cursor(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    key, sep, ticket_id = text.partition(":")
    if not sep or not ticket_id:
        raise BadRequest(f"after must be KEY:TICKET_ID, got {text!r}")
    return parse_int("after", key), ticket_id


def cursor_of(row: SortedTicket) -> str:
    return f"{row.key}:{row.ticket_id}"


def page_of(
    store: Store, helpdesk_id: str, view: ListView, total: int | None = None
) -> tuple[list[SortedTicket], bool]:
    """One page of the view (PAGE_SIZE rows) and whether another follows; `total` (the
    view's count, when known) lets the store sort a few matches at once."""
    rows = store.sorted_tickets(
        helpdesk_id,
        view.query,
        view.slot,
        view.sort,
        view.descending,
        view.after,
        PAGE_SIZE + 1,
        total,
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def total_of(store: Store, helpdesk_id: str, view: ListView) -> int:
    """How many tickets the view holds: with no filter, the helpdesk's kept count; else
    counted up to COUNT_CAP (COUNT_CAP + 1: more), so that a view of half a million
    tickets is not read whole to be counted (`total_text`)."""
    unfiltered = dataclasses.replace(TicketQuery(), page=1, page_size=1)
    if view.query == unfiltered and view.slot == TimeSlot():
        return store.count_tickets(helpdesk_id)
    links_only = dataclasses.replace(view.query, agent_id=None, tags=(), created=None, updated=None)
    if links_only == unfiltered and view.slot == TimeSlot():
        # an agent's or a tag's tickets: the list API counts them in their own index
        return store.list_tickets(helpdesk_id, view.query).total
    return store.count_matching(helpdesk_id, view.query, view.slot, COUNT_CAP)


def total_text(view: ListView, total: int) -> str:
    """The count as the page shows it: "10000+" past the cap of a filtered view."""
    unfiltered = dataclasses.replace(TicketQuery(), page=1, page_size=1)
    filtered = view.query != unfiltered or view.slot != TimeSlot()
    return f"{COUNT_CAP}+" if filtered and total > COUNT_CAP else str(total)


def matching(store: Store, helpdesk_id: str, view: ListView) -> Iterator[SortedTicket]:
    """Every ticket of the view (from its cursor on), page by page (keyset)."""
    after = view.after
    while True:
        rows = store.sorted_tickets(
            helpdesk_id, view.query, view.slot, view.sort, view.descending, after, CSV_PAGE
        )
        yield from rows
        if len(rows) < CSV_PAGE:
            return
        after = (rows[-1].key, rows[-1].ticket_id)


def csv_chunks(store: Store, helpdesk_id: str, view: ListView) -> Iterator[bytes]:
    """The view's tickets as `larkdesk export --format csv` writes them: its header and
    columns, one row per ticket, in the view's order."""
    sink = CsvSink(Path("tickets.csv"), bom=False)  # encodes only: never opened
    yield sink.preamble()
    batch: list[dict[str, Any]] = []
    for row in matching(store, helpdesk_id, dataclasses.replace(view, after=None)):
        batch.append(_decode(row.body))
        if len(batch) >= CSV_PAGE:
            yield sink.encode(batch)
            batch = []
    if batch:
        yield sink.encode(batch)


def window_of(start_day: dt.date, end_day: dt.date) -> Window:
    """The ms window from the start of `start_day` to the end of `end_day`, UTC."""
    start = day_ms("start", start_day.isoformat(), 0)
    return Window(start, day_ms("end", end_day.isoformat(), DAY_MS - 1))
