"""Loading many tickets into a SQLite store that holds none yet (`demo`, a first fill).

The same rows as `upsert_tickets` writes, built faster:
- the secondary indexes of the ticket tables are dropped and created again at the end,
  in the same transaction: CREATE INDEX sorts once where row-by-row
  inserts would walk a dozen B-trees per ticket (keeping even the nearly-appended ones up
  cost more, measured; so did SQLite's sorter threads, `PRAGMA threads`, at 200k tickets);
  likewise the triggers that keep agent_tickets / tag_tickets: their rows, and the
  tickets' first status history entries, are derived from the loaded tables at the end,
  one INSERT ... SELECT each (in C, in key order: at 200k tickets 0.3-0.6 s each where
  inserting them from Python row by row took 1.7-2.1 s);
- a block's rows (`rows`) are plain tuples built where the block is decoded (an import's
  worker processes, `transfer.decode_pool`), so the writer only runs executemany;
- when no other connection has the file open, the load runs in rollback-journal mode:
  pages appended to an empty table are not journaled, so each is written once (WAL would
  write it to the log, then again when checkpointing); WAL comes back at the end;
- ticket_id's UNIQUE index (which cannot be dropped) is rebuilt at the end, packed;
- synchronous = OFF during the load (one transaction: a crash leaves the file as before,
  as long as the operating system itself survives).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from itertools import islice
from typing import Any, NamedTuple, Protocol, runtime_checkable

from . import body_codec, history, rollups
from .base import Actor, ConflictError, TicketRecord
from .helpdesk_keys import HelpdeskKeys, Memo
from .rollup_blocks import BlockDeltas
from .ticket_facts import Plain, decode_facts, plain

CHUNK = 20_000  # tickets per executemany round
_TABLES = ("tickets", "ticket_agents", "ticket_tags", "agent_tickets", "tag_tickets")
_INSERT = "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# What the link triggers (dropped for the load) would write, migration 0003's tables, in
# one statement each after the links: their rows come in key order, appended.
_DERIVED = (
    "INSERT OR REPLACE INTO agent_tickets SELECT t.helpdesk_id, a.agent_id, t.created_at,"
    " t.ticket_id, t.seq FROM ticket_agents a CROSS JOIN tickets t ON t.seq = a.seq"
    " ORDER BY 1, 2, 3 DESC, 4 DESC",
    "INSERT OR REPLACE INTO tag_tickets SELECT t.helpdesk_id, g.tag_name, t.created_at,"
    " t.ticket_id, t.updated_at, t.seq FROM ticket_tags g CROSS JOIN tickets t ON t.seq = g.seq"
    " ORDER BY 1, 2, 3 DESC, 4 DESC",
)


class Rows(NamedTuple):
    """A block of tickets as the rows the bulk load inserts, built by `rows` (in a worker
    process for an import, sent to the writer as MessagePack, typed by these fields):
    plain tuples in lists, cheaper to send than records; plus the metrics rollups they
    add to."""

    tickets: list[tuple[object, ...]]
    bodies: list[tuple[int, bytes]]
    ticket_agents: list[tuple[str, int]]
    ticket_tags: list[tuple[str, int]]
    guest_names: list[tuple[Any, str]]
    per_helpdesk: dict[str, int]
    rollups: rollups.SqliteRows


def rows(
    records: Iterable[tuple[TicketRecord, Plain | None]],
    seq: int,
    pack: body_codec.Pack,
    key: Callable[[str], Any],
) -> Rows:
    """The rows of `records` (distinct ids, bodies as wire JSON, each with its metrics
    facts if already decoded), numbered from `seq`: the same rows `upsert_tickets` would
    write (`tickets.write_chunk`); the load derives the rest (`_DERIVED`, history).
    `key`: the helpdesk's key for its id, as the per-ticket tables hold it (`helpdesk_keys`)."""
    block = list(records)
    recs = [r for r, _ in block]
    hds = Memo(key)  # the ticket tables' helpdesk column: the one place it is set
    deltas = BlockDeltas()
    for r, facts in block:
        deltas.add_plain(r.helpdesk_id, plain(decode_facts(r.body)) if facts is None else facts)
    return Rows(
        [(s, r.ticket_id, hds[r.helpdesk_id], *r[2:12]) for s, r in enumerate(recs, seq)],
        list(enumerate(map(pack, [r.body for r in recs]), seq)),
        [(agent, s) for s, r in enumerate(recs, seq) for agent in r.agent_ids],
        [(tag, s) for s, r in enumerate(recs, seq) for tag in r.tag_names],
        list({(hds[r.helpdesk_id], r.guest_name) for r in recs if r.guest_name is not None}),
        dict(Counter(r.helpdesk_id for r in recs)),
        deltas.sqlite_rows(key),
    )


@runtime_checkable
class Source(Protocol):
    """Where a bulk load's rows come from: `sample()`, wire JSON to train the file's
    first dictionary from (read only if it has none); then `batches(dictionary, key)`
    (`key`: the helpdesk's key for its id, to call in the writer's process),
    numbered from 1 in order. `finishing(done, total)` hears of the steps after the last
    row (derived rows, index builds: a third of a big import's time)."""

    def sample(self) -> list[bytes]: ...

    def finishing(self, done: int, total: int) -> None: ...

    def batches(
        self, dictionary: tuple[int, bytes] | None, key: Callable[[str], Any]
    ) -> Iterator[Rows]: ...


class InProcess:
    """Records decoded by the caller, made rows here, `CHUNK` at a time."""

    def __init__(self, records: Iterable[TicketRecord]) -> None:
        self._source = iter(records)
        self._first = list(islice(self._source, CHUNK))

    def sample(self) -> list[bytes]:
        return [r.body for r in self._first[: body_codec.TRAIN_SAMPLES]]

    def finishing(self, done: int, total: int) -> None:
        pass

    def batches(
        self, dictionary: tuple[int, bytes] | None, key: Callable[[str], Any]
    ) -> Iterator[Rows]:
        pack = body_codec.packer_for(*(dictionary or (None, None)))
        chunk, self._first = self._first, []
        seq = 1
        while chunk:
            yield rows(((r, None) for r in chunk), seq, pack, key)
            seq += len(chunk)
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
    count = 0
    names: set[tuple[Any, str]] = set()
    per_helpdesk: Counter[str] = Counter()
    keys = Memo(partial(HelpdeskKeys().new_key, conn))  # helpdesk_keys (migration 0025)
    dictionary = body_codec.newest(conn)
    if dictionary is None:  # the file's first dictionary comes from the first tickets
        body_codec.train(conn, source.sample())
        dictionary = body_codec.newest(conn)
    for block in source.batches(dictionary, keys.__getitem__):
        try:
            conn.executemany(_INSERT, block.tickets)
        except sqlite3.IntegrityError:
            raise ConflictError("a bulk load repeats a ticket_id; nothing was written") from None
        conn.executemany("INSERT INTO ticket_bodies VALUES (?, ?)", block.bodies)
        conn.executemany("INSERT OR IGNORE INTO ticket_agents VALUES (?, ?)", block.ticket_agents)
        conn.executemany("INSERT OR IGNORE INTO ticket_tags VALUES (?, ?)", block.ticket_tags)
        rollups.write_rows(conn, block.rollups)
        names.update(block.guest_names)
        per_helpdesk.update(block.per_helpdesk)
        count += len(block.tickets)
    conn.executemany("INSERT OR IGNORE INTO guest_names VALUES (?, ?)", sorted(names))
    conn.executemany(
        "INSERT INTO helpdesk_ticket_counts VALUES (?, ?) ON CONFLICT (helpdesk_id)"
        " DO UPDATE SET tickets = tickets + excluded.tickets",
        sorted(per_helpdesk.items()),
    )
    steps: list[tuple[str, tuple[Any, ...]]] = [(sql, ()) for sql in _DERIVED]
    if by is not None:  # the first status history entries, as `history.moved` writes them
        steps.append(history.first_rows_sql(by))
    # ticket_id's UNIQUE index was kept up row by row, in the file's (random) id order:
    # half of each page is empty. Rebuilt sorted, it is half the size (0.15 CPU-s/200k);
    # before the other indexes, which reuse the pages it frees (after them, those stayed
    # free: 1.3% of the file).
    steps.append(("REINDEX sqlite_autoindex_tickets_1", ()))
    steps.extend((sql, ()) for _, _, sql in schema)
    for done, (sql, params) in enumerate(steps):
        source.finishing(done, len(steps))
        conn.execute(sql, params)
    source.finishing(len(steps), len(steps))
    return count
