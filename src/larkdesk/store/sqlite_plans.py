"""How the SQLite store finds one page of a list query: the total, then the page's seqs.

- An agent filter alone (or with a create_time window) reads one range of agent_tickets,
  which is kept in list order: the count is an index range count, the page its first rows.
- Tags alone (with create/update windows) read tag_tickets the same way; several tags are
  merged (a ticket counted once).
- Anything else runs on the tickets table. Once the total is known, the page comes either
  from walking the list-order index until enough matching rows went by, or from the
  filter's own index and a sort of every match. Walking costs about
  (offset + page_size) * tickets / total rows, sorting about total rows: the cheaper is
  chosen (SQLite's planner, without the total, often walks where a sort of a few hundred
  rows would do: a 2-character guest name, a status in one month).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

from .base import TicketQuery
from .filters import SQLITE, where_clause

ORDER = "ORDER BY created_at DESC, ticket_id DESC"
_NOTHING = TicketQuery()


def total_and_seqs(
    conn: sqlite3.Connection, key: int | None, query: TicketQuery, tickets_in_helpdesk: int
) -> tuple[int, list[int]]:
    """The number of matching tickets and the seqs of the requested page, in list order;
    `key`: the helpdesk's (`helpdesk_keys`)."""
    plain = dataclasses.replace(query, page=1, page_size=20)
    size = tickets_in_helpdesk
    if plain == _NOTHING:
        total = size
        return total, _page(conn, "tickets WHERE helpdesk_id = ?", [key], query, total)
    if (
        query.agent_id is not None
        and dataclasses.replace(plain, agent_id=None, created=None) == _NOTHING
    ):
        return _link_page(conn, "agent_tickets", "agent_id", [query.agent_id], key, query, size)
    if query.tags and dataclasses.replace(plain, tags=(), created=None, updated=None) == _NOTHING:
        return _link_page(conn, "tag_tickets", "tag_name", list(query.tags), key, query, size)
    where, params = where_clause(key, query, SQLITE)
    total = conn.execute(f"SELECT count(*) FROM tickets {where}", params).fetchone()[0]
    if query.offset >= total:
        return total, []
    if _sort_is_cheaper(query, total, size):
        sql = (
            f"SELECT seq FROM tickets {where} ORDER BY +created_at DESC, +ticket_id DESC"
            " LIMIT ? OFFSET ?"
        )
        rows = conn.execute(sql, [*params, query.page_size, query.offset])
        return total, [row[0] for row in rows]
    return total, _page(conn, f"tickets {where}", params, query, total)


def _sort_is_cheaper(query: TicketQuery, total: int, tickets_in_helpdesk: int) -> bool:
    """Sorting every match (~total rows) beats walking the list order until the page is
    full (~(offset + page_size) * tickets / total rows)."""
    return total * total < (query.offset + query.page_size) * tickets_in_helpdesk


def _page(
    conn: sqlite3.Connection, source: str, params: list[Any], query: TicketQuery, total: int
) -> list[int]:
    if query.offset >= total:
        return []
    rows = conn.execute(
        f"SELECT seq FROM {source} {ORDER} LIMIT ? OFFSET ?",
        [*params, query.page_size, query.offset],
    )
    return [row[0] for row in rows]


def _link_page(
    conn: sqlite3.Connection,
    table: str,
    column: str,
    values: list[Any],
    key: int | None,
    query: TicketQuery,
    tickets_in_helpdesk: int,
) -> tuple[int, list[int]]:
    """Count and page from agent_tickets / tag_tickets (every column the filter needs)."""
    marks = ", ".join("?" for _ in values)
    clauses = [f"helpdesk_id = ? AND {column} IN ({marks})"]
    params: list[Any] = [key, *values]
    for name, window in (("created_at", query.created), ("updated_at", query.updated)):
        if window is not None:
            clauses.append(f"{name} BETWEEN ? AND ?")
            params += [window.start, window.end]
    where = " AND ".join(clauses)
    if len(values) == 1:
        total = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]
        return total, _page(conn, f"{table} WHERE {where}", params, query, total)
    count = f"SELECT count(DISTINCT seq) FROM {table} WHERE {where}"
    total = conn.execute(count, params).fetchone()[0]
    if query.offset >= total:
        return total, []
    if not _sort_is_cheaper(query, total, tickets_in_helpdesk):  # popular tags: walk
        walk = " AND ".join(
            [
                f"helpdesk_id = ? AND EXISTS (SELECT 1 FROM ticket_tags WHERE tag_name IN ({marks})"
                " AND ticket_tags.seq = tickets.seq)",
                *clauses[1:],
            ]
        )
        return total, _page(conn, f"tickets WHERE {walk}", params, query, total)
    rows = conn.execute(
        f"SELECT seq, max(created_at) AS c, max(ticket_id) AS i FROM {table} WHERE {where}"
        " GROUP BY seq ORDER BY c DESC, i DESC LIMIT ? OFFSET ?",
        [*params, query.page_size, query.offset],
    )
    return total, [row[0] for row in rows]
