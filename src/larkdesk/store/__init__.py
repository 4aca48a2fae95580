"""Stores: where larkdesk keeps its data. `open_store` picks the backend from a path or URL."""

from __future__ import annotations

from .base import Store


def open_store(db: str) -> Store:
    """Open (creating and migrating as needed) the store named by a path or URL."""
    if is_postgres_url(db):
        from .postgres import PostgresStore

        return PostgresStore(db)
    from .sqlite import SQLiteStore

    return SQLiteStore(db.removeprefix("sqlite:"))


def is_postgres_url(db: str) -> bool:
    """True when `db` names a PostgreSQL database rather than a SQLite file."""
    return db.startswith(("postgresql://", "postgres://"))
