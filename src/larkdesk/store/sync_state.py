"""How far `larkdesk sync` has mirrored a remote helpdesk (one row per helpdesk)."""

from __future__ import annotations

import dataclasses

from .base import SyncState
from .identities import names_nothing
from .sql import REPLACE, Sql, Table

SYNC_STATE = Table(
    "sync_state",
    (
        ("helpdesk_id", "text"),
        ("source", "text"),
        ("high_water_ms", "bigint"),
        ("initial_until_ms", "bigint"),
        ("initial_through_ms", "bigint"),
    ),
    key=("helpdesk_id",),
)


def get_sync_state(db: Sql, helpdesk_id: str) -> SyncState | None:
    if names_nothing(helpdesk_id):
        return None
    row = db.one(
        f"SELECT {', '.join(SYNC_STATE.names)} FROM sync_state WHERE helpdesk_id = ?",
        (helpdesk_id,),
    )
    return SyncState(*row) if row else None


def save_sync_state(db: Sql, state: SyncState) -> None:
    db.insert_rows(SYNC_STATE, [dataclasses.astuple(state)], REPLACE)
