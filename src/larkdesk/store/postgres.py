"""The store at scale: PostgreSQL through a psycopg 3 connection pool.

Same tables as SQLite (so `larkdesk migrate` copies rows one to one), PostgreSQL's own
migrations and indexes (btree for order and windows, GIN trigram on the guest names).
Connections are in autocommit mode: a read is one statement, a write one explicit
transaction. Bulk writes send whole columns as arrays (`unnest`), one statement per
table and chunk. Several workers on several machines may write at once: ticket seqs
come from an identity, and a rewrite locks the tickets it replaces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cache, lru_cache
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from ..metrics import timed_store
from .base import ConflictError, DuplicateKeyError, StoreBusy, TicketPage, TicketQuery
from .filters import POSTGRES, without_nul
from .migrations import apply_pending, load_migrations
from .pg_notices import EventNotices
from .pg_plans import plan
from .pg_snapshot import SnapshotCounter, several_hosts
from .sql import KEEP, REPLACE, Row, Sql, Table
from .sqlstore import SqlStore

T = TypeVar("T")
P = ParamSpec("P")

MIGRATION_LOCK = 0x6C61726B  # pg_advisory_xact_lock key: one migrator at a time ("lark")
POOL_TIMEOUT_SECONDS = 30.0
LOCK_TIMEOUT = "10s"  # a write waiting this long for a row lock gives up: StoreBusy
_ORDER = "ORDER BY created_at DESC, ticket_id DESC"
_ORDER_T = "ORDER BY t.created_at DESC, t.ticket_id DESC"


@lru_cache(maxsize=4096)
def pg(sql: str) -> str:
    """A statement written with `?` placeholders, in psycopg's `%s` style."""
    return sql.replace("%", "%%").replace("?", "%s")


def _on_conflict(table: Table, conflict: str) -> str:
    if conflict == KEEP:
        return "ON CONFLICT DO NOTHING"
    if conflict == REPLACE:
        changed = [name for name in table.names if name not in table.key]
        sets = ", ".join(f"{name} = excluded.{name}" for name in changed)
        return f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {sets}"
    return pg(conflict)


@cache
def _insert(table: Table, conflict: str) -> str:
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in table.columns)
    return (
        f"INSERT INTO {table.name} ({', '.join(table.names)})"
        f" SELECT * FROM unnest({arrays}) {_on_conflict(table, conflict)}"
    )


@cache
def _update(table: Table, key: str) -> str:
    arrays = ", ".join(f"%s::{kind}[]" for kind in ("bigint", *(k for _, k in table.columns)))
    sets = ", ".join(f"{name} = u.{name}" for name in table.names)
    return (
        f"UPDATE {table.name} t SET {sets} FROM unnest({arrays})"
        f" AS u({key}, {', '.join(table.names)}) WHERE t.{key} = u.{key}"
    )


def _columns(rows: Sequence[Row], width: int) -> list[list[Any]]:
    """Rows turned into one list per column, for `unnest(%s::type[], ...)`."""
    return [[row[i] for row in rows] for i in range(width)]


class PostgresSql:
    """`Sql` on a psycopg connection: batches as whole columns through `unnest`, one
    statement per batch; rows about to be rewritten are locked (`FOR UPDATE`)."""

    __slots__ = ("conn",)
    for_update = " FOR UPDATE"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def one(self, sql: str, params: Row = ()) -> tuple[Any, ...] | None:
        return self.conn.execute(pg(sql), params).fetchone()

    def all(self, sql: str, params: Row = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(pg(sql), params).fetchall()

    def run(self, sql: str, params: Row = ()) -> int:
        return self.conn.execute(pg(sql), params).rowcount

    def insert_rows(self, table: Table, rows: Sequence[Row], conflict: str = "") -> None:
        if rows:
            self.conn.execute(_insert(table, conflict), _columns(rows, len(table.columns)))

    def update_rows(self, table: Table, key: str, rows: Sequence[Row]) -> None:
        # The key is typed bigint: every table updated by key is keyed by a ticket's seq.
        if rows:
            self.conn.execute(_update(table, key), _columns(rows, len(table.columns) + 1))

    def delete_where(self, table: str, column: str, values: Sequence[Any]) -> None:
        if values:
            self.conn.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (list(values),))

    def next_ticket_seqs(self, count: int) -> list[int]:
        if not count:
            return []
        rows = self.conn.execute(
            "SELECT nextval(pg_get_serial_sequence('tickets', 'seq')) FROM generate_series(1, %s)",
            (count,),
        )
        return [row[0] for row in rows]

    # PostgreSQL's per-ticket tables hold the helpdesk id itself.
    def helpdesk_key(self, helpdesk_id: str) -> str:
        return helpdesk_id

    def new_helpdesk_key(self, helpdesk_id: str) -> str:
        return helpdesk_id

    def helpdesk_of(self, key: Any) -> str:
        return str(key)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()})


class PostgresStore(SqlStore):
    """`Store` on a PostgreSQL database (a `postgresql://` URL)."""

    dialect = POSTGRES
    upsert_chunk = 2000

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self._counters: list[SnapshotCounter] = []
        # One plain connection first: an unreachable server fails here, at once and with
        # libpq's own reason, rather than as a pool timeout; and the schema is migrated
        # before any pooled connection is used.
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            self._migrate(conn)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            kwargs={"autocommit": True},
            configure=_configure,
            timeout=POOL_TIMEOUT_SECONDS,
            name="larkdesk",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=POOL_TIMEOUT_SECONDS)
        except Exception:
            self._pool.close()
            raise

    # -- plumbing -------------------------------------------------------------

    def _read(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        with timed_store(work.__name__), self._pool.connection() as conn:
            return work(PostgresSql(conn), *args, **kw)

    def _write(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        try:
            with timed_store(work.__name__), self._pool.connection() as conn, conn.transaction():
                return work(PostgresSql(conn), *args, **kw)
        except psycopg.errors.LockNotAvailable as exc:  # lock_timeout: an import, say
            raise StoreBusy(str(exc)) from None
        except psycopg.errors.UniqueViolation as exc:  # another worker wrote the key first
            raise DuplicateKeyError(f"already stored: {exc.diag.message_detail or exc}") from None
        except psycopg.DataError as exc:  # NUL in text, an integer beyond bigint, ...
            raise ConflictError(f"PostgreSQL cannot store this: {exc}") from None

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database; return the versions applied."""
        with self._pool.connection() as conn:
            return self._migrate(conn)

    @staticmethod
    def _migrate(conn: psycopg.Connection[Any]) -> list[int]:
        if _read_only(conn):  # a read replica, say: check the schema, change nothing
            latest = max(m.version for m in load_migrations("postgres"))
            if _schema_version(conn) < latest:
                raise psycopg.OperationalError(
                    f"the database is read-only and its schema is older than version {latest}:"
                    " start larkdesk once on the primary to migrate it"
                )
            return []
        with conn.transaction():
            # Several workers may start at once: one migrates, the others wait, then see it.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            # A migration is several statements without parameters: sent as bytes, psycopg
            # passes it on as one simple query.
            return apply_pending(
                "postgres", PostgresSql(conn), lambda sql: conn.execute(sql.encode("utf-8"))
            )

    def schema_version(self) -> int:
        with self._pool.connection() as conn:
            return _schema_version(conn)

    def close(self) -> None:
        for counter in self._counters:
            counter.close()
        self._pool.close()

    def _after_big_write(self) -> None:
        # Don't leave a bulk write's plans to autovacuum's timing; VACUUM also sets the
        # visibility map, which lets the INCLUDE (seq) indexes count without the table.
        with self._pool.connection() as conn:  # autocommit: VACUUM runs outside a transaction
            conn.execute(
                "VACUUM (ANALYZE) tickets, ticket_agents, ticket_tags, agent_tickets, tag_tickets"
            )

    def event_notices(self, wake: Callable[[], None]) -> EventNotices:
        """LISTEN for other workers' outbox writes; `wake` for each (store/pg_notices.py)."""
        return EventNotices(self.url, wake)

    def awaited_change_counter(self) -> Callable[[], Awaitable[str | None]] | None:
        """An async function answering the cluster's current snapshot (`pg_snapshot`):
        equal answers, no commit in between. None for a URL naming several servers."""
        if several_hosts(self.url):
            return None
        counter = SnapshotCounter(self.url)
        self._counters.append(counter)  # closed with the store
        return counter

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        with timed_store("list_tickets"):
            return self._list_tickets(helpdesk_id, query)

    def _list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        searchable = without_nul(query)
        if searchable is None:
            return TicketPage(total=0)
        found = plan(helpdesk_id, searchable)
        with self._pool.connection() as conn:
            # Both statements in one round trip (pipeline mode); a page past the end just
            # comes back empty.
            with conn.pipeline():
                counted = conn.execute(pg(found.count), found.count_params)
                page = conn.execute(
                    f"SELECT b.body FROM (SELECT seq, created_at, ticket_id FROM {pg(found.rows)}"
                    f" {_ORDER} LIMIT %s OFFSET %s) t"
                    f" JOIN ticket_bodies b ON b.seq = t.seq {_ORDER_T}",
                    [*found.params, query.page_size, query.offset],
                    binary=True,
                )
            row = counted.fetchone()
            bodies = page.fetchall()
        total = int(row[0]) if row else 0  # no kept count row: no such agent or tag
        if not bodies:
            return TicketPage(total=total)
        return TicketPage(total=total, tickets=[bytes(body) for (body,) in bodies])


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Each pooled connection: a write waits for a row lock at most LOCK_TIMEOUT (as
    SQLite's busy_timeout), rather than holding its request open for as long as an import
    holds the rows."""
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")


def _read_only(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
    ).fetchone()
    return bool(row and row[0])


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    if conn.execute("SELECT to_regclass('schema_migrations')").fetchone() == (None,):
        return 0
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0) if row else 0
