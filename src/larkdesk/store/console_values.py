"""A sorted page of the console's list by a column of few values (status, score, channel,
type), one value at a time (`by_value`): for when a walk of the key's index would pass
many rows that do not match (a filter correlated with the key) and sorting every match
would read them all.

The key's values come from its index in the page's order (one seek each), starting at the
cursor's; for each, the matches with that value, ordered by ticket id, until the page is
full. Two filters make that cheap, and only they take this path (`applies`):
- sorted by status, filtered on score, channel or type: within one status the index
  (helpdesk_id, status, COALESCE(x, -2), ticket_id) of migration 0017 is in ticket-id
  order, so each status is a seek and at most a page of rows, none sorted;
- a creation window, sorted by any of the four: the filter's own index (helpdesk_id,
  column, created_at, ticket_id) holds the value, the time and the ticket id, so each value
  reads only its tickets of the window from the index (no table rows) and sorts those.
  A short walk (WALK entries) comes first: it is enough when the window's tickets are
  spread through the key's order.
bench/console_pages.py measured both ("score 1" and "last 30 days" by these keys).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from .base import TicketQuery
from .sql import Sql

FEW_VALUES = ("status", "score", "channel", "ticket_type")
HINTS = ("score", "channel", "ticket_type")  # filters with a (status, x) index
# Index entries a walk reads before going value by value: enough when the window's tickets
# are spread through the key's order (about limit / their share), little when they are not.
WALK = 1_000
Row = tuple[int, int, str]


def applies(query: TicketQuery, sort: str) -> bool:
    """Whether a page of `query` sorted by `sort` is found value by value."""
    if sort not in FEW_VALUES:
        return False
    hinted = sort == "status" and not query.statuses and _hints(query)
    return bool(hinted) or query.created is not None


def _hints(query: TicketQuery) -> list[tuple[str, int]]:
    """The filters a status's (status, x) index serves (-2 would also match NULL there)."""
    return [(c, v) for c in HINTS if (v := getattr(query, c)) is not None and v != -2]


def unhinted(query: TicketQuery, sort: str) -> TicketQuery:
    """`query` without the filters `by_value` writes as the index's expression (with the
    plain `x = ?` beside it, SQLite's planner takes another (status, y) index)."""
    if sort != "status":
        return query
    for column, _ in _hints(query):
        query = dataclasses.replace(query, **{column: None})  # type: ignore[arg-type]
    return query


def key_values(
    db: Sql, helpdesk: Any, key: str, descending: bool, after: int | None
) -> Iterator[int]:
    """The key's values among the helpdesk's tickets (`helpdesk`: its `Sql.helpdesk_key`),
    in the page's order, from `after` on (inclusive); one index seek each."""
    order, beyond = ("DESC", "<") if descending else ("ASC", ">")
    current = after
    if current is not None:
        yield current
    while True:
        bound = "" if current is None else f" AND {key} {beyond} ?"
        row = db.one(
            f"SELECT {key} FROM tickets WHERE helpdesk_id = ?{bound}"
            f" ORDER BY {key} {order} LIMIT 1",
            [helpdesk] if current is None else [helpdesk, current],
        )
        if row is None:
            return
        current = int(row[0])
        yield current


def by_value(
    db: Sql,
    where: str,
    params: list[Any],
    query: TicketQuery,
    sort: str,
    key: str,
    descending: bool,
    after: tuple[int, str] | None,
    limit: int,
    helpdesk: Any,
) -> list[Row]:
    """Up to `limit` matches of `where` after the cursor, in (key, ticket_id) order
    (`helpdesk`: the helpdesk's `Sql.helpdesk_key`)."""
    order, beyond = ("DESC", "<") if descending else ("ASC", ">")
    hints = _hints(query) if sort == "status" else []
    rows: list[Row] = []
    for value in key_values(db, helpdesk, key, descending, after[0] if after else None):
        sql = f"SELECT seq, {key} AS k, ticket_id FROM tickets {where}"
        args = list(params)
        sql += f" AND {sort} IS NULL" if value == -2 else f" AND {sort} = ?"
        args += [] if value == -2 else [value]
        for column, wanted in hints:  # the (status, column) index's expression
            sql += f" AND COALESCE({column}, -2) = ?"
            args.append(wanted)
        if after is not None and value == after[0]:
            sql += f" AND ticket_id {beyond} ?"
            args.append(after[1])
        sql += f" ORDER BY ticket_id {order} LIMIT ?"
        found = db.all(sql, [*args, limit - len(rows)])
        rows += [(int(s), int(k), str(t)) for s, k, t in found]
        if len(rows) >= limit:
            break
    return rows


def status_index_terms(query: TicketQuery) -> tuple[TicketQuery, str, list[int]]:
    """For a count of a status filter with score, channel or type filters: the query
    without those, and them as the (status, x) index's expression, so that the count
    reads that index alone (human + open: no table row per match)."""
    if not query.statuses or not (hints := _hints(query)):
        return query, "", []
    terms = "".join(f" AND COALESCE({column}, -2) = ?" for column, _ in hints)
    return unhinted(dataclasses.replace(query), "status"), terms, [v for _, v in hints]
