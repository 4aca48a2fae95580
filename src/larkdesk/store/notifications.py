"""Each helpdesk's notifications (push campaigns): status and wire JSON. A status change
and the events it fires are written in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from .event_records import OutboundEvent
from .identities import names_nothing
from .outbox import add_events
from .sql import REPLACE, Sql, Table

NOTIFICATIONS = Table(
    "notifications",
    (
        ("notification_id", "text"),
        ("helpdesk_id", "text"),
        ("status", "bigint"),
        ("updated_at", "bigint"),
        ("body", "bytea"),
    ),
    key=("notification_id",),
)


def save_notification(
    db: Sql,
    notification_id: str,
    helpdesk_id: str,
    status: int,
    updated_at: int,
    body: bytes,
    events: Sequence[OutboundEvent],
) -> None:
    db.insert_rows(
        NOTIFICATIONS, [(notification_id, helpdesk_id, status, updated_at, body)], REPLACE
    )
    add_events(db, events)


def get_notification(db: Sql, helpdesk_id: str, notification_id: str) -> bytes | None:
    if names_nothing(notification_id):
        return None
    row = db.one(
        "SELECT body FROM notifications WHERE notification_id = ? AND helpdesk_id = ?",
        (notification_id, helpdesk_id),
    )
    return bytes(row[0]) if row else None


def find_notification(db: Sql, notification_id: str) -> tuple[str, bytes] | None:
    """The helpdesk and body of a notification by id alone (the administrator's CLI)."""
    if names_nothing(notification_id):
        return None
    row = db.one(
        "SELECT helpdesk_id, body FROM notifications WHERE notification_id = ?",
        (notification_id,),
    )
    return (row[0], bytes(row[1])) if row else None
