"""What operators ask of a running store: that it answers, and how many events wait."""

from __future__ import annotations

from dataclasses import dataclass

from .sql import Sql


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Events not yet delivered (nor given up): all of them, those due now, the oldest due."""

    waiting: int
    due: int
    oldest_due_at: int | None  # ms; None when nothing waits


def schema_version(db: Sql) -> int:
    """The newest migration applied (one cheap query: it also proves the store answers)."""
    row = db.one("SELECT max(version) FROM schema_migrations")
    return int(row[0] or 0) if row else 0


def outbox_backlog(db: Sql, now_ms: int) -> OutboxBacklog:
    """Counted over the pending rows' partial index, not the delivered history."""
    row = db.one(
        "SELECT count(*), coalesce(sum(CASE WHEN due_at <= ? THEN 1 ELSE 0 END), 0),"
        " min(due_at) FROM event_outbox WHERE state = 'pending'",
        (now_ms,),
    )
    if row is None:
        return OutboxBacklog(0, 0, None)
    return OutboxBacklog(int(row[0]), int(row[1]), None if row[2] is None else int(row[2]))
