"""Loading many tickets into a SQLite store that holds none yet (`demo`, a first fill).

The same rows as `upsert_tickets` writes, built faster:
- the secondary indexes of the ticket tables are dropped and created again at the end,
  in the same transaction: CREATE INDEX sorts once where row-by-row
  inserts would walk a dozen B-trees per ticket (keeping even the nearly-appended ones up
  cost more, measured); likewise the triggers that keep agent_tickets / tag_tickets, whose
  rows are written with the links instead;
- when no other connection has the file open, the load runs in rollback-journal mode:
  pages appended to an empty table are not journaled, so each is written once (WAL would
  write it to the log, then again when checkpointing); WAL comes back at the end;
- ticket_id's UNIQUE index (which cannot be dropped) is rebuilt at the end, packed;
- synchronous = OFF during the load (one transaction: a crash leaves the file as before,
  as long as the operating system itself survives).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from itertools import islice
from typing import Any, NamedTuple, Protocol, runtime_checkable

from . import body_codec, history, rollups
from .base import Actor, ConflictError, TicketRecord
from .helpdesk_keys import HelpdeskKeys, Memo

CHUNK = 20_000  # tickets per executemany round
_TABLES = ("tickets", "ticket_agents", "ticket_tags", "agent_tickets", "tag_tickets")
_INSERT = "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_HISTORY = (
    f"INSERT INTO {history.HISTORY.name} ({', '.join(history.HISTORY.names)})"
    f" VALUES ({', '.join('?' for _ in history.HISTORY.names)})"
)


class Batch(NamedTuple):
    """Tickets ready to write: distinct ids, bodies as stored (`body_codec`), and the
    metrics rollups they add to."""

    records: list[TicketRecord]
    deltas: rollups.Deltas


@runtime_checkable
class Source(Protocol):
    """Where a bulk load's batches come from: `sample()`, wire JSON to train the file's
    first dictionary from (read only if it has none); then `batches(dictionary)`."""

    def sample(self) -> list[bytes]: ...

    def batches(self, dictionary: tuple[int, bytes] | None) -> Iterator[Batch]: ...


class InProcess:
    """Records decoded by the caller, packed and summed here, `CHUNK` at a time."""

    def __init__(self, records: Iterable[TicketRecord]) -> None:
        self._source = iter(records)
        self._first = list(islice(self._source, CHUNK))

    def sample(self) -> list[bytes]:
        return [r.body for r in self._first[: body_codec.TRAIN_SAMPLES]]

    def batches(self, dictionary: tuple[int, bytes] | None) -> Iterator[Batch]:
        pack = body_codec.packer_for(*(dictionary or (None, None)))
        chunk, self._first = self._first, []
        while chunk:
            deltas = rollups.Deltas()
            for r in chunk:
                deltas.add(r.helpdesk_id, r.body, 1)
            yield Batch([r._replace(body=pack(r.body)) for r in chunk], deltas)
            chunk = list(islice(self._source, CHUNK))


@contextmanager
def _bulk_mode(conn: sqlite3.Connection, close_readers: Callable[[], None]) -> Iterator[bool]:
    """Rollback journal (when nothing else has the file open) and no syncs, then back.
    Yields whether the file was switched, i.e. no other connection had it open."""
    close_readers()
    conn.execute("PRAGMA busy_timeout = 0")
    switched = False
    with suppress(sqlite3.OperationalError):  # "database is locked": another connection
        switched = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    (synchronous,) = conn.execute("PRAGMA synchronous").fetchone()
    conn.execute("PRAGMA synchronous = OFF")
    try:
        yield switched
    finally:
        conn.execute(f"PRAGMA synchronous = {int(synchronous)}")  # the writer's own again
        if switched:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA busy_timeout = 10000")


def is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM tickets LIMIT 1").fetchone() is None


def load(
    conn: sqlite3.Connection,
    records: Iterable[TicketRecord] | Source,
    close_readers: Callable[[], None],
    alone: bool = False,
    by: Actor | None = None,
) -> int | None:
    """Insert `records` (distinct ticket ids) into the empty ticket tables; all or nothing.
    With `alone`, only when no other connection has the file open (None otherwise, with
    no record read): an import's first fill, which no API writer may wait for. `by`: who
    brought the tickets, for their first status history entry (None: the demo's, none)."""
    with _bulk_mode(conn, close_readers) as switched:
        if alone and not switched:
            return None
        conn.execute("BEGIN IMMEDIATE")
        try:
            source = records if isinstance(records, Source) else InProcess(records)
            count = _load(conn, source, by)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return count


def _load(conn: sqlite3.Connection, source: Source, by: Actor | None) -> int:
    if not is_empty(conn):  # filled by another process since the caller looked
        raise ConflictError("the store holds tickets now; nothing was bulk-loaded")
    marks = ", ".join("?" for _ in _TABLES)
    schema = conn.execute(  # secondary indexes and triggers, dropped for the load
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        f" AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type",
        _TABLES,
    ).fetchall()
    for kind, name, _ in schema:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    seq = 1
    names: set[tuple[Any, str]] = set()
    per_helpdesk: dict[str, int] = {}
    keys = Memo(partial(HelpdeskKeys().new_key, conn))  # helpdesk_keys (migration 0025)
    dictionary = body_codec.newest(conn)
    if dictionary is None:  # the file's first dictionary comes from the first tickets
        body_codec.train(conn, source.sample())
        dictionary = body_codec.newest(conn)
    for chunk, deltas in source.batches(dictionary):
        rows, bodies, agents, tags, by_agent, by_tag = [], [], [], [], [], []
        firsts = []  # the first status history entries, as `tickets.write_chunk` writes
        for r in chunk:
            key = keys[r.helpdesk_id]
            # TicketRecord's first 12 fields are the columns (the helpdesk's key for its id)
            rows.append((seq, r.ticket_id, key, *r[2:12]))
            bodies.append((seq, r.body))
            for agent in r.agent_ids:
                agents.append((agent, seq))
                by_agent.append((key, agent, r.created_at, r.ticket_id, seq))
            for tag in r.tag_names:
                tags.append((tag, seq))
                by_tag.append((key, tag, r.created_at, r.ticket_id, r.updated_at, seq))
            if r.guest_name is not None:
                names.add((key, r.guest_name))
            per_helpdesk[r.helpdesk_id] = per_helpdesk.get(r.helpdesk_id, 0) + 1
            if by is not None:
                firsts.append(history.first_rows(seq, r, by))
            seq += 1
        try:
            conn.executemany(_INSERT, rows)
        except sqlite3.IntegrityError:
            raise ConflictError("a bulk load repeats a ticket_id; nothing was written") from None
        conn.executemany("INSERT INTO ticket_bodies VALUES (?, ?)", bodies)
        conn.executemany("INSERT OR IGNORE INTO ticket_agents VALUES (?, ?)", agents)
        conn.executemany("INSERT OR IGNORE INTO ticket_tags VALUES (?, ?)", tags)
        # What the triggers (dropped for the load) would write: migration 0003's tables.
        conn.executemany("INSERT OR REPLACE INTO agent_tickets VALUES (?, ?, ?, ?, ?)", by_agent)
        conn.executemany("INSERT OR REPLACE INTO tag_tickets VALUES (?, ?, ?, ?, ?, ?)", by_tag)
        deltas.write_sqlite(conn)
        conn.executemany(_HISTORY, firsts)
    conn.executemany("INSERT OR IGNORE INTO guest_names VALUES (?, ?)", sorted(names))
    conn.executemany(
        "INSERT INTO helpdesk_ticket_counts VALUES (?, ?) ON CONFLICT (helpdesk_id)"
        " DO UPDATE SET tickets = tickets + excluded.tickets",
        per_helpdesk.items(),
    )
    # ticket_id's UNIQUE index was kept up row by row, in the file's (random) id order:
    # half of each page is empty. Rebuilt sorted, it is half the size (0.15 CPU-s/200k);
    # before the other indexes, which reuse the pages it frees (after them, those stayed
    # free: 1.3% of the file).
    conn.execute("REINDEX sqlite_autoindex_tickets_1")
    for _, _, sql in schema:
        conn.execute(sql)
    return seq - 1
