"""PostgreSQL's change counter for the page cache (store/pg_snapshot.py): the text of the
current snapshot. It must move on every commit that changes what a query could see (by any
connection, from a savepoint too) and on nothing a reader does; equal readings mean equal
data. A commit elsewhere in the cluster may move it too (the test cluster is shared, so a
"does not move" check is retried a few times instead of asserted once)."""

from __future__ import annotations

import asyncio
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


def _now(counter: SnapshotCounter) -> str | None:
    """One reading, on an event loop of its own (the counter starts afresh on each)."""
    return asyncio.run(counter())


def _still(counter: SnapshotCounter, action: Callable[[], object]) -> bool:
    """True if, on some try, the counter read the same before and after `action`."""
    for _ in range(TRIES):
        before = _now(counter)
        action()
        if _now(counter) == before:
            return True
    return False


def test_readers_leave_it_and_every_commit_moves_it(url: str, counter: SnapshotCounter) -> None:
    with psycopg.connect(url, autocommit=True) as reader, psycopg.connect(url) as writer:
        first = _now(counter)
        assert first is not None and first.count(":") == 2  # xmin:xmax:xip
        assert _still(counter, lambda: reader.execute("SELECT count(*) FROM t").fetchone())
        assert _still(counter, lambda: _now(counter))
        # A write not yet committed is invisible to everyone else: the counter may stay
        # (a kept page is still exact); its commit moves it.
        before = _now(counter)
        writer.execute("INSERT INTO t VALUES (1)")
        during = _now(counter)
        writer.commit()
        assert _now(counter) not in (before, during)
        # A write inside a savepoint becomes visible with its top-level commit.
        writer.execute("SAVEPOINT s")
        writer.execute("INSERT INTO t VALUES (2)")
        writer.execute("RELEASE SAVEPOINT s")
        during = _now(counter)
        writer.commit()
        assert _now(counter) != during
        # A rolled-back write changes nothing; moving the counter anyway is only a miss.
        writer.execute("INSERT INTO t VALUES (3)")
        writer.rollback()
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_commit_between_two_equal_readings_is_impossible(
    url: str, counter: SnapshotCounter
) -> None:
    """Many short writers on another connection: whenever two readings are equal, the
    table's contents read between them are equal too."""

    async def run() -> dict[str, int]:
        seen: dict[str, int] = {}
        with (
            psycopg.connect(url, autocommit=True) as writer,
            psycopg.connect(url, autocommit=True) as reader,
        ):
            for n in range(200):
                if n % 3 == 0:
                    writer.execute("INSERT INTO t VALUES (%s)", (n,))
                version = await counter()
                assert version is not None
                row = reader.execute("SELECT count(*) FROM t").fetchone()
                assert row is not None
                if await counter() != version:
                    continue  # moved while reading: such a page would not be kept
                assert seen.setdefault(version, row[0]) == row[0]
        return seen

    assert len(asyncio.run(run())) >= 60  # one version per write, at least


def test_callers_share_a_reading_sent_after_they_arrived(
    url: str, counter: SnapshotCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings = []
    real = counter._read
    first_sent = asyncio.Event()

    async def counted() -> str | None:
        readings.append(1)
        if len(readings) == 1:  # the first reading is on its way while the others arrive
            await first_sent.wait()  # (a loaded box may answer it before any await)
        return await real()

    async def run() -> None:
        before = await counter()
        # Fifty requests at once: one reading for the first, one for all the others.
        monkeypatch.setattr(counter, "_read", counted)
        calls = asyncio.gather(*(counter() for _ in range(50)))
        await asyncio.sleep(0)  # all fifty have asked
        first_sent.set()
        answers = await calls
        assert len(set(answers)) == 1 and answers[0] is not None
        assert len(readings) == 2
        # A reading already on its way when a commit is acknowledged does not answer a
        # caller that arrives after the commit: that one waits for the next reading.
        # (That first reading's answer is held until the later caller has arrived.)
        gate, held = asyncio.Event(), [False]

        async def held_read() -> str | None:
            value = await real()
            if not held[0]:
                held[0] = True
                await gate.wait()
            return value

        monkeypatch.setattr(counter, "_read", held_read)
        on_its_way = asyncio.ensure_future(counter())
        await asyncio.sleep(0.1)  # its query was sent and answered: the answer is held
        with psycopg.connect(url, autocommit=True) as writer:
            writer.execute("INSERT INTO t VALUES (1)")
        later = asyncio.ensure_future(counter())
        await asyncio.sleep(0)
        gate.set()
        await on_its_way
        assert held[0] and (await later) not in (None, before)

    asyncio.run(run())


def test_no_server_no_counter() -> None:
    counter = SnapshotCounter("postgresql://postgres@127.0.0.1:1/none")
    assert _now(counter) is None
    assert _now(counter) is None  # and again, without raising (nor trying for a second)
    counter.close()


def test_a_url_naming_several_servers_gets_no_counter() -> None:
    assert several_hosts("postgresql://u@a,b/db")
    assert several_hosts("host=a,b dbname=db")
    assert not several_hosts("postgresql://u@127.0.0.1:5432/db")
    assert not several_hosts("postgresql:///db?host=/run/postgresql")
