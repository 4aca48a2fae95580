"""Claiming a write's own events in the write's transaction (an "inline claim").

When the writing process runs a dispatcher, the outbox rows a change adds for apps of that
dispatcher's mode are stamped with its claim and lease as they are inserted (one statement,
`RETURNING` their ids), and handed to the dispatcher right after the commit: no claim
transaction of its own queueing for the write lock, no wait for a wake-up and a claim. The
rows are claimed exactly as `outbox.claim` claims them (`claimed_by`, `due_at` = the end of
the lease), so everything else holds unchanged: no other worker takes them before the lease
ends, and if this process dies before they are sent (`kill -9` between the commit and the
send), they are due again when the lease ends and any worker sends them.

A write opts in by running inside `claiming(claim)` (the events service does, around one
store write): `outbox.add_events` sees the claim through a context variable, so the store's
signatures do not change. Rows the claim does not take (other modes, apps the dispatcher has
at their cap, past its free slots) are written as before, due at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .event_records import LONG_CONNECTION, PENDING, Delivery, OutboundEvent
from .sql import Sql, marks


@dataclass(slots=True)
class InlineClaim:
    """A dispatcher's offer to claim a write's rows of `mode`, filled in by the write."""

    mode: str
    claim_id: str
    due_at: int  # ms: the end of the lease the rows are stamped with
    room: int  # the most rows to take (the dispatcher's free slots)
    skip_apps: tuple[str, ...] = ()  # apps the dispatcher has at their cap
    deliveries: list[Delivery] = field(default_factory=list)  # taken, to send after commit
    left_rows: bool = False  # the write added rows this claim did not take


_CURRENT: ContextVar[InlineClaim | None] = ContextVar("larkdesk_inline_claim", default=None)


@contextmanager
def claiming(claim: InlineClaim | None) -> Iterator[InlineClaim | None]:
    """Store writes in this block (on this thread) claim their rows with `claim` (None:
    they do not)."""
    token = _CURRENT.set(claim)
    try:
        yield claim
    finally:
        _CURRENT.reset(token)


def current() -> InlineClaim | None:
    return _CURRENT.get()


def _fan_out(skip: int) -> str:
    """`outbox._FAN_OUT`, the rows of the claim's apps stamped with its claim and lease."""
    busy = f" AND s.app_id NOT IN ({marks(skip)})" if skip else ""
    taken = f"a.mode = ?{busy}"
    return (
        "INSERT INTO event_outbox (event_id, app_id, helpdesk_id, event_type, created_at, body,"
        " state, attempts, due_at, claimed_by, done_at)"
        f" SELECT ?, s.app_id, s.helpdesk_id, s.event_type, ?, ?, '{PENDING}', 0,"
        f" CASE WHEN {taken} THEN ? ELSE ? END, CASE WHEN {taken} THEN ? ELSE '' END, 0"
        " FROM event_subscriptions s"
        " JOIN app_event_types e ON e.app_id = s.app_id AND e.event_type = s.event_type"
        " JOIN app_event_settings a ON a.app_id = s.app_id"
        " WHERE s.helpdesk_id = ? AND s.event_type = ?"
        f" AND (a.url <> '' OR a.mode = '{LONG_CONNECTION}')"
        " RETURNING id, app_id, claimed_by"
    )


def add_claimed(db: Sql, event: OutboundEvent, claim: InlineClaim) -> int:
    """Write `event` once per app that hears it, taking the rows of the claim's apps (up to
    its room); returns how many rows were written."""
    skip = claim.skip_apps
    taken = (claim.mode, *skip)
    rows = db.all(
        _fan_out(len(skip)),
        (
            event.event_id,
            event.created_at,
            event.body,
            *taken,
            claim.due_at,
            event.created_at,
            *taken,
            claim.claim_id,
            event.helpdesk_id,
            event.event_type,
        ),
    )
    mine = sorted((int(oid), str(app)) for oid, app, by in rows if by)
    room = max(0, claim.room - len(claim.deliveries))
    if len(mine) > room:  # more than the dispatcher has slots for: the rest due at once
        back = [oid for oid, _ in mine[room:]]
        db.run(
            f"UPDATE event_outbox SET due_at = ?, claimed_by = '' WHERE id IN ({marks(len(back))})",
            (event.created_at, *back),
        )
        mine = mine[:room]
    if len(mine) < len(rows):
        claim.left_rows = True
    if mine:
        claim.deliveries.extend(_deliveries(db, event, mine))
    return len(rows)


def app_settings(db: Sql, app_ids: set[str]) -> dict[str, tuple[str, str, str, str]]:
    """Each app's URL, verification token, encrypt key and tenant, by app_id."""
    ordered = sorted(app_ids)
    return {
        str(row[0]): (row[1], row[2], row[3], row[4])
        for row in db.all(
            "SELECT a.app_id, a.url, a.verification_token, a.encrypt_key, p.tenant_key"
            " FROM app_event_settings a JOIN apps p ON p.app_id = a.app_id"
            f" WHERE a.app_id IN ({marks(len(ordered))})",
            ordered,
        )
    }


def _deliveries(db: Sql, event: OutboundEvent, mine: list[tuple[int, str]]) -> list[Delivery]:
    """The taken rows as `outbox.claim` hands them out: with each app's URL, token, key and
    tenant, read in the write's transaction."""
    apps = app_settings(db, {app for _, app in mine})
    deliveries = []
    for oid, app_id in mine:
        url, token, key, tenant_key = apps.get(app_id, ("", "", "", ""))
        deliveries.append(
            Delivery(
                oid,
                event.event_id,
                event.event_type,
                app_id,
                tenant_key,
                event.helpdesk_id,
                event.created_at,
                event.body,
                1,
                url,
                token,
                key,
            )
        )
    return deliveries
