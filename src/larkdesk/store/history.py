"""Each ticket's status and stage history (`ticket_status_history`, migration 0016).

`tickets.write_chunk`, the one path every ticket write takes, calls `moved` with the status
and stage (`ticket_type`: 1 bot, 2 human) each ticket had before and has now, and who
wrote it; a row is added when either differs, in the write's own transaction. A new
ticket's first state is an entry with no old values; an import or sync records the state
it brought as one such entry, with its source, and invents nothing before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .history_records import Actor, HistoryEntry
from .identities import names_nothing
from .records import TicketRecord
from .sql import Sql, Table

HISTORY = Table(
    "ticket_status_history",
    (
        ("seq", "bigint"),
        ("at", "bigint"),
        ("old_status", "bigint"),
        ("new_status", "bigint"),
        ("old_stage", "bigint"),
        ("new_stage", "bigint"),
        ("actor_kind", "text"),
        ("actor_id", "text"),
        ("actor_name", "text"),
        ("source", "text"),
    ),
)
Before = tuple[int | None, int | None]  # (status, ticket_type) as stored, None: a new ticket


def moved(db: Sql, written: Sequence[tuple[int, Before | None, TicketRecord]], by: Actor) -> None:
    """Add an entry for every written ticket (seq, what it was, what it is) whose status or
    stage is new or changed."""
    rows = []
    for seq, before, r in written:
        old_status, old_stage = before if before is not None else (None, None)
        if before is not None and (old_status, old_stage) == (r.status, r.ticket_type):
            continue
        at = r.updated_at if r.updated_at > 0 else r.created_at
        rows.append((seq, at, old_status, r.status, old_stage, r.ticket_type, *_actor_columns(by)))
    db.insert_rows(HISTORY, rows)


def first_rows_sql(by: Actor) -> tuple[str, tuple[str, ...]]:
    """The rows `moved` adds for new tickets, as one statement over the tickets table in
    seq order (for bulk loads, whose tickets have no entries yet) and its parameters."""
    return (
        f"INSERT INTO {HISTORY.name} ({', '.join(HISTORY.names)})"
        " SELECT seq, CASE WHEN updated_at > 0 THEN updated_at ELSE created_at END,"
        " NULL, status, NULL, ticket_type, ?, ?, ?, ? FROM tickets ORDER BY seq",
        _actor_columns(by),
    )


def _actor_columns(by: Actor) -> tuple[str, str, str, str]:
    return by.kind, by.id, by.name, by.source


def ticket_history(db: Sql, helpdesk_id: str, ticket_id: str) -> list[HistoryEntry] | None:
    """The ticket's entries, oldest first; None if the helpdesk has no such ticket."""
    if names_nothing(ticket_id):
        return None
    row = db.one(
        "SELECT seq FROM tickets WHERE ticket_id = ? AND helpdesk_id = ?",
        (ticket_id, db.helpdesk_key(helpdesk_id)),
    )
    if row is None:
        return None
    return [
        HistoryEntry(at, old_s, new_s, old_t, new_t, Actor(kind, aid, name, source))
        for at, old_s, new_s, old_t, new_t, kind, aid, name, source in db.all(
            "SELECT at, old_status, new_status, old_stage, new_stage, actor_kind, actor_id,"
            " actor_name, source FROM ticket_status_history WHERE seq = ? ORDER BY id",
            (row[0],),
        )
    ]
