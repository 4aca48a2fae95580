"""How the PostgreSQL store counts and pages a list query: a `Plan` of the total's
statement and the rows (a FROM ... WHERE text) whose first rows, in list order, are the
page; SQL with `?` placeholders, as every statement of the store.

- No filter: the helpdesk's kept count, the page from the tickets table.
- An agent filter alone (or with a create_time window) reads one range of agent_tickets
  (migration 0020), kept in list order; a single tag (with create/update windows) reads
  tag_tickets the same way. Without a window the total is kept too (0021); with one, it
  is an index-only count of the range. Before, the count looked up every one of a busy
  agent's tickets in `tickets`.
- Anything else runs on the tickets table with the filters' WHERE clause (several tags
  included: a ticket would be counted once per tag in tag_tickets).
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
