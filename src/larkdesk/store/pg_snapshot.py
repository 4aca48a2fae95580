"""PostgreSQL's change counter for the list API's page cache: the text of
`pg_current_snapshot()` (xmin:xmax:xip), read on a connection of its own.

Two snapshots with the same text see the same committed data: a transaction that commits
either leaves the in-progress list (xip) or, if it started after the older snapshot,
moves xmax past its xid (xmax is one past the newest completed xid), so no commit can
happen between two equal readings. A commit acknowledged to its client is already out of
the list, so the next reading after it differs. Reading it costs one round trip and
writes nothing: no row that writers would contend on. docs/storage.md lists the caveats
(it moves on commits anywhere in the cluster; a hot standby's xip list is empty, so there
it is not a counter and none is given).

The reading is awaited on the event loop, not blocking it, and shared: the requests that
arrive while one reading is on its way wait for the next, which is sent after all of them
arrived (so it is as new as each needs) and answers them all with one round trip.
"""

from __future__ import annotations

import asyncio
import time

import psycopg
from psycopg import pq

SNAPSHOT_SQL = b"SELECT pg_current_snapshot()::text, pg_is_in_recovery()"
SNAPSHOT_STATEMENT = b"larkdesk_snapshot"  # prepared once per connection: ~15 µs less
# of the server's CPU per reading (measured: 24 vs 39 µs) and ~4 µs less of the worker's
CONNECT_TIMEOUT_S = 5
RETRY_S = 1.0  # after a failed reading, no other for this long (no cache meanwhile)


def several_hosts(url: str) -> bool:
    """True if `url` names more than one server (`host=a,b`): this connection and the
    pool's might then reach different servers, whose snapshots say nothing of each other."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return True
    return "," in str(info.get("host") or "") or "," in str(info.get("hostaddr") or "")


class SnapshotCounter:
    """Awaitable callable: the current snapshot's text, or None when it cannot be read
    just now (no server, a hot standby): then the page cache keeps nothing. Connects at
    the first call (after a server forks its workers), and again after an error. Used
    from one event loop at a time (a new loop starts afresh)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._fd = -1  # the connection's socket, watched by the loop while connected
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False  # a reading is sent, or about to be
        self._next: asyncio.Future[str | None] | None = None  # waiters of the next reading
        self._queued: asyncio.Task[None] | None = None  # the task reading for them
        self._readable: asyncio.Future[None] | None = None
        self._retry_at = 0.0

    async def __call__(self) -> str | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._restart(loop)
        if self._reading:  # sent before this caller arrived: it waits for the next one
            waiting = self._next
            if waiting is None:
                waiting = self._next = loop.create_future()
            return await asyncio.shield(waiting)  # one caller cancelled: not the others
        self._reading = True  # the query is sent before the first await below
        try:
            return await self._read()
        finally:
            self._reading = False
            if self._next is not None:
                self._reading = True
                self._queued = loop.create_task(self._read_for_queued())

    async def _read_for_queued(self) -> None:
        """Readings for the callers that arrived while the previous one was on its way,
        each answering all those that arrived before it was sent."""
        try:
            while self._next is not None:
                waiting, self._next = self._next, None
                value = await self._read()
                if not waiting.done():
                    waiting.set_result(value)
        finally:
            self._reading, self._queued = False, None

    async def _read(self) -> str | None:
        if time.monotonic() < self._retry_at:
            return None  # the server failed a moment ago: don't block each request on it
        try:
            pgconn = self._connection().pgconn
            # libpq directly, not `execute`: a fraction of the Python per reading.
            pgconn.send_query_prepared(SNAPSHOT_STATEMENT, None)
            if pgconn.flush():
                raise psycopg.OperationalError("the socket did not take 60 bytes")
            pgconn.consume_input()
            while pgconn.is_busy():
                await self._wait_readable()
                pgconn.consume_input()
            result = pgconn.get_result()
            while pgconn.get_result() is not None:
                pass
            if result is None or result.status != pq.ExecStatus.TUPLES_OK:
                raise psycopg.OperationalError("the snapshot could not be read")
            snapshot, recovery = result.get_value(0, 0), result.get_value(0, 1)
        except psycopg.Error:
            self.close()
            self._retry_at = time.monotonic() + RETRY_S
            return None
        except BaseException:  # cancelled halfway: the connection's state is unknown
            self.close()
            raise
        if snapshot is None or recovery != b"f":
            return None  # a hot standby: its snapshots list no xids (see the module)
        return snapshot.decode("ascii")

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed:
            assert self._loop is not None
            self._conn = psycopg.connect(
                self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            )
            prepared = self._conn.pgconn.prepare(SNAPSHOT_STATEMENT, SNAPSHOT_SQL)
            if prepared.status != pq.ExecStatus.COMMAND_OK:
                raise psycopg.OperationalError("the snapshot statement could not be prepared")
            self._conn.pgconn.nonblocking = 1
            self._fd = self._conn.pgconn.socket
            # Watched for as long as it is open (not per reading: two syscalls less).
            self._loop.add_reader(self._fd, self._on_readable)
        return self._conn

    async def _wait_readable(self) -> None:
        assert self._loop is not None
        self._readable = self._loop.create_future()
        try:
            await self._readable
        finally:
            self._readable = None

    def _on_readable(self) -> None:
        if self._readable is not None:
            if not self._readable.done():
                self._readable.set_result(None)
            return
        try:  # unasked for (a notice, the server going away): read it, or drop the connection
            if self._conn is not None:
                self._conn.pgconn.consume_input()
        except psycopg.Error:
            self.close()

    def _restart(self, loop: asyncio.AbstractEventLoop) -> None:
        """A new event loop (a test client's, say): forget the old loop's readings."""
        self.close()
        self._loop, self._reading, self._next, self._queued = loop, False, None, None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if self._fd >= 0 and self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        self._fd = -1
        if conn is not None:
            conn.close()
