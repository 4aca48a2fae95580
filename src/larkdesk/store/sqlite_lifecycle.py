"""The ticket lifecycle on SQLite: one ticket read, created or rewritten; tags, comments,
custom-field definitions. Mixed into `SQLiteStore`, whose plumbing it uses.

An update is a read-modify-write inside `BEGIN IMMEDIATE` on the one writer connection
(under its lock): SQLite's write lock is taken before the ticket is read, so a concurrent
writer, in this process or another, waits and then reads what this one wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

from .base import (
    CustomizedFieldRecord,
    Rewrite,
    TagRecord,
    TicketRecord,
    User,
)

_USER_COLUMNS = "user_id, tenant_key, name, email, department, city, country, avatar_url"


class SQLiteLifecycle:
    """The lifecycle half of `Store` on SQLite."""

    def _reader(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _write_records(self, conn: sqlite3.Connection, records: list[TicketRecord]) -> None:
        raise NotImplementedError

    def get_user(self, user_id: str) -> User | None:
        row = (
            self._reader()
            .execute(f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
            .fetchone()
        )
        return User(*row) if row else None

    def get_ticket(self, ticket_id: str, helpdesk_id: str | None = None) -> bytes | None:
        row = (
            self._reader()
            .execute(
                "SELECT t.helpdesk_id, b.body FROM tickets t JOIN ticket_bodies b"
                " ON b.seq = t.seq WHERE t.ticket_id = ?",
                (ticket_id,),
            )
            .fetchone()
        )
        if row is None or helpdesk_id not in (None, row[0]):
            return None
        return bytes(row[1])

    def create_ticket(self, record: TicketRecord) -> bool:
        with self._transaction() as conn:
            taken = conn.execute(
                "SELECT 1 FROM tickets WHERE ticket_id = ?", (record.ticket_id,)
            ).fetchone()
            if taken is not None:
                return False
            self._write_records(conn, [record])
        return True

    def update_ticket(
        self, helpdesk_id: str, ticket_id: str, tags: Sequence[TagRecord], rewrite: Rewrite
    ) -> TicketRecord | None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT t.seq, b.body FROM tickets t JOIN ticket_bodies b ON b.seq = t.seq"
                " WHERE t.ticket_id = ? AND t.helpdesk_id = ?",
                (ticket_id, helpdesk_id),
            ).fetchone()
            if row is None:
                return None
            seq, body = row
            write = rewrite(bytes(body), _ensure_tags(conn, helpdesk_id, tags))
            self._write_records(conn, [write.record])
            conn.executemany(
                "INSERT OR IGNORE INTO ticket_comments VALUES (?, ?, ?, ?)",
                [(seq, c.comment_id, c.created_at, c.body) for c in write.comments],
            )
        return write.record

    def list_comments(self, ticket_id: str) -> list[bytes]:
        rows = self._reader().execute(
            "SELECT c.body FROM ticket_comments c JOIN tickets t ON t.seq = c.seq"
            " WHERE t.ticket_id = ? ORDER BY c.created_at, c.comment_id",
            (ticket_id,),
        )
        return [bytes(body) for (body,) in rows]

    def save_tags(self, helpdesk_id: str, tags: Iterable[TagRecord]) -> None:
        with self._transaction() as conn:
            _ensure_tags(conn, helpdesk_id, list(tags))

    def list_tags(self, helpdesk_id: str) -> list[TagRecord]:
        rows = self._reader().execute(
            "SELECT tag_id, name FROM helpdesk_tags WHERE helpdesk_id = ? ORDER BY name",
            (helpdesk_id,),
        )
        return [TagRecord(*row) for row in rows]

    def save_customized_fields(self, fields: Iterable[CustomizedFieldRecord]) -> None:
        rows = [(f.helpdesk_id, f.field_id, f.position, f.body) for f in fields]
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO customized_fields VALUES (?, ?, ?, ?)", rows)

    def list_customized_fields(self, helpdesk_id: str) -> list[CustomizedFieldRecord]:
        rows = self._reader().execute(
            "SELECT helpdesk_id, field_id, position, body FROM customized_fields"
            " WHERE helpdesk_id = ? ORDER BY position, field_id",
            (helpdesk_id,),
        )
        return [CustomizedFieldRecord(h, f, p, bytes(b)) for h, f, p, b in rows]

    def delete_customized_field(self, helpdesk_id: str, field_id: str) -> bool:
        with self._transaction() as conn:
            gone = conn.execute(
                "DELETE FROM customized_fields WHERE helpdesk_id = ? AND field_id = ?",
                (helpdesk_id, field_id),
            )
            return gone.rowcount > 0


def _ensure_tags(
    conn: sqlite3.Connection, helpdesk_id: str, tags: Sequence[TagRecord]
) -> list[TagRecord]:
    """Create the tags the helpdesk lacks by name; return all of them as stored, in order."""
    if not tags:
        return []
    conn.executemany(
        "INSERT OR IGNORE INTO helpdesk_tags VALUES (?, ?, ?)",
        [(helpdesk_id, t.name, t.tag_id) for t in tags],
    )
    marks = ", ".join("?" for _ in tags)
    stored = dict(
        conn.execute(
            f"SELECT name, tag_id FROM helpdesk_tags WHERE helpdesk_id = ? AND name IN ({marks})",
            [helpdesk_id, *(t.name for t in tags)],
        )
    )
    return [TagRecord(stored[t.name], t.name) for t in tags]
