"""The embedded store: one SQLite file in WAL mode.

Reads use one connection per thread; writes go through one connection under a
lock, each in a single transaction, so an import or demo never leaves half a file.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import sqlite_bulk, sqlite_plans
from .base import (
    App,
    ConflictError,
    Helpdesk,
    IssuedToken,
    ScannedTicket,
    SyncState,
    Tenant,
    TicketPage,
    TicketQuery,
    TicketRecord,
    User,
    distinct_ids,
)
from .filters import (
    SQLITE,
    SYNC_STATE_COLUMNS,
    save_sync_state_statement,
    scan_statement,
)
from .migrations import load_migrations
from .sqlite_lifecycle import SQLiteLifecycle

_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -65536",
)

WRITER_CACHE_KIB = -262144  # 256 MiB (negative: KiB, as SQLite counts it)
# Each reader thread has its own connection and page cache (the file's pages stay in the
# OS cache anyway): 16 MiB holds every index's upper levels, and keeps a busy server with
# a dozen reader threads per worker well under 500 MB.
READER_CACHE_KIB = -16384
ANALYZE_AFTER = 10_000  # writes of this many tickets refresh the planner's statistics
UPSERT_CHUNK = 500  # tickets looked up and written per statement batch

_INSERT_TICKET = (
    "INSERT INTO tickets (seq, ticket_id, helpdesk_id, created_at, updated_at, ticket_type,"
    " channel, solve, score, status, guest_id, guest_name, closed_by_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_TICKET = (
    "UPDATE tickets SET ticket_id = ?, helpdesk_id = ?, created_at = ?, updated_at = ?,"
    " ticket_type = ?, channel = ?, solve = ?, score = ?, status = ?, guest_id = ?,"
    " guest_name = ?, closed_by_id = ? WHERE seq = ?"
)
_COUNT_NEW = (
    "INSERT INTO helpdesk_ticket_counts VALUES (?, ?) ON CONFLICT (helpdesk_id)"
    " DO UPDATE SET tickets = tickets + excluded.tickets"
)


def _connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA cache_size = {READER_CACHE_KIB}")
    return conn


class SQLiteStore(SQLiteLifecycle):
    """`Store` on a SQLite file (the lifecycle methods in `sqlite_lifecycle`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = _connect(self.path)
        # Bulk writes touch pages of a dozen indexes; a larger cache keeps them resident.
        self._writer.execute(f"PRAGMA cache_size = {WRITER_CACHE_KIB}")
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._epoch = 0  # bumped when the readers are closed (see _close_readers)
        self.migrate()

    # -- plumbing -------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.epoch != self._epoch:
            conn = _connect(self.path, readonly=True)
            self._local.conn, self._local.epoch = conn, self._epoch
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database; return the versions applied."""
        applied = []
        with self._transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in load_migrations("sqlite"):
                if migration.version in done:
                    continue
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
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

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._writer.close()

    def is_empty(self) -> bool:
        return self._reader().execute("SELECT 1 FROM tenants LIMIT 1").fetchone() is None

    # -- identities -----------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO tenants VALUES (?, ?)", (tenant.tenant_key, tenant.name))

    def get_tenant(self, tenant_key: str) -> Tenant | None:
        row = (
            self._reader()
            .execute("SELECT tenant_key, name FROM tenants WHERE tenant_key = ?", (tenant_key,))
            .fetchone()
        )
        return Tenant(*row) if row else None

    def create_app(self, app: App) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO apps VALUES (?, ?, ?, ?, ?)",
                (app.app_id, app.tenant_key, app.name, app.secret_hash, " ".join(app.scopes)),
            )

    def get_app(self, app_id: str) -> App | None:
        row = (
            self._reader()
            .execute(
                "SELECT app_id, tenant_key, name, secret_hash, scopes FROM apps WHERE app_id = ?",
                (app_id,),
            )
            .fetchone()
        )
        return App(row[0], row[1], row[2], row[3], tuple(row[4].split())) if row else None

    def create_helpdesk(self, helpdesk: Helpdesk) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO helpdesks VALUES (?, ?, ?, ?)",
                (helpdesk.helpdesk_id, helpdesk.tenant_key, helpdesk.name, helpdesk.token_hash),
            )

    def get_helpdesk(self, helpdesk_id: str) -> Helpdesk | None:
        row = (
            self._reader()
            .execute(
                "SELECT helpdesk_id, tenant_key, name, token_hash FROM helpdesks "
                "WHERE helpdesk_id = ?",
                (helpdesk_id,),
            )
            .fetchone()
        )
        return Helpdesk(*row) if row else None

    def upsert_users(self, users: Iterable[User]) -> None:
        rows = [
            (
                u.user_id,
                u.tenant_key,
                u.name,
                u.email,
                u.department,
                u.city,
                u.country,
                u.avatar_url,
            )
            for u in users
        ]
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # -- access tokens --------------------------------------------------------

    def save_token(self, token: IssuedToken) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO access_tokens VALUES (?, ?, ?, ?)",
                (token.token_hash, token.app_id, token.kind, token.expires_at_ms),
            )

    def find_token(self, token_hash: str) -> IssuedToken | None:
        row = (
            self._reader()
            .execute(
                "SELECT token_hash, app_id, kind, expires_at_ms FROM access_tokens "
                "WHERE token_hash = ?",
                (token_hash,),
            )
            .fetchone()
        )
        return IssuedToken(*row) if row else None

    def purge_tokens(self, now_ms: int) -> int:
        with self._transaction() as conn:
            return conn.execute(
                "DELETE FROM access_tokens WHERE expires_at_ms < ?", (now_ms,)
            ).rowcount

    # -- tickets --------------------------------------------------------------

    def upsert_tickets(self, records: Iterable[TicketRecord]) -> int:
        count = 0
        with self._transaction() as conn:
            next_seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM tickets").fetchone()[0]
            for chunk in _chunks(records, UPSERT_CHUNK):
                next_seq = _upsert_chunk(conn, chunk, next_seq)
                count += len(chunk)
        if count >= ANALYZE_AFTER:
            self.analyze()
        return count

    def load_tickets(self, records: Iterable[TicketRecord]) -> int:
        with self._write_lock:
            empty = sqlite_bulk.is_empty(self._writer)
            if empty:
                count = sqlite_bulk.load(self._writer, records, self._close_readers)
        if not empty:
            return self.upsert_tickets(distinct_ids(records))
        self.analyze()
        return count

    def _close_readers(self) -> None:
        """Close every reader connection (each thread opens a new one when it next reads)."""
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._epoch += 1

    def _write_records(self, conn: sqlite3.Connection, records: list[TicketRecord]) -> None:
        next_seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM tickets").fetchone()[0]
        _upsert_chunk(conn, records, next_seq)

    def analyze(self) -> None:
        """Refresh the planner's statistics (sampled, so it stays quick on big files)."""
        with self._write_lock:
            self._writer.execute("PRAGMA analysis_limit = 1000")
            self._writer.execute("ANALYZE")

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        conn = self._reader()
        total, seqs = sqlite_plans.total_and_seqs(
            conn, helpdesk_id, query, self.count_tickets(helpdesk_id)
        )
        if not seqs:
            return TicketPage(total=total)
        marks = ", ".join("?" for _ in seqs)
        bodies = dict(
            conn.execute(f"SELECT seq, body FROM ticket_bodies WHERE seq IN ({marks})", seqs)
        )
        return TicketPage(total=total, tickets=[bodies[seq] for seq in seqs])

    def count_tickets(self, helpdesk_id: str) -> int:
        row = (
            self._reader()
            .execute(
                "SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = ?", (helpdesk_id,)
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def scan_tickets(
        self,
        helpdesk_id: str,
        query: TicketQuery,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> list[ScannedTicket]:
        sql, params = scan_statement(helpdesk_id, query, after, limit, SQLITE)
        return [ScannedTicket(*row) for row in self._reader().execute(sql, params)]

    # -- sync bookkeeping -----------------------------------------------------

    def get_sync_state(self, helpdesk_id: str) -> SyncState | None:
        row = (
            self._reader()
            .execute(
                f"SELECT {SYNC_STATE_COLUMNS} FROM sync_state WHERE helpdesk_id = ?",
                (helpdesk_id,),
            )
            .fetchone()
        )
        return SyncState(*row) if row else None

    def save_sync_state(self, state: SyncState) -> None:
        with self._transaction() as conn:
            conn.execute(save_sync_state_statement(SQLITE), dataclasses.astuple(state))


def _chunks(records: Iterable[TicketRecord], size: int) -> Iterator[list[TicketRecord]]:
    """Batches of records, a later duplicate of a ticket_id replacing the earlier one."""
    chunk: dict[str, TicketRecord] = {}
    for record in records:
        chunk[record.ticket_id] = record
        if len(chunk) >= size:
            yield list(chunk.values())
            chunk = {}
    if chunk:
        yield list(chunk.values())


def _columns(r: TicketRecord) -> tuple[object, ...]:
    return (
        r.ticket_id,
        r.helpdesk_id,
        r.created_at,
        r.updated_at,
        r.ticket_type,
        r.channel,
        r.solve,
        r.score,
        r.status,
        r.guest_id,
        r.guest_name,
        r.closed_by_id,
    )


def _upsert_chunk(conn: sqlite3.Connection, chunk: list[TicketRecord], next_seq: int) -> int:
    """Insert new tickets with fresh seqs, update existing ones in place; return the next seq."""
    marks = ", ".join("?" for _ in chunk)
    existing = {
        ticket_id: (seq, helpdesk_id)
        for ticket_id, seq, helpdesk_id in conn.execute(
            f"SELECT ticket_id, seq, helpdesk_id FROM tickets WHERE ticket_id IN ({marks})",
            [r.ticket_id for r in chunk],
        )
    }
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    links_of: list[tuple[int]] = []
    bodies: list[tuple[int, bytes]] = []
    new_per_helpdesk: dict[str, int] = {}
    agents: list[tuple[str, int]] = []
    tags: list[tuple[str, int]] = []
    for record in chunk:
        found = existing.get(record.ticket_id)
        if found is None:
            seq, next_seq = next_seq, next_seq + 1
            inserts.append((seq, *_columns(record)))
            new_per_helpdesk[record.helpdesk_id] = new_per_helpdesk.get(record.helpdesk_id, 0) + 1
        elif found[1] != record.helpdesk_id:
            raise ConflictError(f"ticket {record.ticket_id} belongs to another helpdesk")
        else:
            seq = found[0]
            updates.append((*_columns(record), seq))
            links_of.append((seq,))
        bodies.append((seq, record.body))
        agents.extend((agent_id, seq) for agent_id in record.agent_ids)
        tags.extend((name, seq) for name in record.tag_names)
    conn.executemany(_INSERT_TICKET, inserts)
    conn.executemany("INSERT OR REPLACE INTO ticket_bodies VALUES (?, ?)", bodies)
    conn.executemany(_COUNT_NEW, new_per_helpdesk.items())
    conn.executemany(
        "INSERT OR IGNORE INTO guest_names VALUES (?, ?)",
        {(r.helpdesk_id, r.guest_name) for r in chunk if r.guest_name is not None},
    )
    conn.executemany(_UPDATE_TICKET, updates)
    conn.executemany("DELETE FROM ticket_agents WHERE seq = ?", links_of)
    conn.executemany("DELETE FROM ticket_tags WHERE seq = ?", links_of)
    conn.executemany("INSERT OR IGNORE INTO ticket_agents VALUES (?, ?)", agents)
    conn.executemany("INSERT OR IGNORE INTO ticket_tags VALUES (?, ?)", tags)
    return next_seq


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
