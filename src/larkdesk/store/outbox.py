"""The event outbox: events written in the transaction of the change that caused them,
claimed by delivery workers under a lease, and their attempts.

A change's events are added with `add_events(db, events)` inside the change's own write
transaction (a rolled-back change leaves no event; a committed one cannot lose it). Each
event becomes one row per app that hears it (the app enabled the type and subscribed the
helpdesk). A worker claims due rows by moving their `due_at` to the end of a lease and
stamping its claim id: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent workers
take disjoint rows; on SQLite under its single write lock. A worker that dies leaves its
rows due again when the lease ends: delivery is at least once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from . import outbox_claims
from .connections import HELD_APPS, LIVE_APPS
from .event_records import (
    DELIVERED,
    FAILED,
    LONG_CONNECTION,
    PENDING,
    Attempt,
    Delivery,
    EventLogEntry,
    OutboundEvent,
)
from .sql import KEEP, Sql, Table, marks

ATTEMPTS = Table(
    "event_attempts",
    (
        ("outbox_id", "bigint"),
        ("attempt", "bigint"),
        ("at", "bigint"),
        ("status", "bigint"),
        ("latency_ms", "bigint"),
        ("error", "text"),
    ),
)

# One row per app that enabled the type and subscribed the helpdesk, and can receive:
# a webhook app once its URL passed the challenge, a long-connection app always.
_FAN_OUT = (
    "INSERT INTO event_outbox (event_id, app_id, helpdesk_id, event_type, created_at, body,"
    " state, attempts, due_at, claimed_by, done_at)"
    f" SELECT ?, s.app_id, s.helpdesk_id, s.event_type, ?, ?, '{PENDING}', 0, ?, '', 0"
    " FROM event_subscriptions s"
    " JOIN app_event_types e ON e.app_id = s.app_id AND e.event_type = s.event_type"
    " JOIN app_event_settings a ON a.app_id = s.app_id"
    " WHERE s.helpdesk_id = ? AND s.event_type = ?"
    f" AND (a.url <> '' OR a.mode = '{LONG_CONNECTION}')"
)
_IN_MODE = "SELECT app_id FROM app_event_settings WHERE mode = ?"


# PostgreSQL: a notice on commit wakes every worker's dispatchers (store/pg_notices.py
# listens); one channel per schema, so larkdesks sharing a database wake only their own.
NOTICE_CHANNEL = "larkdesk_events"
# (A channel name has at most 63 bytes: LISTEN would cut a longer one, pg_notify refuse it.)
CHANNEL_SQL = f"left('{NOTICE_CHANNEL}.' || current_schema(), 63)"
_NOTIFY = f"SELECT pg_notify({CHANNEL_SQL}, '')"


def add_events(db: Sql, events: Iterable[OutboundEvent]) -> int:
    """Write each event once per app that hears it, in the caller's transaction; returns
    how many deliveries were written (0 when nobody listens). Inside
    `outbox_claims.claiming`, the rows of the claim's apps are claimed as they are written."""
    claim = outbox_claims.current()
    written = 0
    for event in events:
        if claim is not None:
            written += outbox_claims.add_claimed(db, event, claim)
            continue
        written += db.run(
            _FAN_OUT,
            (
                event.event_id,
                event.created_at,
                event.body,
                event.created_at,
                event.helpdesk_id,
                event.event_type,
            ),
        )
    unclaimed = written > 0 if claim is None else claim.left_rows
    if unclaimed and db.for_update:
        # PostgreSQL (the dialect with row locks): sent when, and only if, this commits.
        # Notices repeated in one transaction are folded into one. Rows claimed in this
        # transaction need none: no other worker may take them before their lease ends.
        db.one(_NOTIFY)
    return written


def _skip_locked(db: Sql) -> str:
    """Rows another worker is claiming are skipped, not waited for (PostgreSQL); SQLite's
    one write lock already makes claims take turns."""
    return f"{db.for_update} SKIP LOCKED" if db.for_update else ""


def _held(holder: str, now: int) -> tuple[str, tuple[str | int, ...]]:
    """Rows a long-connection worker may claim: of apps it holds a live connection for,
    or that no worker does (that attempt fails, and is retried on the schedule). Rows of
    apps only other workers hold are theirs to send."""
    if not holder:
        return "", ()
    clause = f" AND (o.app_id IN ({HELD_APPS}) OR o.app_id NOT IN ({LIVE_APPS}))"
    return clause, (now, holder, now)


def claim(
    db: Sql,
    mode: str,
    claim_id: str,
    now: int,
    lease_ms: int,
    limit: int,
    skip_apps: Sequence[str] = (),
    holder: str = "",
) -> list[Delivery]:
    """Claim up to `limit` due deliveries of apps in `mode` (but `skip_apps`; and with a
    `holder`, a worker's id, only rows it may send over its long connections), oldest due
    first, until `now + lease_ms`; each with its app's URL, token, key and tenant."""
    skip = f" AND o.app_id NOT IN ({marks(len(skip_apps))})" if skip_apps else ""
    held, held_params = _held(holder, now)
    rows = db.all(
        "UPDATE event_outbox SET due_at = ?, claimed_by = ? WHERE id IN ("
        f"SELECT o.id FROM event_outbox o WHERE o.state = '{PENDING}' AND o.due_at <= ?"
        f" AND o.app_id IN ({_IN_MODE}){skip}{held} ORDER BY o.due_at, o.id"
        f" LIMIT ?{_skip_locked(db)})"
        " RETURNING id, event_id, event_type, app_id, helpdesk_id, created_at, body, attempts",
        (now + lease_ms, claim_id, now, mode, *skip_apps, *held_params, limit),
    )
    if not rows:
        return []
    apps = outbox_claims.app_settings(db, {row[3] for row in rows})
    deliveries = []
    for oid, event_id, event_type, app_id, helpdesk_id, created, body, attempts in sorted(rows):
        url, token, key, tenant_key = apps.get(app_id, ("", "", "", ""))
        deliveries.append(
            Delivery(
                int(oid),
                event_id,
                event_type,
                app_id,
                tenant_key,
                helpdesk_id,
                int(created),
                bytes(body),
                int(attempts) + 1,
                url,
                token,
                key,
            )
        )
    return deliveries


def finish(db: Sql, claim_id: str, attempts: Sequence[Attempt], retry_ms: Sequence[int]) -> None:
    """Record attempts of the claim: delivered, due again after the schedule's next
    interval, or failed once the schedule is spent. A row whose lease was lost to another
    claim is left to that claim (its attempt is still logged)."""
    db.insert_rows(
        ATTEMPTS,
        [(a.outbox_id, a.attempt, a.at, a.status, a.latency_ms, a.error) for a in attempts],
        KEEP,
    )
    for a in attempts:
        done = a.at + a.latency_ms
        if a.ok:
            state, due, done_at = DELIVERED, done, done
        elif a.attempt <= len(retry_ms):
            state, due, done_at = PENDING, done + retry_ms[a.attempt - 1], 0
        else:
            state, due, done_at = FAILED, done, done
        db.run(
            "UPDATE event_outbox SET state = ?, attempts = ?, due_at = ?, done_at = ?"
            " WHERE id = ? AND claimed_by = ?",
            (state, a.attempt, due, done_at, a.outbox_id, claim_id),
        )


def release(db: Sql, claim_id: str, outbox_ids: Sequence[int], now: int) -> None:
    """Hand unsent rows of a claim back, due at once (a worker stopping cleanly)."""
    if outbox_ids:
        db.run(
            f"UPDATE event_outbox SET due_at = ? WHERE claimed_by = ? AND state = '{PENDING}'"
            f" AND id IN ({marks(len(outbox_ids))})",
            (now, claim_id, *outbox_ids),
        )


def next_due(db: Sql, mode: str, holder: str = "", now: int = 0) -> int | None:
    """When the earliest pending delivery of an app in `mode` (that `holder` may send,
    see `claim`) is due (ms), or None."""
    held, held_params = _held(holder, now)
    row = db.one(
        f"SELECT min(o.due_at) FROM event_outbox o WHERE o.state = '{PENDING}'"
        f" AND o.app_id IN ({_IN_MODE}){held}",
        (mode, *held_params),
    )
    return int(row[0]) if row and row[0] is not None else None


def event_log(db: Sql, app_id: str | None, failed: bool, limit: int) -> list[EventLogEntry]:
    """The newest `limit` outbox rows (of one app, or failing ones only), newest first,
    each with its attempts. Failing: given up, or pending after a failed attempt."""
    where: list[str] = []
    params: list[Any] = []
    if app_id is not None:
        where.append("app_id = ?")
        params.append(app_id)
    if failed:
        where.append(f"(state = '{FAILED}' OR (state = '{PENDING}' AND attempts > 0))")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return event_log_rows(db, clause, params, limit)


def event_log_rows(db: Sql, clause: str, params: list[Any], limit: int) -> list[EventLogEntry]:
    """The newest `limit` outbox rows matching `clause`, newest first, with their attempts."""
    rows = db.all(
        "SELECT id, event_id, event_type, app_id, helpdesk_id, created_at, state"
        f" FROM event_outbox {clause} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
    by_row: dict[int, list[Attempt]] = {int(row[0]): [] for row in rows}
    if by_row:
        for oid, n, at, status, latency, error in db.all(
            "SELECT outbox_id, attempt, at, status, latency_ms, error FROM event_attempts"
            f" WHERE outbox_id IN ({marks(len(by_row))}) ORDER BY outbox_id, attempt",
            list(by_row),
        ):
            by_row[int(oid)].append(
                Attempt(int(oid), int(n), int(at), int(status), int(latency), error)
            )
    return [
        EventLogEntry(int(oid), eid, etype, app, desk, int(at), state, tuple(by_row[int(oid)]))
        for oid, eid, etype, app, desk, at, state in rows
    ]


def purge(db: Sql, before_ms: int, after_id: int, batch: int) -> tuple[int, int, bool]:
    """One step of removing finished events created before `before_ms`, with their
    attempts: the `batch` oldest rows after `after_id` (in id order, which is commit
    order), stopping at the first row young enough to keep. Pending rows stay whatever
    their age. Returns (rows removed, the last id looked at, whether the old part of the
    outbox is done): the work per step is bounded, so the write lock is held briefly."""
    rows = db.all(
        "SELECT id, created_at, state FROM event_outbox WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, batch),
    )
    old: list[tuple[int, str]] = []
    for oid, created_at, state in rows:
        if int(created_at) >= before_ms:
            break  # rows after it are (nearly all) younger still
        old.append((int(oid), state))
    done = len(old) < batch  # a young row, or the end of the table, was reached
    gone = [oid for oid, state in old if state != PENDING]
    if gone:
        where = f"IN ({marks(len(gone))})"
        db.run(f"DELETE FROM event_attempts WHERE outbox_id {where}", gone)
        db.run(f"DELETE FROM event_outbox WHERE id {where}", gone)
    return len(gone), old[-1][0] if old else after_id, done
