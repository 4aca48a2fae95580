"""Stores: where larkdesk keeps its data. `open_store` picks the backend from a path or URL."""

from __future__ import annotations

from .base import Store


def open_store(db: str) -> Store:
    """Open (creating and migrating as needed) the store named by a path or URL."""
    if db.startswith(("postgresql://", "postgres://")):
        raise NotImplementedError("PostgreSQL support is not built yet; use a SQLite path")
    from .sqlite import SQLiteStore

    return SQLiteStore(db.removeprefix("sqlite:"))
