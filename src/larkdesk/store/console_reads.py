"""What the web console reads (and the one outbox write it makes) beyond the API's needs:
helpdesks of a tenant, tickets sorted by any list column with keyset paging, counts,
the events delivered for one ticket, and "retry now" of a delivery.

Sorting keys are the filter columns with NULL read as -2 (never a real value), so the
keyset comparison `(key, ticket_id) < (?, ?)` is total on both backends.
"""

from __future__ import annotations

from typing import Any

from .base import Helpdesk, TicketQuery
from .body_filters import body_condition
from .console_records import SortedTicket, TimeSlot
from .event_records import FAILED, PENDING, EventLogEntry
from .filters import Dialect, where_clause, without_nul
from .outbox import event_log_rows
from .sql import Sql

SORT_COLUMNS = ("created_at", "updated_at", "status", "score", "channel", "ticket_type")
DAY_MS, HOUR_MS = 86_400_000, 3_600_000
__all__ = ["SortedTicket", "TimeSlot"]


def list_helpdesks(db: Sql, tenant_key: str | None) -> list[Helpdesk]:
    """The tenant's helpdesks (every helpdesk when `tenant_key` is None), by name."""
    sql = "SELECT helpdesk_id, tenant_key, name, token_hash FROM helpdesks"
    params: tuple[Any, ...] = ()
    if tenant_key is not None:
        sql += " WHERE tenant_key = ?"
        params = (tenant_key,)
    return [Helpdesk(*row) for row in db.all(sql + " ORDER BY name, helpdesk_id", params)]


def _where(
    dialect: Dialect, helpdesk_id: str, query: TicketQuery, slot: TimeSlot
) -> tuple[str, list[Any]]:
    where, params = where_clause(helpdesk_id, query, dialect)
    if slot.weekday is not None:  # 1970-01-01 was a Thursday (weekday 3)
        where += f" AND (created_at / {DAY_MS} + 3) % 7 = ?"
        params.append(slot.weekday)
    if slot.hour is not None:
        where += f" AND (created_at / {HOUR_MS}) % 24 = ?"
        params.append(slot.hour)
    body_sql, body_params = body_condition(dialect, slot.city, slot.reason)
    return where + body_sql, [*params, *body_params]


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
) -> list[SortedTicket]:
    """A keyset page of the matching tickets by `sort` (then ticket_id), after `after`."""
    if sort not in SORT_COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}")
    searchable = without_nul(query)
    if searchable is None:
        return []
    where, params = _where(dialect, helpdesk_id, searchable, slot)
    # created_at is never NULL: the bare column lets the list order's index serve the sort
    key = sort if sort == "created_at" else f"COALESCE({sort}, -2)"
    order = "DESC" if descending else "ASC"
    if after is not None:
        where += f" AND ({key}, ticket_id) {'<' if descending else '>'} (?, ?)"
        params.extend(after)
    sql = (
        f"SELECT t.k, t.ticket_id, b.body FROM (SELECT seq, {key} AS k, ticket_id"
        f" FROM tickets {where} ORDER BY k {order}, ticket_id {order} LIMIT ?) t"
        f" JOIN ticket_bodies b ON b.seq = t.seq ORDER BY t.k {order}, t.ticket_id {order}"
    )
    rows = db.all(sql, [*params, limit])
    return [SortedTicket(int(k), str(tid), bytes(body)) for k, tid, body in rows]


def count_matching(
    db: Sql, dialect: Dialect, helpdesk_id: str, query: TicketQuery, slot: TimeSlot
) -> int:
    """How many of the helpdesk's tickets match (no 10,000 cap)."""
    searchable = without_nul(query)
    if searchable is None:
        return 0
    where, params = _where(dialect, helpdesk_id, searchable, slot)
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
