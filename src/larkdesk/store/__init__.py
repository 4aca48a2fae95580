"""Stores: where larkdesk keeps its data. `open_store` picks the backend from the location
`parse_location` makes of a path or URL."""

from __future__ import annotations

from .base import Store
from .location import (
    InvalidLocation,
    Location,
    PostgresLocation,
    SqliteLocation,
    StoreUnavailable,
    is_postgres,
    parse_location,
)

__all__ = [
    "InvalidLocation",
    "Location",
    "PostgresLocation",
    "SqliteLocation",
    "StoreUnavailable",
    "is_postgres",
    "open_store",
    "parse_location",
]


def open_store(db: str | Location) -> Store:
    """Open (creating and migrating as needed) the store named by a path, URL or location.
    A SQLite file may be created, but never the folder it would go in."""
    location = parse_location(db)
    if isinstance(location, PostgresLocation):
        return _open_postgres(location)
    missing = location.missing_folder()
    if missing is not None:
        raise StoreUnavailable(f"cannot open {location.path}: there is no folder {missing}")
    from .sqlite import SQLiteStore  # sqlite3 and the SQLite backend only when used

    return SQLiteStore(location.path)


def _open_postgres(location: PostgresLocation) -> Store:
    import psycopg  # psycopg only for a PostgreSQL location

    from .postgres import PostgresStore

    try:
        return PostgresStore(location.url)
    except psycopg.OperationalError as exc:
        reason = " ".join(line.strip() for line in str(exc).splitlines()) or repr(exc)
        raise StoreUnavailable(f"cannot open {location.redacted()}: {reason}") from None
