"""The live long connections (table `event_connections`, migration 0009): which worker
holds which app's connections, so every worker's claims and the per-app cap see all of
them. A row lives while its worker refreshes it; one past `expires_at` is a dead worker's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .sql import Sql, marks

# Apps some worker holds a live connection for, and those `holder` holds.
LIVE_APPS = "SELECT app_id FROM event_connections WHERE expires_at > ?"
HELD_APPS = LIVE_APPS + " AND worker_id = ?"


def open_connection(
    db: Sql, conn_id: str, app_id: str, worker_id: str, now: int, expires_at: int, cap: int
) -> bool:
    """Record a connection unless the app already has `cap` live ones (on any worker) or
    the id is taken; whether it was recorded. The app's row is locked first on
    PostgreSQL, so two workers admitting at once count each other; SQLite's write lock
    does the same."""
    if db.for_update:
        db.one(f"SELECT app_id FROM apps WHERE app_id = ?{db.for_update}", (app_id,))
    row = db.one(
        "SELECT count(*) FROM event_connections WHERE app_id = ? AND expires_at > ?",
        (app_id, now),
    )
    if row is not None and int(row[0]) >= cap:
        return False
    added = db.run(
        "INSERT INTO event_connections (conn_id, app_id, worker_id, connected_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conn_id) DO NOTHING",
        (conn_id, app_id, worker_id, now, expires_at),
    )
    return added == 1  # 0: that connection id is taken (a ticket used twice)


def live_connections(db: Sql, app_id: str, now: int) -> int:
    row = db.one(
        "SELECT count(*) FROM event_connections WHERE app_id = ? AND expires_at > ?",
        (app_id, now),
    )
    return int(row[0]) if row else 0


def close_connections(db: Sql, conn_ids: Sequence[str]) -> None:
    if conn_ids:
        db.run(
            f"DELETE FROM event_connections WHERE conn_id IN ({marks(len(conn_ids))})",
            tuple(conn_ids),
        )


def refresh_connections(db: Sql, worker_id: str, now: int, expires_at: int) -> None:
    """Keep the worker's rows alive until `expires_at`; sweep every expired row."""
    db.run(
        "UPDATE event_connections SET expires_at = ? WHERE worker_id = ?",
        (expires_at, worker_id),
    )
    db.run("DELETE FROM event_connections WHERE expires_at <= ?", (now,))
