"""Turn a `TicketQuery` into a SQL WHERE clause; shared by the SQL backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import TicketQuery


@dataclass(frozen=True, slots=True)
class Dialect:
    placeholder: str  # "?" for sqlite, "%s" for psycopg
    substring: str  # SQL testing that column {col} contains the parameter {p}
    # True: guest_name filters first match the few distinct names kept in guest_names
    # (SQLite has no substring index); False: match the column directly (pg_trgm serves it).
    guest_names_table: bool = False
    # True: agent and tag filters read agent_tickets / tag_tickets (helpdesk first, in list
    # order; SQLite's migration 0003); False: the link tables ticket_agents / ticket_tags.
    link_order_tables: bool = False


SQLITE = Dialect(
    placeholder="?",
    substring="instr({col}, {p}) > 0",
    guest_names_table=True,
    link_order_tables=True,
)

_EQUALS = (
    ("ticket_id", "ticket_id"),
    ("closed_by_id", "closed_by_id"),
    ("ticket_type", "ticket_type"),
    ("channel", "channel"),
    ("solve", "solve"),
    ("score", "score"),
    ("guest_id", "guest_id"),
)


def scan_statement(
    helpdesk_id: str,
    query: TicketQuery,
    after: tuple[int, str] | None,
    limit: int,
    dialect: Dialect,
) -> tuple[str, list[Any]]:
    """A keyset page in list order: (created_at, ticket_id, body) rows after the key."""
    p = dialect.placeholder
    where, params = where_clause(helpdesk_id, query, dialect)
    if after is not None:
        where += f" AND (created_at, ticket_id) < ({p}, {p})"
        params.extend(after)
    sql = (
        "SELECT t.created_at, t.ticket_id, b.body FROM (SELECT seq, created_at, ticket_id"
        f" FROM tickets {where} ORDER BY created_at DESC, ticket_id DESC LIMIT {p}) t"
        " JOIN ticket_bodies b ON b.seq = t.seq ORDER BY t.created_at DESC, t.ticket_id DESC"
    )
    return sql, [*params, limit]


SYNC_STATE_COLUMNS = "helpdesk_id, source, high_water_ms, initial_until_ms, initial_through_ms"


def save_sync_state_statement(dialect: Dialect) -> str:
    """Insert or replace one sync_state row (the same SQL on both backends)."""
    marks = ", ".join(dialect.placeholder for _ in range(5))
    return (
        f"INSERT INTO sync_state ({SYNC_STATE_COLUMNS}) VALUES ({marks})"
        " ON CONFLICT (helpdesk_id) DO UPDATE SET source = excluded.source,"
        " high_water_ms = excluded.high_water_ms,"
        " initial_until_ms = excluded.initial_until_ms,"
        " initial_through_ms = excluded.initial_through_ms"
    )


def where_clause(helpdesk_id: str, query: TicketQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """The `WHERE ...` text and its parameters for the tickets table."""
    p = dialect.placeholder
    clauses = [f"helpdesk_id = {p}"]
    params: list[Any] = [helpdesk_id]
    for attr, column in _EQUALS:
        value = getattr(query, attr)
        if value is not None:
            clauses.append(f"{column} = {p}")
            params.append(value)
    if query.statuses:
        clauses.append(f"status IN ({', '.join(p for _ in query.statuses)})")
        params.extend(query.statuses)
    if query.guest_name is not None:
        matches = dialect.substring.format(col="guest_name", p=p)
        if dialect.guest_names_table:
            matches = (
                f"guest_name IN (SELECT guest_name FROM guest_names WHERE helpdesk_id = {p}"
                f" AND {matches})"
            )
            params.append(helpdesk_id)
        clauses.append(matches)
        params.append(query.guest_name.casefold())
    ordered = dialect.link_order_tables
    if query.agent_id is not None:
        table, scope = (
            ("agent_tickets", f"helpdesk_id = {p} AND ") if ordered else ("ticket_agents", "")
        )
        clauses.append(f"seq IN (SELECT seq FROM {table} WHERE {scope}agent_id = {p})")
        params.extend([helpdesk_id, query.agent_id] if ordered else [query.agent_id])
    if query.tags:
        marks = ", ".join(p for _ in query.tags)
        table, scope = (
            ("tag_tickets", f"helpdesk_id = {p} AND ") if ordered else ("ticket_tags", "")
        )
        clauses.append(f"seq IN (SELECT seq FROM {table} WHERE {scope}tag_name IN ({marks}))")
        params.extend([helpdesk_id, *query.tags] if ordered else query.tags)
    for column, window in (("created_at", query.created), ("updated_at", query.updated)):
        if window is not None:
            clauses.append(f"{column} BETWEEN {p} AND {p}")
            params.extend((window.start, window.end))
    return "WHERE " + " AND ".join(clauses), params
