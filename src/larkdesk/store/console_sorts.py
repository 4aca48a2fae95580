"""One keyset page of the console's ticket list sorted by any column (`sorted_page`).

Each sort key has its index (helpdesk_id, key, ticket_id) and, for the status filter,
(helpdesk_id, status, key, ticket_id): `created_at` tickets_order and tickets_status, the
others migration 0017's. The key is the column with NULL read as -2 (never a real value),
so that `(key, ticket_id) < (?, ?)` is total on both backends. A page is found so:

- no filter: the key index's range from the cursor on, `limit` rows.
- a status filter (the open / closed views): one walk per status in the filter, each in
  its (status, key) index, the pages merged; this is exact and reads about `limit` rows a
  status, however the other columns correlate with status (open tickets have no score).
- any other filter: walk the key's index from the cursor (within the range the filter
  allows of the key itself, when it filters the sort column too) and keep the matches,
  at most 5,000 index entries: about limit / (share of tickets matching) rows, so the
  plan when many match.
- sort: read the matches through their filter's own index and sort them (`+ 0` and
  `|| ''` keep the key's index out of it). Taken at once when few tickets match (the
  caller's count says so), and when the walks did not fill the page (the
  matches lie elsewhere in the key's order, or there are few of them).

bench/console_pages.py measures each sort with the common filters on a million tickets;
tests/test_console_plans.py checks the plans on both backends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from . import console_values
from .base import TicketQuery
from .body_codec import unpack
from .body_filters import body_condition
from .console_records import SortedTicket, TimeSlot
from .filters import Dialect, where_clause
from .sql import Sql

SORT_COLUMNS = ("created_at", "updated_at", "status", "score", "channel", "ticket_type")
NOT_NULL = frozenset({"created_at", "updated_at"})
# Index entries a filtered walk reads before it sorts instead; the second, longer walk only
# when the sort would read more than SORT_READS matches (the count said so): it gets past a
# block of rows that do not match (score 1 by updated time meets the ~11,000 never-updated
# tickets first: 30-40 ms, where sorting the 80,000 score-1 tickets took 250-450 ms). A walk
# of 50,000 was tried before: when it fails it costs as much as the sort it would save.
WALKS = (5_000, 20_000)
WALK = WALKS[0]
SORT_READS = 10_000
DAY_MS, HOUR_MS = 86_400_000, 3_600_000
Range = tuple[int, int]
Row = tuple[int, int, str]  # seq, key, ticket_id


@dataclasses.dataclass(frozen=True, slots=True)
class Walk:
    """One sorted page's request: the key, its order, the cursor."""

    sort: str
    descending: bool
    after: tuple[int, str] | None
    limit: int

    @property
    def key(self) -> str:
        return key_of(self.sort)

    @property
    def order(self) -> str:
        return "DESC" if self.descending else "ASC"

    def seek(self, key: str, tid: str = "ticket_id") -> str:
        if self.after is None:
            return ""
        return f" AND ({key}, {tid}) {'<' if self.descending else '>'} (?, ?)"

    @property
    def cursor(self) -> list[Any]:
        return list(self.after) if self.after is not None else []


def key_of(sort: str) -> str:
    """The sort key's SQL (what its index holds)."""
    if sort not in SORT_COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}")
    return sort if sort in NOT_NULL else f"COALESCE({sort}, -2)"


def where_of(
    dialect: Dialect,
    helpdesk: Any,
    query: TicketQuery,
    slot: TimeSlot,
    correlated: bool = False,
) -> tuple[str, list[Any]]:
    """The list API's WHERE clause, and the heatmap's weekday/hour slot (UTC), for the
    `helpdesk` (its `Sql.helpdesk_key`).
    `correlated`: the agent and tag filters test each row (for a walk) instead of
    collecting every ticket of the agent or tag first."""
    links = query.agent_id is not None or bool(query.tags)
    if correlated and links:
        plain = dataclasses.replace(query, agent_id=None, tags=())
        where, params = where_clause(helpdesk, plain, dialect)
        if query.agent_id is not None:
            where += (
                " AND EXISTS (SELECT 1 FROM ticket_agents a WHERE a.seq = tickets.seq"
                " AND a.agent_id = ?)"
            )
            params.append(query.agent_id)
        if query.tags:
            marks = ", ".join("?" for _ in query.tags)
            where += (
                " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.seq = tickets.seq"
                f" AND g.tag_name IN ({marks}))"
            )
            params.extend(query.tags)
    else:
        where, params = where_clause(helpdesk, query, dialect)
    if slot.weekday is not None:  # 1970-01-01 was a Thursday (weekday 3)
        where += f" AND (created_at / {DAY_MS} + 3) % 7 = ?"
        params.append(slot.weekday)
    if slot.hour is not None:
        where += f" AND (created_at / {HOUR_MS}) % 24 = ?"
        params.append(slot.hour)
    body_sql, body_params = body_condition(dialect, slot.city, slot.reason)
    return where + body_sql, [*params, *body_params]


def pinned_range(query: TicketQuery, sort: str) -> Range | None:
    """The range of the sort key outside which no ticket matches `query`'s own filter of
    that column (a walk then starts and stays in it), if it has one."""
    if sort == "created_at" and query.created is not None:
        return query.created.start, query.created.end
    if sort == "updated_at" and query.updated is not None:
        return query.updated.start, query.updated.end
    if sort == "status" and query.statuses:
        return min(query.statuses), max(query.statuses)
    value = {"score": query.score, "channel": query.channel, "ticket_type": query.ticket_type}
    one = value.get(sort)
    return None if one is None else (one, one)


def range_sql(walk: Walk) -> str:
    """No filter: the key index's range from the cursor (helpdesk, cursor, LIMIT)."""
    key, order = walk.key, walk.order
    return (
        f"SELECT seq, {key} AS k, ticket_id FROM tickets WHERE helpdesk_id = ?"
        f"{walk.seek(key)} ORDER BY {key} {order}, ticket_id {order} LIMIT ?"
    )


def walk_sql(where: str, walk: Walk, pinned: Range | None, status: bool, steps: int = WALK) -> str:
    """The first WALK index entries from the cursor (within the key's `pinned` range; of
    one status when `status`), filtered by `where`. Parameters: the helpdesk, the status,
    the cursor, the range, then `where`'s, then the LIMIT."""
    key, order = walk.key, walk.order
    inner = (
        f"SELECT *, {key} AS k FROM tickets WHERE helpdesk_id = ?"
        f"{' AND status = ?' if status else ''}{walk.seek(key)}"
        f"{'' if pinned is None else f' AND {key} BETWEEN ? AND ?'}"
        f" ORDER BY {key} {order}, ticket_id {order} LIMIT {steps}"
    )
    # No ORDER BY here: it would read all WALK rows before the first; the rows come in
    # the walk's order (and the page is sorted again).
    return f"SELECT seq, k, ticket_id FROM ({inner}) tickets {where} LIMIT ?"


def sort_sql(where: str, walk: Walk) -> str:
    """Every match (through its filter's index), sorted; the key's index unused."""
    key, tid, order = f"({walk.key}) + 0", "(ticket_id || '')", walk.order
    return (
        f"SELECT seq, {key} AS k, ticket_id FROM tickets {where}{walk.seek(key, tid)}"
        f" ORDER BY {key} {order}, {tid} {order} LIMIT ?"
    )


def sorted_page(
    db: Sql,
    dialect: Dialect,
    helpdesk_id: str,
    query: TicketQuery,
    slot: TimeSlot,
    walk: Walk,
    expected: int | None,
) -> list[SortedTicket]:
    """A page of `walk.limit` matching tickets after its cursor; `expected`: how many
    match, when the caller has counted."""
    helpdesk = db.helpdesk_key(helpdesk_id)
    where, params = where_of(dialect, helpdesk, query, slot)
    if len(params) == 1:  # the helpdesk's alone
        sql = range_sql(walk)
        return _bodies(db, db.all(sql, [helpdesk, *walk.cursor, walk.limit]), walk)
    if len(query.statuses) > 1 and walk.sort != "status":
        rows: list[Row] = []
        for status in sorted(query.statuses):
            one = dataclasses.replace(query, statuses=(status,))
            rows += _rows(db, dialect, helpdesk_id, one, slot, walk, None)
        return _bodies(db, rows, walk)
    size = _tickets_in(db, helpdesk_id)
    if expected is not None and expected * expected < walk.limit * size:
        return _bodies(db, db.all(sort_sql(where, walk), [*params, *walk.cursor, walk.limit]), walk)
    return _bodies(db, _rows(db, dialect, helpdesk_id, query, slot, walk, expected), walk)


def _rows(
    db: Sql,
    dialect: Dialect,
    helpdesk_id: str,
    query: TicketQuery,
    slot: TimeSlot,
    walk: Walk,
    expected: int | None,
) -> list[Row]:
    """A walk (in the status's index, for one status), else value by value or the sort."""
    if console_values.applies(query, walk.sort) and (query.created is None or walk.after):
        # seeks, no walk first; and a walk from a cursor in a column of few values scans
        # its value's entries up to the cursor (SQLite: no row-value seek in an expression
        # index), where `by_value` seeks (value, ticket id)
        return _by_value(db, dialect, helpdesk_id, query, slot, walk)
    helpdesk = db.helpdesk_key(helpdesk_id)
    where, params = where_of(dialect, helpdesk, query, slot, correlated=True)
    status = len(query.statuses) == 1 and walk.sort != "status"
    pinned = pinned_range(query, walk.sort)
    head = [helpdesk, *query.statuses[:1]] if status else [helpdesk]
    by_value = console_values.applies(query, walk.sort)
    many = expected is None or expected > SORT_READS
    rows: list[Row] = []
    start, walked = walk, 0
    for steps in (console_values.WALK,) if by_value else WALKS if many else WALKS[:1]:
        # each walk goes on from the last entry the one before it read
        scope = [*head, *start.cursor, *(pinned or ())]
        sql = walk_sql(where, start, pinned, status, steps - walked)
        found = db.all(sql, [*scope, *params, walk.limit - len(rows)])
        rows += [(int(s), int(k), str(t)) for s, k, t in found]
        last = None
        if len(rows) < walk.limit:
            last = _last_walked(db, scope, start, pinned, status, steps - walked)
        if last is None:
            return rows
        start, walked = dataclasses.replace(walk, after=last), steps
    if by_value:
        return _by_value(db, dialect, helpdesk_id, query, slot, walk)
    where, params = where_of(dialect, helpdesk, query, slot)
    rows = db.all(sort_sql(where, walk), [*params, *walk.cursor, walk.limit])
    return [(int(s), int(k), str(t)) for s, k, t in rows]


def _by_value(
    db: Sql, dialect: Dialect, helpdesk_id: str, query: TicketQuery, slot: TimeSlot, walk: Walk
) -> list[Row]:
    plain = console_values.unhinted(query, walk.sort)
    helpdesk = db.helpdesk_key(helpdesk_id)
    where, params = where_of(dialect, helpdesk, plain, slot)
    return console_values.by_value(
        db,
        where,
        params,
        query,
        walk.sort,
        walk.key,
        walk.descending,
        walk.after,
        walk.limit,
        helpdesk,
    )


def _last_walked(
    db: Sql, scope: list[Any], walk: Walk, pinned: Range | None, status: bool, steps: int
) -> tuple[int, str] | None:
    """The last of the `steps` index entries a walk read, if the walked range holds more
    (the walk was cut); else None."""
    key, order = walk.key, walk.order
    rows = db.all(
        f"SELECT {key}, ticket_id FROM tickets WHERE helpdesk_id = ?"
        f"{' AND status = ?' if status else ''}"
        f"{walk.seek(key)}{'' if pinned is None else f' AND {key} BETWEEN ? AND ?'}"
        f" ORDER BY {key} {order}, ticket_id {order} LIMIT 2 OFFSET {steps - 1}",
        scope,
    )
    return (int(rows[0][0]), str(rows[0][1])) if len(rows) == 2 else None


def _tickets_in(db: Sql, helpdesk_id: str) -> int:
    row = db.one("SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = ?", (helpdesk_id,))
    return int(row[0]) if row else 0


def _bodies(
    db: Sql, rows: Sequence[Row] | Sequence[tuple[Any, ...]], walk: Walk
) -> list[SortedTicket]:
    """The first `walk.limit` rows in the page's order, with their tickets' wire JSON."""
    ordered = sorted(
        ((int(s), int(k), str(t)) for s, k, t in rows),
        key=lambda r: (r[1], r[2]),
        reverse=walk.descending,
    )[: walk.limit]
    if not ordered:
        return []
    marks = ", ".join("?" for _ in ordered)
    bodies = dict(
        db.all(
            f"SELECT seq, body FROM ticket_bodies WHERE seq IN ({marks})", [r[0] for r in ordered]
        )
    )
    return [SortedTicket(k, tid, unpack(bodies[seq], db)) for seq, k, tid in ordered]
