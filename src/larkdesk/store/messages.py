"""Conversations: each ticket's messages (by the ticket's seq and a per-ticket position),
the helpdesk bot's private messages, and the images messages carry.

A message is written with its ticket in one transaction (`add_message`): the ticket row is
read with the backend's lock, so two messages of one ticket get distinct positions and the
ticket's response times see both.
"""

from __future__ import annotations

from . import body_codec
from .base import ComposeMessage, ImageRecord, MessagePage, MessageRecord, MessageWrite, Window
from .identities import names_nothing
from .sql import Sql, Table
from .tickets import write_chunk

TICKET_MESSAGES = Table(
    "ticket_messages",
    (
        ("seq", "bigint"),
        ("position", "bigint"),
        ("ticket_message_id", "text"),
        ("message_id", "text"),
        ("created_at", "bigint"),
        ("body", "bytea"),
    ),
)
PRIVATE_MESSAGES = Table(
    "bot_private_messages",
    (
        ("message_id", "text"),
        ("helpdesk_id", "text"),
        ("receiver_id", "text"),
        ("created_at", "bigint"),
        ("body", "bytea"),
    ),
)
IMAGES = Table(
    "message_images",
    (("image_key", "text"), ("helpdesk_id", "text"), ("content_type", "text"), ("data", "bytea")),
)


def _ticket_seq(db: Sql, helpdesk_id: str, ticket_id: str, lock: str = "") -> int | None:
    if names_nothing(ticket_id):
        return None
    row = db.one(
        f"SELECT seq FROM tickets WHERE ticket_id = ? AND helpdesk_id = ?{lock}",
        (ticket_id, db.helpdesk_key(helpdesk_id)),
    )
    return None if row is None else int(row[0])


def add_message(
    db: Sql, helpdesk_id: str, ticket_id: str, compose: ComposeMessage
) -> MessageWrite | None:
    """Lock the ticket, compose the message at the next position, write it all."""
    seq = _ticket_seq(db, helpdesk_id, ticket_id, db.for_update)
    if seq is None:
        return None
    body = db.one("SELECT body FROM ticket_bodies WHERE seq = ?", (seq,))
    last = db.one("SELECT max(position) FROM ticket_messages WHERE seq = ?", (seq,))
    if body is None or last is None:  # a ticket row always has its body; guard the type
        return None
    position = int(last[0] or 0) + 1
    write = compose(body_codec.unpack(body[0], db), position)
    if write.ticket is not None:
        write_chunk(db, [write.ticket])
    save_images(db, write.images)
    m = write.message
    db.insert_rows(
        TICKET_MESSAGES,
        [(seq, position, m.ticket_message_id, m.message_id, m.created_at, m.body)],
    )
    for extra in write.also:
        extra(db)
    return write


def save_images(db: Sql, images: tuple[ImageRecord, ...]) -> None:
    rows = [(i.image_key, i.helpdesk_id, i.content_type, i.data) for i in images]
    db.insert_rows(IMAGES, rows)


def add_private_message(db: Sql, helpdesk_id: str, receiver_id: str, record: MessageRecord) -> None:
    row = (record.message_id, helpdesk_id, receiver_id, record.created_at, record.body)
    db.insert_rows(PRIVATE_MESSAGES, [row])


def list_messages(
    db: Sql, helpdesk_id: str, ticket_id: str, window: Window | None, offset: int, limit: int
) -> MessagePage | None:
    seq = _ticket_seq(db, helpdesk_id, ticket_id)
    if seq is None:
        return None
    where, params = "seq = ?", [seq]
    if window is not None:
        where += " AND created_at BETWEEN ? AND ?"
        params += [window.start, window.end]
    count = db.one(f"SELECT count(*) FROM ticket_messages WHERE {where}", params)
    rows = db.all(
        f"SELECT body FROM ticket_messages WHERE {where}"
        " ORDER BY created_at, position LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return MessagePage(int(count[0]) if count else 0, [bytes(body) for (body,) in rows])


def get_message(db: Sql, helpdesk_id: str, ticket_id: str, msg_id: str) -> bytes | None:
    seq = _ticket_seq(db, helpdesk_id, ticket_id)
    if seq is None or names_nothing(msg_id):
        return None
    row = db.one(
        "SELECT body FROM ticket_messages WHERE seq = ?"
        " AND (ticket_message_id = ? OR message_id = ?)",
        (seq, msg_id, msg_id),
    )
    return None if row is None else bytes(row[0])


def get_image(db: Sql, helpdesk_id: str, image_key: str) -> ImageRecord | None:
    if names_nothing(image_key):
        return None
    row = db.one(
        "SELECT content_type, data FROM message_images WHERE image_key = ? AND helpdesk_id = ?",
        (image_key, helpdesk_id),
    )
    return None if row is None else ImageRecord(image_key, helpdesk_id, str(row[0]), bytes(row[1]))
