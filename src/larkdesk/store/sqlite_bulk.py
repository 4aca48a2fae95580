"""Loading many tickets into a SQLite store that holds none yet (`demo`, a first fill).

The same rows as `upsert_tickets` writes, built faster:
- the secondary indexes of the ticket tables are dropped and created again at the end,
  in the same transaction: CREATE INDEX sorts once (on two threads) where row-by-row
  inserts would walk a dozen B-trees per ticket; likewise the triggers that keep
  agent_tickets / tag_tickets, which are filled by one INSERT ... SELECT each;
- when no other connection has the file open, the load runs in rollback-journal mode:
  pages appended to an empty table are not journaled, so each is written once (WAL would
  write it to the log, then again when checkpointing); WAL comes back at the end;
- synchronous = OFF during the load (one transaction: a crash leaves the file as before,
  as long as the operating system itself survives).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from itertools import islice

from .base import ConflictError, TicketRecord

CHUNK = 20_000  # tickets per executemany round
_TABLES = ("tickets", "ticket_agents", "ticket_tags", "agent_tickets", "tag_tickets")
# agent_tickets / tag_tickets (migration 0003) in one statement each, instead of their
# triggers firing per link row; the same SELECTs as the migration's.
_DERIVED = (
    "INSERT INTO agent_tickets SELECT t.helpdesk_id, a.agent_id, t.created_at, t.ticket_id,"
    " t.seq FROM ticket_agents a JOIN tickets t ON t.seq = a.seq ORDER BY 1, 2, 3 DESC, 4 DESC",
    "INSERT INTO tag_tickets SELECT t.helpdesk_id, g.tag_name, t.created_at, t.ticket_id,"
    " t.updated_at, t.seq FROM ticket_tags g JOIN tickets t ON t.seq = g.seq"
    " ORDER BY 1, 2, 3 DESC, 4 DESC",
)
_INSERT = "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


@contextmanager
def _bulk_mode(conn: sqlite3.Connection, close_readers: Callable[[], None]) -> Iterator[None]:
    """Rollback journal (when nothing else has the file open) and no syncs, then back."""
    close_readers()
    conn.execute("PRAGMA busy_timeout = 0")
    switched = False
    with suppress(sqlite3.OperationalError):  # "database is locked": another connection
        switched = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA threads = 2")
    try:
        yield
    finally:
        conn.execute("PRAGMA threads = 0")
        conn.execute("PRAGMA synchronous = NORMAL")
        if switched:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA busy_timeout = 10000")


def is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is None


def load(
    conn: sqlite3.Connection, records: Iterable[TicketRecord], close_readers: Callable[[], None]
) -> int:
    """Insert `records` (distinct ticket ids) into the empty ticket tables; all or nothing."""
    with _bulk_mode(conn, close_readers):
        conn.execute("BEGIN IMMEDIATE")
        try:
            count = _load(conn, records)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return count


def _load(conn: sqlite3.Connection, records: Iterable[TicketRecord]) -> int:
    marks = ", ".join("?" for _ in _TABLES)
    schema = conn.execute(  # secondary indexes and triggers, dropped for the load
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        f" AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type",
        _TABLES,
    ).fetchall()
    for kind, name, _ in schema:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    seq = 1
    names: set[tuple[str, str]] = set()
    per_helpdesk: dict[str, int] = {}
    source = iter(records)
    while chunk := list(islice(source, CHUNK)):
        rows, bodies, agents, tags = [], [], [], []
        for r in chunk:
            rows.append((seq, *r[:12]))  # TicketRecord's first 12 fields are the columns
            bodies.append((seq, r.body))
            agents += [(agent, seq) for agent in r.agent_ids]
            tags += [(tag, seq) for tag in r.tag_names]
            if r.guest_name is not None:
                names.add((r.helpdesk_id, r.guest_name))
            per_helpdesk[r.helpdesk_id] = per_helpdesk.get(r.helpdesk_id, 0) + 1
            seq += 1
        try:
            conn.executemany(_INSERT, rows)
        except sqlite3.IntegrityError:
            raise ConflictError("a bulk load repeats a ticket_id; nothing was written") from None
        conn.executemany("INSERT INTO ticket_bodies VALUES (?, ?)", bodies)
        conn.executemany("INSERT OR IGNORE INTO ticket_agents VALUES (?, ?)", agents)
        conn.executemany("INSERT OR IGNORE INTO ticket_tags VALUES (?, ?)", tags)
    conn.executemany("INSERT OR IGNORE INTO guest_names VALUES (?, ?)", sorted(names))
    conn.executemany(
        "INSERT INTO helpdesk_ticket_counts VALUES (?, ?) ON CONFLICT (helpdesk_id)"
        " DO UPDATE SET tickets = tickets + excluded.tickets",
        per_helpdesk.items(),
    )
    for statement in _DERIVED:
        conn.execute(statement)
    for _, _, sql in schema:
        conn.execute(sql)
    return seq - 1
