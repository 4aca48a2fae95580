"""SQLite's helpdesk keys: a small integer per helpdesk id in the per-ticket tables.

Every index of `tickets`, `agent_tickets`, `tag_tickets` and `guest_names` leads with the
helpdesk, and so does the primary key of the two big metric rollup tables
(`metric_counts`, `metric_durations`). On SQLite those tables' `helpdesk_id` column holds
the helpdesk's key from
`helpdesk_keys` (1, 2, ...: 0-1 byte in a record) instead of its 19-character id, about a
third of each index entry (migration 0025, docs/storage.md). PostgreSQL keeps the id there:
its key is the id itself, so the statements are the same text on both, and only the value
bound for the column differs (`Sql.helpdesk_key`).

A key, once committed, never changes or goes away, so a process keeps every key it has
read on a reader connection (which sees committed rows only) for good: a read maps its
helpdesk in one dict lookup. The writer's transaction may hold a key that is not
committed yet (it could roll back), so what it reads or assigns is kept apart
(`pending`) and joins the others only when that transaction commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

NO_KEY = None
"""The key of a helpdesk that has none (no ticket was ever written to it): `helpdesk_id =
NULL` matches no row, as the unknown id matched none."""


class HelpdeskKeys:
    """The keys a process has read, both ways; shared by a store's connections. `pending`:
    those the writer's open transaction has read or assigned, kept once it commits."""

    __slots__ = ("ids", "keys", "pending")

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.ids: dict[int, str] = {}
        self.pending: dict[str, int] = {}

    def clear(self) -> None:
        self.keys.clear()
        self.ids.clear()
        self.pending.clear()

    def settle(self, committed: bool) -> None:
        """The writer's transaction ended: its keys are kept if it committed."""
        if committed:
            self.keys.update(self.pending)
        self.pending.clear()

    def key(self, conn: sqlite3.Connection, helpdesk_id: str, committed: bool) -> int | None:
        key = self.keys.get(helpdesk_id)
        if key is None and not committed:
            key = self.pending.get(helpdesk_id)
        if key is not None:
            return key
        row = conn.execute(
            "SELECT key FROM helpdesk_keys WHERE helpdesk_id = ?", (helpdesk_id,)
        ).fetchone()
        if row is None:
            return NO_KEY
        (self.keys if committed else self.pending)[helpdesk_id] = int(row[0])
        return int(row[0])

    def new_key(self, conn: sqlite3.Connection, helpdesk_id: str) -> int | str:
        """The helpdesk's key, assigned now (in the writer's transaction) if it has none.
        The id itself in a file older than 0025 (migration 0014 fills the rollups), which
        0025 then converts."""
        try:
            key = self.key(conn, helpdesk_id, committed=False)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            return helpdesk_id
        if key is not None:
            return key
        row = conn.execute(
            "INSERT INTO helpdesk_keys (helpdesk_id) VALUES (?) RETURNING key", (helpdesk_id,)
        ).fetchone()
        self.pending[helpdesk_id] = int(row[0])
        return int(row[0])

    def helpdesk_of(self, conn: sqlite3.Connection, key: object, committed: bool) -> str:
        if isinstance(key, str):  # a file before 0025 (its rollups rebuilt by 0014)
            return key
        found = self.ids.get(key) if isinstance(key, int) else None
        if found is not None:
            return found
        row = conn.execute("SELECT helpdesk_id FROM helpdesk_keys WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise LookupError(f"no helpdesk has the key {key!r}")
        if committed and isinstance(key, int):
            self.ids[key] = row[0]
        return str(row[0])


class Memo(dict[str, Any]):
    """Helpdesk id -> what `key` answers for it (a key), asked once per id: for a batch."""

    def __init__(self, key: Callable[[str], Any]) -> None:
        super().__init__()
        self._key = key

    def __missing__(self, helpdesk_id: str) -> Any:
        found = self[helpdesk_id] = self._key(helpdesk_id)
        return found
