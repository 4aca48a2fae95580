"""Row-level access for copying a whole database to PostgreSQL (`larkdesk migrate`).

Both backends keep the same tables and columns (PostgreSQL's migrations mirror SQLite's),
so a copy is table by table, row for row, no model in between: whatever a later migration
adds (lifecycle tables, say) is copied too. Tables with a `seq` column belong to tickets
and are copied with them, in seq order, one transaction per chunk, so the target's highest
ticket seq is where an interrupted copy resumes. Derived tables (kept counts, name
indexes) are not copied but rebuilt in the target from what was copied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from .body_codec import unpack

# Kept by every write from the tickets table; rebuilt after a copy (target) or skipped
# (source only). Each target-side one has its rebuild statement here.
DERIVED_TABLES = frozenset({"helpdesk_ticket_counts", "guest_names"})
_REBUILD = {
    "helpdesk_ticket_counts": (
        "INSERT INTO helpdesk_ticket_counts (helpdesk_id, tickets)"
        " SELECT helpdesk_id, count(*) FROM tickets GROUP BY helpdesk_id"
    ),
    "guest_names": (
        "INSERT INTO guest_names (helpdesk_id, guest_name) SELECT DISTINCT helpdesk_id,"
        " guest_name FROM tickets WHERE guest_name IS NOT NULL"
    ),
}
BOOKKEEPING_TABLES = frozenset(
    {"schema_migrations", "import_runs", "import_undo", "event_connections"}
)
# The agent and tag filters in list order, kept by triggers from the link tables on both
# sides (SQLite's 0003, PostgreSQL's 0020): not copied, the target's triggers fill them
# as ticket_agents / ticket_tags are copied.
# FTS5's FAQ search index (migration 0011) and its shadow tables: PostgreSQL indexes the
# column itself (pg_trgm).
SQLITE_ONLY_TABLES = frozenset(
    {"agent_tickets", "tag_tickets", "body_dicts", "helpdesk_keys"}
    | {f"faq_search{part}" for part in ("", "_data", "_idx", "_docsize", "_config")}
)
# The copied tables whose helpdesk_id holds SQLite's helpdesk key (store/helpdesk_keys.py;
# agent_tickets, tag_tickets and guest_names do too, but are not copied).
KEYED_TABLES = frozenset({"tickets", "metric_counts", "metric_durations"})
FETCH_ROWS = 5000

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]

    @property
    def per_ticket(self) -> bool:
        """Rows that belong to one ticket (by seq), copied in the ticket's chunk."""
        return "seq" in self.columns


class SQLiteSource:
    """Read a larkdesk SQLite file, read-only, table by table."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self) -> None:
        self._conn.close()

    def _column(self, table: str, column: str) -> str:
        """The column's SQL: `helpdesk_id` holds the helpdesk's key in these tables since
        SQLite's migration 0025 (`helpdesk_keys`), and PostgreSQL's hold the id."""
        if table in KEYED_TABLES and column == "helpdesk_id" and self._keyed():
            return (
                f'(SELECT k.helpdesk_id FROM helpdesk_keys k WHERE k.key = "{table}".helpdesk_id)'
            )
        return f'"{column}"'

    def _keyed(self) -> bool:
        found = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'helpdesk_keys'"
        ).fetchone()
        return found is not None

    def tables(self) -> list[Table]:
        """Data tables to copy, in creation order (parents before the tables that refer
        to them), without bookkeeping and derived ones."""
        names = [
            row[0]
            for row in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        return [
            Table(name, tuple(col[1] for col in self._conn.execute(f'PRAGMA table_info("{name}")')))
            for name in names
            if name not in BOOKKEEPING_TABLES | DERIVED_TABLES | SQLITE_ONLY_TABLES
        ]

    def count(self, table: str) -> int:
        return int(self._conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def kept_ticket_counts(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT helpdesk_id, tickets FROM helpdesk_ticket_counts"))

    def ticket_seqs_after(self, seq: int, limit: int) -> list[int]:
        """The next `limit` ticket seqs above `seq`, ascending."""
        return [
            row[0]
            for row in self._conn.execute(
                "SELECT seq FROM tickets WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
        ]

    def rows(
        self, table: Table, seq_after: int | None = None, seq_upto: int | None = None
    ) -> Iterator[list[Row]]:
        """The table's rows in chunks; for a per-ticket table only seqs in (after, upto]."""
        columns = ", ".join(self._column(table.name, c) for c in table.columns)
        query = f'SELECT {columns} FROM "{table.name}"'
        params: list[int] = []
        if seq_after is not None and seq_upto is not None:
            query += " WHERE seq > ? AND seq <= ?"
            params = [seq_after, seq_upto]
        cursor = self._conn.execute(query, params)
        while chunk := cursor.fetchmany(FETCH_ROWS):
            if table.name == "ticket_bodies":  # compressed on SQLite only (body_codec)
                chunk = [(seq, unpack(body, self._conn)) for seq, body in chunk]
            yield chunk


class PostgresTarget:
    """Write copied rows into a (migrated) larkdesk PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        self._conn.close()

    def columns(self) -> dict[str, tuple[str, ...]]:
        """Every table of the target's schema and its columns."""
        found: dict[str, list[str]] = {}
        for table, column in self._conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            found.setdefault(table, []).append(column)
        return {table: tuple(columns) for table, columns in found.items()}

    def count(self, table: str) -> int:
        row = self._conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()
        return int(row[0]) if row else 0

    def max_ticket_seq(self) -> int:
        row = self._conn.execute("SELECT coalesce(max(seq), 0) FROM tickets").fetchone()
        return int(row[0]) if row else 0

    def tenant_keys(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT tenant_key FROM tenants")}

    def merge(self, table: Table, rows: Sequence[Row]) -> None:
        """Add rows whose keys are not in the table yet (a re-run adds nothing twice)."""
        scratch = sql.Identifier(f"larkdesk_copy_{table.name}")
        with self._conn.transaction():
            self._conn.execute(
                sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
                    scratch, sql.Identifier(table.name)
                )
            )
            self._copy(scratch, table.columns, rows)
            names = _names(table.columns)
            self._conn.execute(
                sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING").format(
                    sql.Identifier(table.name), names, names, scratch
                )
            )

    def append(
        self, batches: Sequence[tuple[Table, Sequence[Row]]], seq_after: int, seq_upto: int
    ) -> None:
        """Write the rows of tickets with seqs in (after, upto], all above the target's
        highest, in one transaction that also keeps the derived tables up to date."""
        with self._conn.transaction():
            for table, rows in batches:
                self._copy(sql.Identifier(table.name), table.columns, rows)
            self._conn.execute(
                "INSERT INTO helpdesk_ticket_counts (helpdesk_id, tickets)"
                " SELECT helpdesk_id, count(*) FROM tickets WHERE seq > %s AND seq <= %s"
                " GROUP BY helpdesk_id ON CONFLICT (helpdesk_id)"
                " DO UPDATE SET tickets = helpdesk_ticket_counts.tickets + excluded.tickets",
                (seq_after, seq_upto),
            )
            self._conn.execute(
                "INSERT INTO guest_names (helpdesk_id, guest_name) SELECT DISTINCT helpdesk_id,"
                " guest_name FROM tickets WHERE seq > %s AND seq <= %s"
                " AND guest_name IS NOT NULL ON CONFLICT DO NOTHING",
                (seq_after, seq_upto),
            )

    def _copy(self, target: sql.Identifier, columns: Sequence[str], rows: Sequence[Row]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, _names(columns))
        with self._conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        """Rebuild derived tables, move identities past the copied keys, then VACUUM (ANALYZE)
        for planner statistics and the visibility map (index-only scans)."""
        present = self.columns()
        with self._conn.transaction():
            for table, rebuild in _REBUILD.items():
                if table in present:
                    self._conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                    self._conn.execute(rebuild.encode())
            for table, column in self._conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
                " AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')"
            ).fetchall():
                self._conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), max({}))"
                        " FROM {} HAVING max({}) IS NOT NULL"
                    ).format(sql.Identifier(column), sql.Identifier(table), sql.Identifier(column)),
                    (table, column),
                )
        self._conn.execute("VACUUM (ANALYZE)")

    def kept_ticket_counts(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT helpdesk_id, tickets FROM helpdesk_ticket_counts"))


def _names(columns: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(c) for c in columns)
