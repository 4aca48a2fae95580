"""The embedded store: one SQLite file in WAL mode.

Reads use one connection per thread; writes go through one connection under a lock,
each in a single `BEGIN IMMEDIATE` transaction, so an import or demo never leaves half a
file, and a read-modify-write (a ticket update) holds SQLite's write lock from its read
on: a concurrent writer, in this process or another, waits and then reads what this one
wrote. The SQL of each resource is shared with PostgreSQL (`sqlstore`); here are the
connections, the migration runner, the list API's plans and the bulk load.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..files import create_private
from ..metrics import timed_store
from . import body_codec, sqlite_bulk, sqlite_plans
from .base import Actor, StoreBusy, TicketPage, TicketQuery, TicketRecord, distinct_ids
from .filters import SQLITE
from .helpdesk_keys import HelpdeskKeys
from .migrations import apply_pending
from .sql import KEEP, REPLACE, Row, Sql, Table
from .sqlstore import SqlStore

T = TypeVar("T")
P = ParamSpec("P")

# Readers never commit, so their `synchronous` is moot; the writer's is FULL (below).
_PRAGMAS = (
    # A new file only (an existing one keeps its page size): a 16 KiB page holds a dozen
    # ~1.2 KB ticket bodies where a 4 KiB one held three and left a quarter unused.
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -65536",
)

WRITER_SYNCHRONOUS = "FULL"
"""A write acknowledged with code 0 survives a power loss: every commit syncs the WAL.
(NORMAL survives a process kill but may lose the last commits on an OS crash; bulk loads
relax it inside their one transaction, see sqlite_bulk.)"""
WRITER_CACHE_KIB = -262144  # 256 MiB (negative: KiB, as SQLite counts it)
# Each reader thread has its own connection and page cache (the file's pages stay in the
# OS cache anyway): 16 MiB holds every index's upper levels, and keeps a busy server with
# a dozen reader threads per worker well under 500 MB.
READER_CACHE_KIB = -16384
# A thread that reads many rows once (`read_once`: the metrics warm-up, a year of rollups)
# would fill its 16 MiB and keep it for the life of the process: 1 MiB.
READ_ONCE_CACHE_KIB = -1024


def _connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    body_codec.register(conn)
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA cache_size = {READER_CACHE_KIB}")
    return conn


# SQLite's own conflict clauses: measured faster than the equivalent upserts (30,000-ticket
# import: 12,200 vs 8,500 tickets/s), and the same result on tables without triggers.
_VERBS = {KEEP: "INSERT OR IGNORE", REPLACE: "INSERT OR REPLACE"}


@cache
def _insert(table: Table, conflict: str) -> str:
    marks = ", ".join("?" * len(table.columns))
    verb = _VERBS.get(conflict, "INSERT")
    clause = "" if conflict in _VERBS else conflict
    return f"{verb} INTO {table.name} ({', '.join(table.names)}) VALUES ({marks}) {clause}"


@cache
def _update(table: Table, key: str) -> str:
    columns = ", ".join(f"{name} = ?" for name in table.names)
    return f"UPDATE {table.name} SET {columns} WHERE {key} = ?"


class SQLiteSql:
    """`Sql` on a sqlite3 connection: `?` placeholders as written, batches by executemany."""

    __slots__ = ("committed", "conn", "keys")
    for_update = ""  # the whole write transaction holds SQLite's one write lock

    def __init__(
        self, conn: sqlite3.Connection, keys: HelpdeskKeys | None = None, committed: bool = False
    ) -> None:
        self.conn = conn
        self.keys = HelpdeskKeys() if keys is None else keys
        self.committed = committed  # a reader: sees committed rows only (its keys are kept)

    def one(self, sql: str, params: Row = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Row = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Row = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def insert_rows(self, table: Table, rows: Sequence[Row], conflict: str = "") -> None:
        if rows:
            self.conn.executemany(_insert(table, conflict), rows)

    def update_rows(self, table: Table, key: str, rows: Sequence[Row]) -> None:
        if rows:
            self.conn.executemany(_update(table, key), [(*row[1:], row[0]) for row in rows])

    def delete_where(self, table: str, column: str, values: Sequence[Any]) -> None:
        if values:
            self.conn.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(v,) for v in values])

    def next_ticket_seqs(self, count: int) -> list[int]:
        if not count:
            return []
        (start,) = self.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM tickets").fetchone()
        return list(range(start, start + count))

    def helpdesk_key(self, helpdesk_id: str) -> int | None:
        return self.keys.key(self.conn, helpdesk_id, self.committed)

    def new_helpdesk_key(self, helpdesk_id: str) -> int | str:
        return self.keys.new_key(self.conn, helpdesk_id)

    def helpdesk_of(self, key: Any) -> str:
        return self.keys.helpdesk_of(self.conn, key, self.committed)


class SQLiteStore(SqlStore):
    """`Store` on a SQLite file."""

    dialect = SQLITE
    upsert_chunk = 500
    # A writer of another process waiting for the write lock polls it with sleeps of up
    # to 100 ms (SQLite's busy handler); an import pausing this long between its chunks
    # lets every waiting writer in, where it would otherwise retake the lock at once.
    import_handoff_seconds = 0.11

    def __init__(self, path: str | Path, file_mode: int | None = None) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not self.path.startswith("file:"):
            # SQLite gives the -wal and -shm files the main file's mode: create it private
            # (LARKDESK_FILE_MODE), so they are private too.
            create_private(self.path, file_mode)
        self._writer = _connect(self.path)
        self._writer.execute(f"PRAGMA synchronous = {WRITER_SYNCHRONOUS}")
        # Bulk writes touch pages of a dozen indexes; a larger cache keeps them resident.
        self._writer.execute(f"PRAGMA cache_size = {WRITER_CACHE_KIB}")
        self._keys = HelpdeskKeys()  # the helpdesks' keys read so far (helpdesk_keys)
        self._writer_sql = SQLiteSql(self._writer, self._keys)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._epoch = 0  # bumped when the readers are closed (see _close_readers)
        self.migrate()

    # -- connections ----------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        return self._reader_sql().conn

    def _reader_sql(self) -> SQLiteSql:
        local = self._local
        db: SQLiteSql | None = getattr(local, "db", None)
        if db is None or local.epoch != self._epoch:
            db = SQLiteSql(_connect(self.path, readonly=True), self._keys, committed=True)
            local.db, local.epoch = db, self._epoch
            with self._readers_lock:
                self._readers.append(db.conn)
        return db

    def read_once(self) -> None:
        self._reader().execute(f"PRAGMA cache_size = {READ_ONCE_CACHE_KIB}")

    def _read(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        with timed_store(work.__name__):
            return work(self._reader_sql(), *args, **kw)

    def _write(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        with timed_store(work.__name__), self._transaction():
            return work(self._writer_sql, *args, **kw)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, _busy_as_store_busy():
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            committed = False
            try:
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                committed = True
            finally:
                self._keys.settle(committed)  # the keys it read or assigned, if committed

    def _close_readers(self) -> None:
        """Close every reader connection (each thread opens a new one when it next reads)."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._epoch += 1
            self._keys.clear()

    def close(self) -> None:
        self._close_readers()
        self._writer.close()

    def change_counter(self) -> Callable[[], int | None] | None:
        """A function answering a number that changes whenever any connection, in this
        process or another, commits to the database (`PRAGMA data_version` on a
        connection of its own that never writes); None for an in-memory database."""
        if self.path == ":memory:" or "mode=memory" in self.path:
            return None
        return DataVersion(self.path)

    # -- schema ---------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database; return the versions applied."""
        with self._transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            applied = apply_pending("sqlite", SQLiteSql(conn), partial(_run_script, conn))
        if not self._has_statistics():
            self.analyze()
        return applied

    def _has_statistics(self) -> bool:
        found = self._writer.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchone()
        return found is not None

    def schema_version(self) -> int:
        row = self._reader().execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def analyze(self) -> None:
        """Refresh the planner's statistics (sampled, so it stays quick on big files)."""
        with self._write_lock:
            self._writer.execute("PRAGMA analysis_limit = 1000")
            self._writer.execute("ANALYZE")

    def _after_big_write(self) -> None:
        self.analyze()

    # -- tickets: the list API's plans and the bulk load ----------------------

    def load_tickets(self, records: Iterable[TicketRecord]) -> int:
        with self._write_lock:
            empty = sqlite_bulk.is_empty(self._writer)
            if empty:
                count = sqlite_bulk.load(self._writer, records, self._close_readers)
        if not empty:
            return self.upsert_tickets(distinct_ids(records), None)
        self.analyze()
        return count or 0

    def first_fill(self, records: Iterable[TicketRecord], by: Actor) -> int | None:
        with self._write_lock:
            if not sqlite_bulk.is_empty(self._writer):
                return None
            source = records if isinstance(records, sqlite_bulk.Source) else distinct_ids(records)
            count = sqlite_bulk.load(self._writer, source, self._close_readers, alone=True, by=by)
        if count is not None:
            self.analyze()
        return count

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        with timed_store("list_tickets"):
            return self._list_tickets(helpdesk_id, query)

    def _list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        db = self._reader_sql()
        conn = db.conn
        total, seqs = sqlite_plans.total_and_seqs(
            conn, db.helpdesk_key(helpdesk_id), query, self.count_tickets(helpdesk_id)
        )
        if not seqs:
            return TicketPage(total=total)
        marks = ", ".join("?" for _ in seqs)
        bodies = dict(
            conn.execute(f"SELECT seq, body FROM ticket_bodies WHERE seq IN ({marks})", seqs)
        )
        tickets = body_codec.unpack_all([bodies[seq] for seq in seqs], conn)
        return TicketPage(total=total, tickets=tickets)


class DataVersion:
    """`PRAGMA data_version` on a read-only connection opened at the first call (not
    before: a bulk load switches the journal mode only when no other connection is open)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __call__(self) -> int | None:
        """The counter, or None when it cannot be read just now (then nothing is cached)."""
        with self._lock:
            try:
                if self._conn is None:
                    conn = sqlite3.connect(
                        self._path, isolation_level=None, check_same_thread=False
                    )
                    conn.execute("PRAGMA query_only = ON")
                    self._conn = conn
                return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                return None


@contextmanager
def _busy_as_store_busy() -> Iterator[None]:
    """Another connection (an import in another process, say) held the write lock for
    longer than busy_timeout: `StoreBusy`, which callers may retry, not a crash."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy(str(exc)) from exc
        raise


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in _statements(script):
        conn.execute(statement)


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (sqlite3.execute runs one at a time)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
