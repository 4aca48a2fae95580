"""Where the PostgreSQL store counts and pages a list query: the rows (a FROM ... WHERE
text, with `?` placeholders as every statement of the store) whose count is the total
and whose first rows, in list order, are the page.

- An agent filter alone (or with a create_time window) reads one range of agent_tickets
  (migration 0020), kept in list order: the count is an index-only range count, the page
  its first rows; a single tag (with create/update windows) reads tag_tickets the same
  way. Before, the count looked up every one of a busy agent's tickets in `tickets`.
- Anything else runs on the tickets table with the filters' WHERE clause (several tags
  included: a ticket would be counted once per tag in tag_tickets).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .filters import POSTGRES, where_clause
from .records import TicketQuery

_NOTHING = TicketQuery()


def list_source(helpdesk_id: str, query: TicketQuery) -> tuple[str, list[Any]]:
    """The rows to count and page for `query`, and their parameters (no filter at all:
    "" and the helpdesk; the store reads the kept count)."""
    plain = dataclasses.replace(query, page=1, page_size=20)
    if plain == _NOTHING:
        return "", [helpdesk_id]
    if query.agent_id is not None and dataclasses.replace(plain, agent_id=None, created=None) == (
        _NOTHING
    ):
        return _link_source("agent_tickets", "agent_id", query.agent_id, helpdesk_id, query)
    if len(query.tags) == 1 and (
        dataclasses.replace(plain, tags=(), created=None, updated=None) == _NOTHING
    ):
        return _link_source("tag_tickets", "tag_name", query.tags[0], helpdesk_id, query)
    where, params = where_clause(helpdesk_id, query, POSTGRES)
    return f"tickets {where}", params


def _link_source(
    table: str, column: str, value: str, helpdesk_id: str, query: TicketQuery
) -> tuple[str, list[Any]]:
    clauses = [f"helpdesk_id = ? AND {column} = ?"]
    params: list[Any] = [helpdesk_id, value]
    for name, window in (("created_at", query.created), ("updated_at", query.updated)):
        if window is not None:
            clauses.append(f"{name} BETWEEN ? AND ?")
            params += [window.start, window.end]
    return f"{table} WHERE {' AND '.join(clauses)}", params
