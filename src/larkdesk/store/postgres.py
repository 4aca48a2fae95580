"""The store at scale: PostgreSQL through a psycopg 3 connection pool.

Same tables as SQLite (so `larkdesk migrate` copies rows one to one), PostgreSQL's own
migrations and indexes (btree for order and windows, GIN trigram on the guest names).
Connections are in autocommit mode: a read is one statement, a write one explicit
transaction. Bulk writes send whole columns as arrays (`unnest`), one statement per
table and chunk. Several workers on several machines may write at once: ticket seqs
come from an identity, and a rewrite locks the tickets it replaces.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

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
    SYNC_STATE_COLUMNS,
    Dialect,
    save_sync_state_statement,
    scan_statement,
    where_clause,
)
from .migrations import load_migrations
from .postgres_lifecycle import PostgresLifecycle

# The casefolded needle is matched with LIKE (which the trigram index serves), its own
# LIKE metacharacters escaped first so that `guest_name=50%_off` means those characters.
POSTGRES = Dialect(
    placeholder="%s",
    substring=(
        "{col} LIKE '%%' || replace(replace(replace({p}, '\\', '\\\\'), '%%', '\\%%'),"
        " '_', '\\_') || '%%'"
    ),
    guest_names_table=True,
)

UPSERT_CHUNK = 2000  # tickets per statement batch
# Writes of this many tickets refresh the planner's statistics and the visibility map
# (which lets the INCLUDE (seq) indexes answer counts without reading the table).
VACUUM_AFTER = 10_000
MIGRATION_LOCK = 0x6C61726B  # pg_advisory_xact_lock key: one migrator at a time ("lark")
POOL_TIMEOUT_SECONDS = 30.0

_INSERT_TICKETS = (
    "INSERT INTO tickets (seq, ticket_id, helpdesk_id, created_at, updated_at, ticket_type,"
    " channel, solve, score, status, guest_id, guest_name, closed_by_id)"
    " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::bigint[],"
    " %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],"
    " %s::text[], %s::text[])"
)
_UPDATE_TICKETS = (
    "UPDATE tickets t SET created_at = u.created_at, updated_at = u.updated_at,"
    " ticket_type = u.ticket_type, channel = u.channel, solve = u.solve, score = u.score,"
    " status = u.status, guest_id = u.guest_id, guest_name = u.guest_name,"
    " closed_by_id = u.closed_by_id"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],"
    " %s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[])"
    " AS u(seq, created_at, updated_at, ticket_type, channel, solve, score, status, guest_id,"
    " guest_name, closed_by_id) WHERE t.seq = u.seq"
)
_UPSERT_BODIES = (
    "INSERT INTO ticket_bodies (seq, body) SELECT * FROM unnest(%s::bigint[], %s::bytea[])"
    " ON CONFLICT (seq) DO UPDATE SET body = excluded.body"
)
_COUNT_NEW = (
    "INSERT INTO helpdesk_ticket_counts (helpdesk_id, tickets)"
    " SELECT * FROM unnest(%s::text[], %s::bigint[]) ON CONFLICT (helpdesk_id)"
    " DO UPDATE SET tickets = helpdesk_ticket_counts.tickets + excluded.tickets"
)
_ORDER = "ORDER BY created_at DESC, ticket_id DESC"
_ORDER_T = "ORDER BY t.created_at DESC, t.ticket_id DESC"


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()})


class PostgresStore(PostgresLifecycle):
    """`Store` on a PostgreSQL database (a `postgresql://` URL); the lifecycle methods in
    `postgres_lifecycle`."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
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

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._pool.connection() as conn, conn.transaction():
            yield conn

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
        applied = []
        with conn.transaction():
            # Several workers may start at once: one migrates, the others wait, then see it.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for migration in load_migrations("postgres"):
                if migration.version in done:
                    continue
                conn.execute(migration.sql.encode("utf-8"))  # several statements, no params
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
        return applied

    def schema_version(self) -> int:
        with self._read() as conn:
            return _schema_version(conn)

    def close(self) -> None:
        self._pool.close()

    def is_empty(self) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM tenants LIMIT 1").fetchone() is None

    def _one(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        with self._read() as conn:
            return conn.execute(sql, params).fetchone()

    # -- identities -----------------------------------------------------------

    def create_tenant(self, tenant: Tenant) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO tenants VALUES (%s, %s)", (tenant.tenant_key, tenant.name))

    def get_tenant(self, tenant_key: str) -> Tenant | None:
        row = self._one("SELECT tenant_key, name FROM tenants WHERE tenant_key = %s", (tenant_key,))
        return Tenant(*row) if row else None

    def create_app(self, app: App) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO apps VALUES (%s, %s, %s, %s, %s)",
                (app.app_id, app.tenant_key, app.name, app.secret_hash, " ".join(app.scopes)),
            )

    def get_app(self, app_id: str) -> App | None:
        row = self._one(
            "SELECT app_id, tenant_key, name, secret_hash, scopes FROM apps WHERE app_id = %s",
            (app_id,),
        )
        return App(row[0], row[1], row[2], row[3], tuple(row[4].split())) if row else None

    def create_helpdesk(self, helpdesk: Helpdesk) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO helpdesks VALUES (%s, %s, %s, %s)",
                (helpdesk.helpdesk_id, helpdesk.tenant_key, helpdesk.name, helpdesk.token_hash),
            )

    def get_helpdesk(self, helpdesk_id: str) -> Helpdesk | None:
        row = self._one(
            "SELECT helpdesk_id, tenant_key, name, token_hash FROM helpdesks"
            " WHERE helpdesk_id = %s",
            (helpdesk_id,),
        )
        return Helpdesk(*row) if row else None

    def upsert_users(self, users: Iterable[User]) -> None:
        rows = {u.user_id: u for u in users}.values()  # one row per id, the last one wins
        columns = ("user_id", "tenant_key", "name", "email", "department", "city", "country")
        arrays = [[getattr(u, c) for u in rows] for c in (*columns, "avatar_url")]
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO users SELECT * FROM unnest(%s::text[], %s::text[], %s::text[],"
                " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[])"
                " ON CONFLICT (user_id) DO UPDATE SET tenant_key = excluded.tenant_key,"
                " name = excluded.name, email = excluded.email,"
                " department = excluded.department, city = excluded.city,"
                " country = excluded.country, avatar_url = excluded.avatar_url",
                arrays,
            )

    # -- access tokens --------------------------------------------------------

    def save_token(self, token: IssuedToken) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO access_tokens VALUES (%s, %s, %s, %s)",
                (token.token_hash, token.app_id, token.kind, token.expires_at_ms),
            )

    def find_token(self, token_hash: str) -> IssuedToken | None:
        row = self._one(
            "SELECT token_hash, app_id, kind, expires_at_ms FROM access_tokens"
            " WHERE token_hash = %s",
            (token_hash,),
        )
        return IssuedToken(*row) if row else None

    def purge_tokens(self, now_ms: int) -> int:
        with self._transaction() as conn:
            return conn.execute(
                "DELETE FROM access_tokens WHERE expires_at_ms < %s", (now_ms,)
            ).rowcount

    # -- tickets --------------------------------------------------------------

    def upsert_tickets(self, records: Iterable[TicketRecord]) -> int:
        count = 0
        try:
            with self._transaction() as conn:
                for chunk in _chunks(records, UPSERT_CHUNK):
                    _upsert_chunk(conn, chunk)
                    count += len(chunk)
        except psycopg.DataError as exc:  # NUL in text, an integer beyond bigint, ...
            raise ConflictError(f"PostgreSQL cannot store this ticket: {exc}") from None
        if count >= VACUUM_AFTER:  # don't leave a bulk load's plans to autovacuum's timing
            with self._read() as conn:  # (autocommit: VACUUM runs outside a transaction)
                conn.execute("VACUUM (ANALYZE) tickets, ticket_agents, ticket_tags")
        return count

    def _write_records(self, conn: psycopg.Connection[Any], records: list[TicketRecord]) -> None:
        _upsert_chunk(conn, records)

    def load_tickets(self, records: Iterable[TicketRecord]) -> int:
        return self.upsert_tickets(distinct_ids(records))  # COPY-based loading: not yet

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        searchable = _without_nul(query)
        if searchable is None:
            return TicketPage(total=0)
        where, params = where_clause(helpdesk_id, searchable, POSTGRES)
        if len(params) == 1:  # no filter but the helpdesk: the kept count
            count = "SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = %s"
        else:
            count = f"SELECT count(*) FROM tickets {where}"
        with self._read() as conn:
            # Both statements in one round trip (pipeline mode); a page past the end just
            # comes back empty.
            with conn.pipeline():
                counted = conn.execute(count, params)
                page = conn.execute(
                    "SELECT b.body FROM (SELECT seq, created_at, ticket_id FROM tickets"
                    f" {where} {_ORDER} LIMIT %s OFFSET %s) t"
                    f" JOIN ticket_bodies b ON b.seq = t.seq {_ORDER_T}",
                    [*params, query.page_size, query.offset],
                    binary=True,
                )
            row = counted.fetchone()
            bodies = page.fetchall()
        total = int(row[0]) if row else 0
        if not bodies:
            return TicketPage(total=total)
        return TicketPage(total=total, tickets=[bytes(body) for (body,) in bodies])

    def count_tickets(self, helpdesk_id: str) -> int:
        row = self._one(
            "SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = %s", (helpdesk_id,)
        )
        return int(row[0]) if row else 0

    def scan_tickets(
        self,
        helpdesk_id: str,
        query: TicketQuery,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> list[ScannedTicket]:
        searchable = _without_nul(query)
        if searchable is None:
            return []
        sql, params = scan_statement(helpdesk_id, searchable, after, limit, POSTGRES)
        with self._read() as conn:
            rows = conn.execute(sql, params, binary=True).fetchall()
        return [ScannedTicket(int(at), str(tid), bytes(body)) for at, tid, body in rows]

    # -- sync bookkeeping -----------------------------------------------------

    def get_sync_state(self, helpdesk_id: str) -> SyncState | None:
        row = self._one(
            f"SELECT {SYNC_STATE_COLUMNS} FROM sync_state WHERE helpdesk_id = %s", (helpdesk_id,)
        )
        return SyncState(*row) if row else None

    def save_sync_state(self, state: SyncState) -> None:
        with self._transaction() as conn:
            conn.execute(save_sync_state_statement(POSTGRES), dataclasses.astuple(state))


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


def _without_nul(query: TicketQuery) -> TicketQuery | None:
    """The query without values that no stored text can equal (PostgreSQL text has no NUL
    character); None when nothing can match at all."""
    single = ("ticket_id", "agent_id", "closed_by_id", "guest_name", "guest_id")
    if any("\x00" in (getattr(query, name) or "") for name in single):
        return None
    if not any("\x00" in tag for tag in query.tags):
        return query
    tags = tuple(tag for tag in query.tags if "\x00" not in tag)
    return dataclasses.replace(query, tags=tags) if tags else None


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


_FILTER_COLUMNS = (
    "created_at",
    "updated_at",
    "ticket_type",
    "channel",
    "solve",
    "score",
    "status",
    "guest_id",
    "guest_name",
    "closed_by_id",
)


def _arrays(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows turned into one list per column, for `unnest(%s::type[], ...)`."""
    return [[row[i] for row in rows] for i in range(width)] if rows else [[]] * width


def _upsert_chunk(conn: psycopg.Connection[Any], chunk: list[TicketRecord]) -> None:
    """Insert new tickets with fresh seqs, update existing ones in place (rows locked)."""
    existing = {
        ticket_id: (seq, helpdesk_id)
        for ticket_id, seq, helpdesk_id in conn.execute(
            "SELECT ticket_id, seq, helpdesk_id FROM tickets WHERE ticket_id = ANY(%s)"
            " ORDER BY ticket_id FOR UPDATE",
            ([r.ticket_id for r in chunk],),
        )
    }
    new = [r for r in chunk if r.ticket_id not in existing]
    seqs = iter(
        row[0]
        for row in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('tickets', 'seq')) FROM generate_series(1, %s)",
            (len(new),),
        )
    )
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    bodies: list[tuple[int, bytes]] = []
    links: list[tuple[str, int]] = []
    tags: list[tuple[str, int]] = []
    new_per_helpdesk: dict[str, int] = {}
    for record in chunk:
        found = existing.get(record.ticket_id)
        filters = tuple(getattr(record, column) for column in _FILTER_COLUMNS)
        if found is None:
            seq = next(seqs)
            inserts.append((seq, record.ticket_id, record.helpdesk_id, *filters))
            new_per_helpdesk[record.helpdesk_id] = new_per_helpdesk.get(record.helpdesk_id, 0) + 1
        elif found[1] != record.helpdesk_id:
            raise ConflictError(f"ticket {record.ticket_id} belongs to another helpdesk")
        else:
            seq = found[0]
            updates.append((seq, *filters))
        bodies.append((seq, record.body))
        links.extend((agent_id, seq) for agent_id in record.agent_ids)
        tags.extend((name, seq) for name in record.tag_names)
    if inserts:
        conn.execute(_INSERT_TICKETS, _arrays(inserts, 13))
        conn.execute(_COUNT_NEW, _arrays(list(new_per_helpdesk.items()), 2))
    if updates:
        conn.execute(_UPDATE_TICKETS, _arrays(updates, 11))
        rewritten = [row[0] for row in updates]
        conn.execute("DELETE FROM ticket_agents WHERE seq = ANY(%s)", (rewritten,))
        conn.execute("DELETE FROM ticket_tags WHERE seq = ANY(%s)", (rewritten,))
    conn.execute(_UPSERT_BODIES, _arrays(bodies, 2))
    names = sorted({(r.helpdesk_id, r.guest_name) for r in chunk if r.guest_name is not None})
    if names:
        conn.execute(
            "INSERT INTO guest_names SELECT * FROM unnest(%s::text[], %s::text[])"
            " ON CONFLICT DO NOTHING",
            _arrays(names, 2),
        )
    if links:
        conn.execute(
            "INSERT INTO ticket_agents SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT DO NOTHING",
            _arrays(links, 2),
        )
    if tags:
        conn.execute(
            "INSERT INTO ticket_tags SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT DO NOTHING",
            _arrays(tags, 2),
        )
