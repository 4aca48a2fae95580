"""Turn a `TicketQuery` into a SQL WHERE clause (with `?` placeholders, as every
statement of the store is written); shared by the SQL backends."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .base import TicketQuery


@dataclass(frozen=True, slots=True)
class Dialect:
    substring: str  # SQL testing that column {col} contains the parameter (a `?`)
    # True: guest_name filters first match the few distinct names kept in guest_names
    # (SQLite has no substring index); False: match the column directly (pg_trgm serves it).
    guest_names_table: bool = False
    # True: agent and tag filters read agent_tickets / tag_tickets (helpdesk first, in list
    # order; SQLite's migration 0003); False: the link tables ticket_agents / ticket_tags.
    link_order_tables: bool = False
    # True: FAQ search terms of 3+ characters read FTS5's trigram index (SQLite's 0011).
    faq_fts: bool = False
    # The FAQs' `search_grams` (PostgreSQL's migration 0013): a term's bigrams narrow the
    # search through a GIN index before the substring test.
    faq_grams: bool = False


SQLITE = Dialect(
    substring="instr({col}, ?) > 0",
    guest_names_table=True,
    link_order_tables=True,
    faq_fts=True,
)

# The casefolded needle is matched with LIKE (which PostgreSQL's trigram index serves), its
# own LIKE metacharacters escaped first so that `guest_name=50%_off` means those characters.
POSTGRES = Dialect(
    substring=(
        "{col} LIKE '%' || replace(replace(replace(?, '\\', '\\\\'), '%', '\\%'),"
        " '_', '\\_') || '%'"
    ),
    guest_names_table=True,
    faq_grams=True,
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
    key: Any,
    query: TicketQuery,
    after: tuple[int, str] | None,
    limit: int,
    dialect: Dialect,
) -> tuple[str, list[Any]]:
    """A keyset page in list order: (created_at, ticket_id, body) rows after the key."""
    p = "?"
    where, params = where_clause(key, query, dialect)
    if after is not None:
        where += f" AND (created_at, ticket_id) < ({p}, {p})"
        params.extend(after)
    sql = (
        "SELECT t.created_at, t.ticket_id, b.body FROM (SELECT seq, created_at, ticket_id"
        f" FROM tickets {where} ORDER BY created_at DESC, ticket_id DESC LIMIT {p}) t"
        " JOIN ticket_bodies b ON b.seq = t.seq ORDER BY t.created_at DESC, t.ticket_id DESC"
    )
    return sql, [*params, limit]


def where_clause(key: Any, query: TicketQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """The `WHERE ...` text and its parameters for the tickets table; `key` is the
    helpdesk's in the per-ticket tables (`Sql.helpdesk_key`: the id on PostgreSQL)."""
    p = "?"
    clauses = [f"helpdesk_id = {p}"]
    params: list[Any] = [key]
    for attr, column in _EQUALS:
        value = getattr(query, attr)
        if value is not None:
            clauses.append(f"{column} = {p}")
            params.append(value)
    if query.statuses:
        clauses.append(f"status IN ({', '.join(p for _ in query.statuses)})")
        params.extend(query.statuses)
    if query.guest_name is not None:
        matches = dialect.substring.format(col="guest_name")
        if dialect.guest_names_table:
            matches = (
                f"guest_name IN (SELECT guest_name FROM guest_names WHERE helpdesk_id = {p}"
                f" AND {matches})"
            )
            params.append(key)
        clauses.append(matches)
        params.append(query.guest_name.casefold())
    ordered = dialect.link_order_tables
    if query.agent_id is not None:
        table, scope = (
            ("agent_tickets", f"helpdesk_id = {p} AND ") if ordered else ("ticket_agents", "")
        )
        clauses.append(f"seq IN (SELECT seq FROM {table} WHERE {scope}agent_id = {p})")
        params.extend([key, query.agent_id] if ordered else [query.agent_id])
    if query.tags:
        marks = ", ".join(p for _ in query.tags)
        table, scope = (
            ("tag_tickets", f"helpdesk_id = {p} AND ") if ordered else ("ticket_tags", "")
        )
        clauses.append(f"seq IN (SELECT seq FROM {table} WHERE {scope}tag_name IN ({marks}))")
        params.extend([key, *query.tags] if ordered else query.tags)
    for column, window in (("created_at", query.created), ("updated_at", query.updated)):
        if window is not None:
            clauses.append(f"{column} BETWEEN {p} AND {p}")
            params.extend((window.start, window.end))
    return "WHERE " + " AND ".join(clauses), params


def without_nul(query: TicketQuery) -> TicketQuery | None:
    """The query without values that no stored text can equal (PostgreSQL text has no NUL
    character, and both stores answer alike); None when nothing can match at all."""
    single = ("ticket_id", "agent_id", "closed_by_id", "guest_name", "guest_id")
    if any("\x00" in (getattr(query, name) or "") for name in single):
        return None
    if not any("\x00" in tag for tag in query.tags):
        return query
    tags = tuple(tag for tag in query.tags if "\x00" not in tag)
    return dataclasses.replace(query, tags=tags) if tags else None
