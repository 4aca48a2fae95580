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
"""

from __future__ import annotations

import threading

import psycopg
from psycopg import pq

SNAPSHOT_SQL = b"SELECT pg_current_snapshot()::text, pg_is_in_recovery()"
CONNECT_TIMEOUT_S = 5


def several_hosts(url: str) -> bool:
    """True if `url` names more than one server (`host=a,b`): this connection and the
    pool's might then reach different servers, whose snapshots say nothing of each other."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return True
    return "," in str(info.get("host") or "") or "," in str(info.get("hostaddr") or "")


class SnapshotCounter:
    """Callable: the current snapshot's text, or None when it cannot be read just now (no
    server, a hot standby): then the page cache keeps nothing. Connects at the first call
    (after a server forks its workers), and again after an error."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(
                        self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                    )
                # libpq directly: a tenth of the Python per call of `execute` (~20 vs ~90 µs
                # of CPU), and this runs on the event loop for every list request.
                result = self._conn.pgconn.exec_(SNAPSHOT_SQL)
                if result.status != pq.ExecStatus.TUPLES_OK:
                    raise psycopg.OperationalError(result.error_message.decode(errors="replace"))
                snapshot, recovery = result.get_value(0, 0), result.get_value(0, 1)
            except psycopg.Error:
                self._drop()
                return None
            if snapshot is None or recovery != b"f":
                return None  # a hot standby: its snapshots list no xids (see the module)
            return snapshot.decode("ascii")

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
