"""Every ticket, not the first 10,000: walk time windows small enough to page through.

The list API answers at most 10,000 tickets per query (`page * page_size <= 10000`).
`walk` reads `[since, until]` (inclusive milliseconds, on `created_at` or `updated_at`)
as a sequence of windows, oldest first: a window whose `total` is above 10,000 is cut in
two, down to a single millisecond; a window of at most 10,000 is paged through.

The guarantee (docs/api.md, "Exporting every ticket", says the same):

* Every ticket that matches the filters and whose `by` time lies in `[since, until]`
  for the whole walk is yielded exactly once. For `by="create"` this is every such
  ticket: creation times never change, so updates during the walk cannot move a
  ticket from one window to another or make one be missed.
* A window is accepted only when every page reported the same `total` and the ticket
  ids read add up to it; otherwise it is cut in two and each half is read (a single
  millisecond is read again, up to three times). Ids already yielded are never yielded
  again, so tickets created or changed while a window is read show up at most once.
* A ticket created during the walk is yielded (once) if its time is at most `until`
  and its window is read after it was created; with the default `until` (the moment
  the walk starts) new tickets are left for the next walk.
* For `by="update"`, a ticket updated during the walk moves to a later `updated_at`:
  it is yielded at most once, and if its new time is past `until` before its old
  window was read, this walk does not yield it; a later walk over the next window
  does (`larkdesk sync` walks with an overlap for this reason).
* Tickets deleted during the walk may or may not be yielded (the API cannot delete).

It depends only on the list being in a stable order from one page to the next, not on
which order that is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .errors import MillisecondOverflow, WindowUnstable
from .http import FeishuClient, ParamValue, TicketListPage

MAX_RESULTS = 10_000
MAX_PAGE_SIZE = 200
READS_OF_ONE_MS = 3
By = Literal["create", "update"]
RESERVED = frozenset(
    {
        "page",
        "page_size",
        "create_time_start",
        "create_time_end",
        "update_time_start",
        "update_time_end",
    }
)


@dataclass(frozen=True, slots=True)
class Estimate:
    """How many tickets matched `[since, until]` when the walk began."""

    total: int


@dataclass(frozen=True, slots=True)
class WindowDone:
    """Every ticket of `[start, end]` has been yielded; later windows follow."""

    start: int
    end: int


WalkEvent = dict[str, Any] | Estimate | WindowDone
Fetch = Callable[[int, int, int], TicketListPage]


@dataclass(slots=True)
class _Window:
    start: int
    end: int
    seen: set[str] = field(default_factory=set)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iter_all_tickets(
    client: FeishuClient,
    filters: Mapping[str, ParamValue] | None = None,
    since: int = 0,
    until: int | None = None,
    by: By = "create",
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Every ticket matching `filters` whose create (or update) time is in [since, until]."""
    for event in walk(client, filters, since, until, by, page_size):
        if isinstance(event, dict):
            yield event


def walk(
    client: FeishuClient,
    filters: Mapping[str, ParamValue] | None = None,
    since: int = 0,
    until: int | None = None,
    by: By = "create",
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[WalkEvent]:
    """Tickets, with an `Estimate` first and a `WindowDone` after each finished window."""
    until = now_ms() if until is None else until
    fetch = _fetcher(client, dict(filters or {}), by, page_size)
    # Every ticket time is positive; a window starting at 0 risks a server reading 0 as
    # "not given" (Go's zero value), so the first window starts at 1 ms.
    since = max(since, 1)
    if since > until:
        return
    pending = [_Window(since, until)]
    first = True
    while pending:
        window = pending.pop()
        page = fetch(window.start, window.end, 1)
        if first:
            yield Estimate(page.total)
            first = False
        if page.total > MAX_RESULTS:
            pending.extend(reversed(_split(window, page.total)))  # the older half first
            continue
        done = yield from _read(fetch, window, page, page_size)
        if done:
            yield WindowDone(window.start, window.end)
        else:
            pending.extend(reversed(_split(window, None)))


def _fetcher(client: FeishuClient, filters: dict[str, ParamValue], by: By, page_size: int) -> Fetch:
    clash = sorted(RESERVED & filters.keys())
    if clash:
        raise ValueError(f"filters must not set {', '.join(clash)}: the walk sets them")
    if by not in ("create", "update"):
        raise ValueError(f"by must be 'create' or 'update', got {by!r}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")

    def fetch(start: int, end: int, page: int) -> TicketListPage:
        params = {
            **filters,
            f"{by}_time_start": start,
            f"{by}_time_end": end,
            "page": page,
            "page_size": page_size,
        }
        return client.list_tickets(params)

    return fetch


def _split(window: _Window, total: int | None) -> list[_Window]:
    """The two halves of a window too big (`total`) or too busy (None) to read whole."""
    if window.start == window.end:
        moment = datetime.fromtimestamp(window.start / 1000, UTC).isoformat(timespec="milliseconds")
        if total is None:
            raise WindowUnstable(
                f"the tickets of millisecond {window.start} ({moment}) kept changing while"
                f" they were read ({READS_OF_ONE_MS} reads); try again later"
            )
        raise MillisecondOverflow(
            f"{total} tickets match within the single millisecond {window.start} ({moment});"
            f" the list API returns at most {MAX_RESULTS} per query, so they cannot all be"
            " listed: narrow the query with more filters"
        )
    middle = (window.start + window.end) // 2
    return [
        _Window(window.start, middle, window.seen),
        _Window(middle + 1, window.end, window.seen),
    ]


def _read(
    fetch: Fetch, window: _Window, page: TicketListPage, page_size: int
) -> Generator[dict[str, Any], None, bool]:
    """Page through a window of at most 10,000, yielding unseen tickets; True when the
    window held still while it was read. A window that changed is cut in two at once
    (smaller windows are read faster, so they change less often while being read); a
    single millisecond is read again, up to READS_OF_ONE_MS times."""
    for _ in range(READS_OF_ONE_MS if window.start == window.end else 1):
        expected, stable, ids = page.total, True, set()
        number = 1
        while True:
            for ticket in page.tickets:
                ticket_id = str(ticket.get("ticket_id"))
                ids.add(ticket_id)
                if ticket_id not in window.seen:
                    window.seen.add(ticket_id)
                    yield ticket
            stable = stable and page.total == expected
            if number * page_size >= expected or not page.tickets:
                break
            number += 1
            page = fetch(window.start, window.end, number)
        if stable and len(ids) == expected:
            return True
        page = fetch(window.start, window.end, 1)
        if page.total > MAX_RESULTS:
            return False
    return False
