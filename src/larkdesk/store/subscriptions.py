"""Who hears which helpdesk events: apps' event settings and their helpdesk subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from .event_records import EventSettings
from .identities import names_nothing
from .sql import KEEP, Sql, Table, marks

SETTINGS = Table(
    "app_event_settings",
    (
        ("app_id", "text"),
        ("url", "text"),
        ("verification_token", "text"),
        ("encrypt_key", "text"),
        ("mode", "text"),
        ("verified_at", "bigint"),
    ),
    key=("app_id",),
)
EVENT_TYPES = Table("app_event_types", (("app_id", "text"), ("event_type", "text")))
SUBSCRIPTIONS = Table(
    "event_subscriptions", (("helpdesk_id", "text"), ("event_type", "text"), ("app_id", "text"))
)

_SAVE_SETTINGS = (
    "ON CONFLICT (app_id) DO UPDATE SET url = excluded.url,"
    " verification_token = excluded.verification_token, encrypt_key = excluded.encrypt_key,"
    " mode = excluded.mode, verified_at = excluded.verified_at"
)


def save_event_settings(db: Sql, settings: EventSettings) -> None:
    """Insert or replace the app's settings and its enabled event types."""
    row = (
        settings.app_id,
        settings.url,
        settings.verification_token,
        settings.encrypt_key,
        settings.mode,
        settings.verified_at,
    )
    db.insert_rows(SETTINGS, [row], _SAVE_SETTINGS)
    db.run("DELETE FROM app_event_types WHERE app_id = ?", (settings.app_id,))
    types = sorted(set(settings.event_types))
    db.insert_rows(EVENT_TYPES, [(settings.app_id, t) for t in types])


def get_event_settings(db: Sql, app_id: str) -> EventSettings | None:
    if names_nothing(app_id):
        return None
    row = db.one(
        "SELECT url, verification_token, encrypt_key, mode, verified_at"
        " FROM app_event_settings WHERE app_id = ?",
        (app_id,),
    )
    if row is None:
        return None
    types = db.all(
        "SELECT event_type FROM app_event_types WHERE app_id = ? ORDER BY event_type", (app_id,)
    )
    url, token, key, mode, verified_at = row
    return EventSettings(
        app_id, url, token, key, mode, int(verified_at), tuple(t for (t,) in types)
    )


def subscribe(db: Sql, app_id: str, helpdesk_id: str, event_types: Sequence[str]) -> None:
    """Subscribe the app to the helpdesk's events of these types; repeats change nothing."""
    rows = [(helpdesk_id, t, app_id) for t in sorted(set(event_types))]
    db.insert_rows(SUBSCRIPTIONS, rows, KEEP)


def unsubscribe(db: Sql, app_id: str, helpdesk_id: str, event_types: Sequence[str]) -> None:
    """Remove the subscriptions; one that does not exist is not an error."""
    types = sorted(set(event_types))
    if types:
        db.run(
            "DELETE FROM event_subscriptions WHERE helpdesk_id = ? AND app_id = ?"
            f" AND event_type IN ({marks(len(types))})",
            (helpdesk_id, app_id, *types),
        )


def subscribed_types(db: Sql, app_id: str, helpdesk_id: str) -> list[str]:
    """The event types the app has subscribed to on the helpdesk, sorted."""
    rows = db.all(
        "SELECT event_type FROM event_subscriptions WHERE helpdesk_id = ? AND app_id = ?"
        " ORDER BY event_type",
        (helpdesk_id, app_id),
    )
    return [t for (t,) in rows]
