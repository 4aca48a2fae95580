"""Stores: where larkdesk keeps its data. `open_store` picks the backend from a path or URL."""

from __future__ import annotations

from .base import Store


class StoreUnavailable(Exception):
    """The database named cannot be opened; the message says why (never a password)."""


def open_store(db: str) -> Store:
    """Open (creating and migrating as needed) the store named by a path or URL."""
    if is_postgres_url(db):
        import psycopg

        from .postgres import PostgresStore, redact

        try:
            return PostgresStore(db)
        except psycopg.OperationalError as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines()) or repr(exc)
            raise StoreUnavailable(f"cannot open {redact(db)}: {reason}") from None
    from .sqlite import SQLiteStore

    return SQLiteStore(db.removeprefix("sqlite:"))


def is_postgres_url(db: str) -> bool:
    """True when `db` names a PostgreSQL database rather than a SQLite file."""
    return db.startswith(("postgresql://", "postgres://"))
