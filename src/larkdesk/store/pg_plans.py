"""How the PostgreSQL store counts and pages a list query: a `Plan` of the total's
statement and the rows (a FROM ... WHERE text) whose first rows, in list order, are the
page; SQL with `?` placeholders, as every statement of the store.

- No filter: the helpdesk's kept count, the page from the tickets table.
- An agent filter alone (or with a create_time window) reads one range of agent_tickets
  (migration 0020), kept in list order; a single tag (with create/update windows) reads
  tag_tickets the same way. Without a window the total is kept too (0021); with one, it
  is an index-only count of the range. Before, the count looked up every one of a busy
  agent's tickets in `tickets`.
- Several tags (with create/update windows, nothing else): tag_tickets too, counting
  distinct tickets over one index range per tag (the update window's index when there
  is one), and the page merged from each tag's first `offset + page_size` rows in list
  order (a ticket among the first n of the union is among the first n of each of its
  tags). Before, the count joined every ticket of the window to every link of the tags
  (11 ms for two tags over 30 days of 200,000 tickets; 1 ms now).
- Anything else runs on the tickets table with the filters' WHERE clause.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .filters import POSTGRES, where_clause
from .records import TicketQuery

_NOTHING = TicketQuery()


@dataclass(frozen=True, slots=True)
class Plan:
    count: str  # one row, one column: the total
    count_params: list[Any]
    rows: str  # "table WHERE ..."
    params: list[Any]


def plan(helpdesk_id: str, query: TicketQuery) -> Plan:
    plain = dataclasses.replace(query, page=1, page_size=20)
    if plain == _NOTHING:
        return Plan(
            "SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = ?",
            [helpdesk_id],
            "tickets WHERE helpdesk_id = ?",
            [helpdesk_id],
        )
    if query.agent_id is not None and dataclasses.replace(plain, agent_id=None, created=None) == (
        _NOTHING
    ):
        return _link_plan("agent", "agent_id", query.agent_id, helpdesk_id, query)
    if len(query.tags) == 1 and (
        dataclasses.replace(plain, tags=(), created=None, updated=None) == _NOTHING
    ):
        return _link_plan("tag", "tag_name", query.tags[0], helpdesk_id, query)
    if len(query.tags) > 1 and (
        dataclasses.replace(plain, tags=(), created=None, updated=None) == _NOTHING
    ):
        return _tags_plan(helpdesk_id, query)
    where, params = where_clause(helpdesk_id, query, POSTGRES)
    return Plan(f"SELECT count(*) FROM tickets {where}", params, f"tickets {where}", params)


def _link_plan(kind: str, column: str, value: str, helpdesk_id: str, query: TicketQuery) -> Plan:
    clauses = [f"helpdesk_id = ? AND {column} = ?"]
    params: list[Any] = [helpdesk_id, value]
    for name, window in (("created_at", query.created), ("updated_at", query.updated)):
        if window is not None:
            clauses.append(f"{name} BETWEEN ? AND ?")
            params += [window.start, window.end]
    rows = f"{kind}_tickets WHERE {' AND '.join(clauses)}"
    if len(params) == 2:  # no window: the kept count
        kept = f"SELECT tickets FROM {kind}_ticket_counts WHERE helpdesk_id = ? AND {column} = ?"
        return Plan(kept, params, rows, params)
    return Plan(f"SELECT count(*) FROM {rows}", params, rows, params)


def _tags_plan(helpdesk_id: str, query: TicketQuery) -> Plan:
    tags = tuple(dict.fromkeys(query.tags))  # a tag named twice: one range
    windows: list[str] = []
    window_params: list[Any] = []
    for name, window in (("updated_at", query.updated), ("created_at", query.created)):
        if window is not None:
            windows.append(f" AND {name} BETWEEN ? AND ?")
            window_params += [window.start, window.end]
    where = "helpdesk_id = ? AND tag_name = ?" + "".join(windows)
    marks = ", ".join("?" for _ in tags)
    count = (
        "SELECT count(DISTINCT seq) FROM tag_tickets WHERE helpdesk_id = ?"
        f" AND tag_name IN ({marks}){''.join(windows)}"
    )
    ranges, params = [], []
    for tag in tags:
        ranges.append(
            f"(SELECT seq, created_at, ticket_id FROM tag_tickets WHERE {where}"
            " ORDER BY created_at DESC, ticket_id DESC LIMIT ?)"
        )
        params += [helpdesk_id, tag, *window_params, query.offset + query.page_size]
    rows = f"({' UNION '.join(ranges)}) firsts"
    return Plan(count, [helpdesk_id, *tags, *window_params], rows, params)
