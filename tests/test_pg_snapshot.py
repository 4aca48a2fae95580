"""PostgreSQL's change counter for the page cache (store/pg_snapshot.py): the text of the
current snapshot. It must move on every commit that changes what a query could see (by any
connection, from a savepoint too) and on nothing a reader does; equal readings mean equal
data. A commit elsewhere in the cluster may move it too (the test cluster is shared, so a
"does not move" check is retried a few times instead of asserted once)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from larkdesk.store.pg_snapshot import SnapshotCounter, several_hosts

from .backends import postgres_schema

TRIES = 20


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_schema() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (n integer)")
        yield url


@pytest.fixture
def counter(url: str) -> Iterator[SnapshotCounter]:
    counter = SnapshotCounter(url)
    yield counter
    counter.close()


def _still(counter: SnapshotCounter, action: Callable[[], object]) -> bool:
    """True if, on some try, the counter read the same before and after `action`."""
    for _ in range(TRIES):
        before = counter()
        action()
        if counter() == before:
            return True
    return False


def test_readers_leave_it_and_every_commit_moves_it(url: str, counter: SnapshotCounter) -> None:
    with psycopg.connect(url, autocommit=True) as reader, psycopg.connect(url) as writer:
        first = counter()
        assert first is not None and first.count(":") == 2  # xmin:xmax:xip
        assert _still(counter, lambda: reader.execute("SELECT count(*) FROM t").fetchone())
        assert _still(counter, counter)
        # A write not yet committed is invisible to everyone else: the counter may stay
        # (a kept page is still exact); its commit moves it.
        before = counter()
        writer.execute("INSERT INTO t VALUES (1)")
        during = counter()
        writer.commit()
        assert counter() not in (before, during)
        # A write inside a savepoint becomes visible with its top-level commit.
        writer.execute("SAVEPOINT s")
        writer.execute("INSERT INTO t VALUES (2)")
        writer.execute("RELEASE SAVEPOINT s")
        during = counter()
        writer.commit()
        assert counter() != during
        # A rolled-back write changes nothing; moving the counter anyway is only a miss.
        writer.execute("INSERT INTO t VALUES (3)")
        writer.rollback()
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_commit_between_two_equal_readings_is_impossible(
    url: str, counter: SnapshotCounter
) -> None:
    """Many short writers on other connections: whenever two readings are equal, the
    table's contents read between them are equal too."""
    with psycopg.connect(url, autocommit=True) as writer, psycopg.connect(url) as reader:
        seen: dict[str, int] = {}
        for n in range(200):
            if n % 3 == 0:
                writer.execute("INSERT INTO t VALUES (%s)", (n,))
            version = counter()
            assert version is not None
            row = reader.execute("SELECT count(*) FROM t").fetchone()
            reader.commit()
            assert row is not None
            if counter() != version:
                continue  # moved while reading: such a page would not be kept
            assert seen.setdefault(version, row[0]) == row[0]
        assert len(seen) >= 60  # one version per write, at least


def test_no_server_no_counter() -> None:
    counter = SnapshotCounter("postgresql://postgres@127.0.0.1:1/none")
    assert counter() is None
    assert counter() is None  # and again, without raising
    counter.close()


def test_a_url_naming_several_servers_gets_no_counter() -> None:
    assert several_hosts("postgresql://u@a,b/db")
    assert several_hosts("host=a,b dbname=db")
    assert not several_hosts("postgresql://u@127.0.0.1:5432/db")
    assert not several_hosts("postgresql:///db?host=/run/postgresql")
