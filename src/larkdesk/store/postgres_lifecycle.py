"""The ticket lifecycle on PostgreSQL: one ticket read, created or rewritten; tags,
comments, custom-field definitions. Mixed into `PostgresStore`, whose plumbing it uses.

An update locks the ticket's row (`SELECT ... FOR UPDATE`) before reading its wire JSON,
so a concurrent writer on any worker waits, then reads (READ COMMITTED: each statement
sees what committed before it) what this one wrote. PostgreSQL text has no NUL character:
an id holding one names nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from .base import (
    ConflictError,
    CustomizedFieldRecord,
    Rewrite,
    TagRecord,
    TicketRecord,
    User,
)

_USER_COLUMNS = "user_id, tenant_key, name, email, department, city, country, avatar_url"


class PostgresLifecycle:
    """The lifecycle half of `Store` on PostgreSQL."""

    def _read(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        raise NotImplementedError

    def _write_records(self, conn: psycopg.Connection[Any], records: list[TicketRecord]) -> None:
        raise NotImplementedError

    def get_user(self, user_id: str) -> User | None:
        if "\x00" in user_id:
            return None
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = %s", (user_id,)
            ).fetchone()
        return User(*row) if row else None

    def get_ticket(self, ticket_id: str, helpdesk_id: str | None = None) -> bytes | None:
        if "\x00" in ticket_id:
            return None
        with self._read() as conn:
            row = conn.execute(
                "SELECT t.helpdesk_id, b.body FROM tickets t JOIN ticket_bodies b"
                " ON b.seq = t.seq WHERE t.ticket_id = %s",
                (ticket_id,),
            ).fetchone()
        if row is None or helpdesk_id not in (None, row[0]):
            return None
        return bytes(row[1])

    def create_ticket(self, record: TicketRecord) -> bool:
        try:
            with self._transaction() as conn:
                taken = conn.execute(
                    "SELECT 1 FROM tickets WHERE ticket_id = %s", (record.ticket_id,)
                ).fetchone()
                if taken is not None:
                    return False
                self._write_records(conn, [record])
        except psycopg.errors.UniqueViolation:  # another worker took the id meanwhile
            return False
        except psycopg.DataError as exc:
            raise ConflictError(f"PostgreSQL cannot store this ticket: {exc}") from None
        return True

    def update_ticket(
        self, helpdesk_id: str, ticket_id: str, tags: Sequence[TagRecord], rewrite: Rewrite
    ) -> TicketRecord | None:
        if "\x00" in ticket_id:
            return None
        try:
            with self._transaction() as conn:
                row = conn.execute(
                    "SELECT seq FROM tickets WHERE ticket_id = %s AND helpdesk_id = %s FOR UPDATE",
                    (ticket_id, helpdesk_id),
                ).fetchone()
                if row is None:
                    return None
                seq = row[0]
                (body,) = conn.execute(
                    "SELECT body FROM ticket_bodies WHERE seq = %s", (seq,)
                ).fetchall()[0]
                write = rewrite(bytes(body), _ensure_tags(conn, helpdesk_id, tags))
                self._write_records(conn, [write.record])
                for c in write.comments:
                    conn.execute(
                        "INSERT INTO ticket_comments VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        (seq, c.comment_id, c.created_at, c.body),
                    )
        except psycopg.DataError as exc:  # NUL in a tag name or a comment, ...
            raise ConflictError(f"PostgreSQL cannot store this ticket: {exc}") from None
        return write.record

    def list_comments(self, ticket_id: str) -> list[bytes]:
        if "\x00" in ticket_id:
            return []
        with self._read() as conn:
            rows = conn.execute(
                "SELECT c.body FROM ticket_comments c JOIN tickets t ON t.seq = c.seq"
                " WHERE t.ticket_id = %s ORDER BY c.created_at, c.comment_id",
                (ticket_id,),
            ).fetchall()
        return [bytes(body) for (body,) in rows]

    def save_tags(self, helpdesk_id: str, tags: Iterable[TagRecord]) -> None:
        with self._transaction() as conn:
            _ensure_tags(conn, helpdesk_id, list(tags))

    def list_tags(self, helpdesk_id: str) -> list[TagRecord]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT tag_id, name FROM helpdesk_tags WHERE helpdesk_id = %s ORDER BY name",
                (helpdesk_id,),
            ).fetchall()
        return [TagRecord(*row) for row in rows]

    def save_customized_fields(self, fields: Iterable[CustomizedFieldRecord]) -> None:
        with self._transaction() as conn:
            for f in fields:
                conn.execute(
                    "INSERT INTO customized_fields VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (helpdesk_id, field_id) DO UPDATE"
                    " SET position = excluded.position, body = excluded.body",
                    (f.helpdesk_id, f.field_id, f.position, f.body),
                )

    def list_customized_fields(self, helpdesk_id: str) -> list[CustomizedFieldRecord]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT helpdesk_id, field_id, position, body FROM customized_fields"
                " WHERE helpdesk_id = %s ORDER BY position, field_id",
                (helpdesk_id,),
            ).fetchall()
        return [CustomizedFieldRecord(h, f, p, bytes(b)) for h, f, p, b in rows]

    def delete_customized_field(self, helpdesk_id: str, field_id: str) -> bool:
        with self._transaction() as conn:
            gone = conn.execute(
                "DELETE FROM customized_fields WHERE helpdesk_id = %s AND field_id = %s",
                (helpdesk_id, field_id),
            )
            return gone.rowcount > 0


def _ensure_tags(
    conn: psycopg.Connection[Any], helpdesk_id: str, tags: Sequence[TagRecord]
) -> list[TagRecord]:
    """Create the tags the helpdesk lacks by name; return all of them as stored, in order.
    Names are inserted sorted, so two writers creating the same tags cannot deadlock."""
    if not tags:
        return []
    ordered = sorted({t.name: t for t in tags}.values(), key=lambda t: t.name)
    conn.execute(
        "INSERT INTO helpdesk_tags SELECT %s, * FROM unnest(%s::text[], %s::text[])"
        " ON CONFLICT DO NOTHING",
        (helpdesk_id, [t.name for t in ordered], [t.tag_id for t in ordered]),
    )
    stored = dict(
        conn.execute(
            "SELECT name, tag_id FROM helpdesk_tags WHERE helpdesk_id = %s AND name = ANY(%s)",
            (helpdesk_id, [t.name for t in ordered]),
        ).fetchall()
    )
    return [TagRecord(stored[t.name], t.name) for t in tags]
