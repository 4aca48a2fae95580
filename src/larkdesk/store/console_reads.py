"""What the web console reads (and the one outbox write it makes) beyond the API's needs:
helpdesks of a tenant, tickets sorted by any list column with keyset paging, counts,
the events delivered for one ticket, and "retry now" of a delivery.

Sorted pages and their plans are `console_sorts`'.
"""

from __future__ import annotations

from typing import Any

from .base import Helpdesk, TicketQuery
from .console_records import SortedTicket, TimeSlot
from .console_sorts import SORT_COLUMNS, Walk, key_of, sorted_page, where_of
from .console_values import status_index_terms
from .event_records import FAILED, PENDING, EventLogEntry
from .filters import Dialect, without_nul
from .outbox import event_log_rows
from .sql import Sql

__all__ = ["SORT_COLUMNS", "SortedTicket", "TimeSlot"]


def list_helpdesks(db: Sql, tenant_key: str | None) -> list[Helpdesk]:
    """The tenant's helpdesks (every helpdesk when `tenant_key` is None), by name."""
    sql = "SELECT helpdesk_id, tenant_key, name, token_hash FROM helpdesks"
    params: tuple[Any, ...] = ()
    if tenant_key is not None:
        sql += " WHERE tenant_key = ?"
        params = (tenant_key,)
    return [Helpdesk(*row) for row in db.all(sql + " ORDER BY name, helpdesk_id", params)]


def sorted_tickets(
    db: Sql,
    dialect: Dialect,
    helpdesk_id: str,
    query: TicketQuery,
    slot: TimeSlot,
    sort: str,
    descending: bool,
    after: tuple[int, str] | None,
    limit: int,
    expected: int | None = None,
) -> list[SortedTicket]:
    """A keyset page of the matching tickets by `sort` (then ticket_id), after `after`
    (`console_sorts`); `expected`: how many match, when the caller has counted."""
    key_of(sort)  # an unknown sort is a ValueError before any SQL
    searchable = without_nul(query)
    if searchable is None:
        return []
    walk = Walk(sort, descending, after, limit)
    return sorted_page(db, dialect, helpdesk_id, searchable, slot, walk, expected)


def count_matching(
    db: Sql,
    dialect: Dialect,
    helpdesk_id: str,
    query: TicketQuery,
    slot: TimeSlot,
    cap: int | None = None,
) -> int:
    """How many of the helpdesk's tickets match; with `cap`, counting stops past it (a
    count of cap + 1 means "more than cap")."""
    searchable = without_nul(query)
    if searchable is None:
        return 0
    plain, terms, values = status_index_terms(searchable)
    where, params = where_of(dialect, db.helpdesk_key(helpdesk_id), plain, slot)
    where, params = where + terms, [*params, *values]
    if cap is not None:
        sql = f"SELECT count(*) FROM (SELECT 1 FROM tickets {where} LIMIT ?) capped"
        row = db.one(sql, [*params, cap + 1])
    else:
        row = db.one(f"SELECT count(*) FROM tickets {where}", params)
    return int(row[0]) if row else 0


def helpdesk_event_log(
    db: Sql, helpdesk_id: str, ticket_id: str | None, limit: int, scan: int = 5000
) -> list[EventLogEntry]:
    """The helpdesk's newest deliveries (of one ticket: those of the newest `scan` rows
    whose event names it), newest first, each with its attempts."""
    if ticket_id is None:
        return event_log_rows(db, "WHERE helpdesk_id = ?", [helpdesk_id], limit)
    needle = f'"ticket_id":"{ticket_id}"'.encode()
    ids = [
        int(oid)
        for oid, body in db.all(
            "SELECT id, body FROM event_outbox WHERE helpdesk_id = ? ORDER BY id DESC LIMIT ?",
            (helpdesk_id, scan),
        )
        if needle in bytes(body)
    ][:limit]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    return event_log_rows(db, f"WHERE id IN ({marks})", ids, limit)


def retry_delivery(db: Sql, helpdesk_id: str, outbox_id: int, now: int) -> bool:
    """Make a failed (or waiting) delivery of the helpdesk due now; False if there is none."""
    row = db.one(
        "SELECT state FROM event_outbox WHERE id = ? AND helpdesk_id = ?",
        (outbox_id, helpdesk_id),
    )
    if row is None or row[0] not in (FAILED, PENDING):
        return False
    db.run(
        f"UPDATE event_outbox SET state = '{PENDING}', due_at = ?, done_at = 0 WHERE id = ?",
        (now, outbox_id),
    )
    return True
