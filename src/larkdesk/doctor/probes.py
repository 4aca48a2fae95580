"""Read-only connections to a database for the doctor: the few questions whose SQL differs
between SQLite and PostgreSQL (integrity, indexes, size), the rest through `one`/`all`."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..store.location import Location, PostgresLocation, SqliteLocation


class DoctorError(Exception):
    """The database cannot be opened at all."""


class Probe(Protocol):
    backend: str  # "sqlite" or "postgres", as the migration folders are named

    @property
    def name(self) -> str:
        """What the report calls the database (a URL without its password)."""
        ...

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...
    def tables(self) -> set[str]: ...
    def indexes(self) -> set[str]: ...
    def size(self) -> dict[str, int]: ...
    def integrity(self) -> list[str] | None:
        """The problems an integrity check found ([] none), or None where there is none."""
        ...

    def close(self) -> None: ...


@dataclass
class SqliteProbe:
    path: Path
    conn: sqlite3.Connection
    backend: str = "sqlite"

    @property
    def name(self) -> str:
        return str(self.path)

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def tables(self) -> set[str]:
        return {row[0] for row in self.all("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def indexes(self) -> set[str]:
        return {row[0] for row in self.all("SELECT name FROM sqlite_master WHERE type = 'index'")}

    def size(self) -> dict[str, int]:
        sizes = {"database": self.path.stat().st_size}
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists():
            sizes["wal"] = wal.stat().st_size
        return sizes

    def integrity(self) -> list[str] | None:
        rows = [str(row[0]) for row in self.all("PRAGMA integrity_check(20)")]
        return [] if rows == ["ok"] else rows

    def close(self) -> None:
        self.conn.close()


@dataclass
class PostgresProbe:
    location: PostgresLocation
    conn: Any  # psycopg.Connection
    backend: str = "postgres"

    @property
    def name(self) -> str:
        return self.location.redacted()

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql.replace("?", "%s"), params).fetchall())

    def tables(self) -> set[str]:
        rows = self.all(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {row[0] for row in rows}

    def indexes(self) -> set[str]:
        rows = self.all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in rows}

    def size(self) -> dict[str, int]:
        rows = self.all(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
        )
        return {"tables and indexes": int(rows[0][0])}

    def integrity(self) -> list[str] | None:
        return None  # PostgreSQL checks its pages itself (and amcheck is an extension)

    def close(self) -> None:
        self.conn.close()


def open_probe(location: Location) -> Probe:
    """A read-only connection to the database at `location`; DoctorError when there is none."""
    if isinstance(location, PostgresLocation):
        return _open_postgres(location)
    return _open_sqlite(location)


def _open_sqlite(location: SqliteLocation) -> SqliteProbe:
    path = Path(location.path)
    if location.path == ":memory:" or not path.is_file():
        raise DoctorError(f"{location.path}: no such database file")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DoctorError(f"{location.path}: {exc}") from None
    return SqliteProbe(path, conn)


def _open_postgres(location: PostgresLocation) -> PostgresProbe:
    import psycopg

    try:
        conn = psycopg.connect(location.url, autocommit=True, connect_timeout=10)
        conn.execute("SET default_transaction_read_only = on")
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        raise DoctorError(f"{location.redacted()}: {reason}") from None
    return PostgresProbe(location, conn)
