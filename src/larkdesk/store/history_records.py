"""Who changed a ticket's status or stage, and one entry of that history (`store.history`
writes and reads them)."""

from __future__ import annotations

from dataclasses import dataclass

ACTOR_KINDS = ("app", "user", "operator", "import", "sync", "system")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changed a ticket: `kind` one of ACTOR_KINDS, the app's or user's id (and a
    user's name), and where: `api`, `console`, `cli`, or an import's or sync's source."""

    kind: str
    id: str = ""
    name: str = ""
    source: str = ""


SYSTEM = Actor("system")
"""Writes that name nobody (the demo's loader, an import's undo)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: int
    old_status: int | None
    new_status: int | None
    old_stage: int | None
    new_stage: int | None
    actor: Actor
