"""The stores and servers the suite runs on: SQLite always; PostgreSQL and Redis when
`LARKDESK_TEST_POSTGRES` / `LARKDESK_TEST_REDIS` name them (scripts/test starts both).

Locally a missing server skips its tests with the reason; under CI=true it fails them,
so a CI machine that lost its PostgreSQL cannot pass by skipping half the suite.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from larkdesk.store.base import Store
from larkdesk.store.sqlite import SQLiteStore

POSTGRES_ENV = "LARKDESK_TEST_POSTGRES"
REDIS_ENV = "LARKDESK_TEST_REDIS"
BACKEND_NAMES = ("sqlite", "postgres")

_schemas = itertools.count()


def service_url(env: str, what: str) -> str:
    """The server URL in `env`; otherwise skip (locally) or fail (CI=true) the test."""
    url = os.environ.get(env)
    if url:
        return url
    reason = f"{what} tests need {env}=URL (scripts/test starts a server and sets it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true they must run, not skip", pytrace=False)
    pytest.skip(reason)


def with_search_path(url: str, schema: str) -> str:
    """`url` with every connection's search_path set to `schema` alone (pg_trgm, in public,
    is named with its schema), so a test never sees another schema's tables."""
    option = quote(f"-c search_path={schema}", safe="")
    return f"{url}{'&' if '?' in url else '?'}options={option}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL on a new, empty schema of the test database, dropped afterwards."""
    import psycopg

    base = service_url(POSTGRES_ENV, "PostgreSQL")
    name = f"larkdesk_test_{os.getpid()}_{next(_schemas)}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield with_search_path(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextmanager
def open_backend(name: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store of the named backend, closed (and dropped) afterwards."""
    if name == "sqlite":
        store: Store = SQLiteStore(tmp_path / f"larkdesk-{next(_schemas)}.db")
        try:
            yield store
        finally:
            store.close()
        return
    from larkdesk.store.postgres import PostgresStore

    with postgres_schema() as url:
        store = PostgresStore(url, pool_size=4)
        try:
            yield store
        finally:
            store.close()


def db_location(store: Store) -> str:
    """What `--db` / `Settings.db` would name this store by."""
    url = getattr(store, "url", None)
    return str(url) if url is not None else str(getattr(store, "path", ""))


def raw_content(store: Store) -> bytes:
    """Every byte the store keeps, for tests that look for what must not be there."""
    path = getattr(store, "path", None)
    if path is not None:
        return Path(path).read_bytes()
    import psycopg

    chunks = []
    with psycopg.connect(db_location(store)) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                chunks.append(repr(row).encode())
    return b"\n".join(chunks)


def redis_url() -> str:
    """The test Redis (tests keep apart by using fresh app ids, hence fresh keys)."""
    return service_url(REDIS_ENV, "Redis")
