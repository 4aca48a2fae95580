"""Every comment a ticket was given (its wire JSON); the ticket itself shows the latest."""

from __future__ import annotations

from collections.abc import Sequence

from .base import CommentRecord
from .identities import names_nothing
from .sql import KEEP, Sql, Table

TICKET_COMMENTS = Table(
    "ticket_comments",
    (("seq", "bigint"), ("comment_id", "bigint"), ("created_at", "bigint"), ("body", "bytea")),
)


def add_comments(db: Sql, seq: int, comments: Sequence[CommentRecord]) -> None:
    """Keep `comments` in the history of the ticket `seq` (one already kept stays as is)."""
    rows = [(seq, c.comment_id, c.created_at, c.body) for c in comments]
    db.insert_rows(TICKET_COMMENTS, rows, KEEP)


def list_comments(db: Sql, ticket_id: str) -> list[bytes]:
    if names_nothing(ticket_id):
        return []
    rows = db.all(
        "SELECT c.body FROM ticket_comments c JOIN tickets t ON t.seq = c.seq"
        " WHERE t.ticket_id = ? ORDER BY c.created_at, c.comment_id",
        (ticket_id,),
    )
    return [bytes(body) for (body,) in rows]
