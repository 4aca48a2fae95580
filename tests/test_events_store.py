"""The event store contract on every backend: settings, subscriptions, the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from larkdesk.auth import provision
from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.store.base import Store, TagRecord, TicketWrite
from larkdesk.store.event_records import (
    LONG_CONNECTION,
    WEBHOOK,
    Attempt,
    EventSettings,
    OutboundEvent,
)

T0 = 1_700_000_000_000
CREATED = "helpdesk.ticket.created_v1"
UPDATED = "helpdesk.ticket.updated_v1"
RETRY = (1000, 2000)


def app_and_desk(
    store: Store, url: str = "http://r/", types: Sequence[str] = (CREATED,)
) -> tuple[str, str]:
    app = provision.create_app(store, "t")
    desk = provision.create_helpdesk(store, app.app_id, "d")
    store.save_event_settings(EventSettings(app.app_id, url, "vt", "", WEBHOOK, T0, tuple(types)))
    return app.app_id, desk.helpdesk_id


def event(desk: str, n: int = 0, event_type: str = CREATED) -> OutboundEvent:
    return OutboundEvent(f"{n:032x}", event_type, desk, T0 + n, b'{"n":%d}' % n)


def test_settings_are_saved_and_replaced(store: Store) -> None:
    app_id, _ = app_and_desk(store, types=(CREATED, UPDATED))
    saved = store.get_event_settings(app_id)
    assert saved is not None and saved.event_types == (CREATED, UPDATED)
    assert saved.url == "http://r/" and saved.verification_token == "vt"
    store.save_event_settings(EventSettings(app_id, "", "t2", "k", LONG_CONNECTION, 0, (UPDATED,)))
    again = store.get_event_settings(app_id)
    assert again == EventSettings(app_id, "", "t2", "k", LONG_CONNECTION, 0, (UPDATED,))
    assert store.get_event_settings("cli_none") is None
    assert store.get_event_settings("a\x00b") is None


def test_subscriptions_are_idempotent(store: Store) -> None:
    app_id, desk = app_and_desk(store)
    store.subscribe_events(app_id, desk, [CREATED, CREATED])
    store.subscribe_events(app_id, desk, [CREATED, UPDATED])
    assert store.subscribed_event_types(app_id, desk) == [CREATED, UPDATED]
    store.unsubscribe_events(app_id, desk, [UPDATED, UPDATED])
    store.unsubscribe_events(app_id, desk, [UPDATED])
    assert store.subscribed_event_types(app_id, desk) == [CREATED]


def test_an_event_reaches_apps_that_enabled_it_subscribed_and_can_receive(store: Store) -> None:
    app_id, desk = app_and_desk(store)
    assert store.add_events([event(desk)]) == 0  # enabled, not subscribed
    store.subscribe_events(app_id, desk, [CREATED, UPDATED])
    assert store.add_events([event(desk, 1)]) == 1
    assert store.add_events([event(desk, 2, UPDATED)]) == 0  # subscribed, not enabled
    other = provision.create_app(store, "o")
    store.save_event_settings(EventSettings(other.app_id, "", "vt", "", WEBHOOK, 0, (CREATED,)))
    store.subscribe_events(other.app_id, desk, [CREATED])
    assert store.add_events([event(desk, 3)]) == 1  # the other has no URL yet
    log = store.event_log(None, False, 10)
    assert [(e.event_id, e.app_id, e.state) for e in log] == [
        (f"{3:032x}", app_id, "pending"),
        (f"{1:032x}", app_id, "pending"),
    ]


def test_a_ticket_and_its_events_commit_or_roll_back_together(store: Store) -> None:
    app_id, desk = app_and_desk(store, types=(CREATED, UPDATED))
    store.subscribe_events(app_id, desk, [CREATED, UPDATED])
    record = to_record(Ticket(ticket_id="1", created_at=T0, status=1), desk)
    assert store.create_ticket(record, [event(desk, 1)])
    assert not store.create_ticket(record, [event(desk, 2)])  # taken id: no event either

    def refuse(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
        store_write = TicketWrite(record, events=(event(desk, 3, UPDATED),))
        assert store_write.events
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.update_ticket(desk, "1", [], refuse)
    store.update_ticket(
        desk, "1", [], lambda body, tags: TicketWrite(record, events=(event(desk, 4, UPDATED),))
    )
    assert [e.event_id[-1] for e in store.event_log(app_id, False, 10)] == ["4", "1"]


def test_claims_are_disjoint_and_leases_expire(store: Store) -> None:
    app_id, desk = app_and_desk(store)
    store.subscribe_events(app_id, desk, [CREATED])
    store.add_events([event(desk, n) for n in range(20)])
    now = T0 + 100
    with ThreadPoolExecutor(4) as pool:
        claims = list(
            pool.map(lambda n: store.claim_deliveries(WEBHOOK, f"c{n}", now, 5000, 4), range(6))
        )
    ids = [d.outbox_id for batch in claims for d in batch]
    assert len(ids) == 20 and len(set(ids)) == 20
    first = claims[0][0] if claims[0] else next(b[0] for b in claims if b)
    assert first.attempt == 1 and first.url == "http://r/" and first.tenant_key
    assert store.claim_deliveries(WEBHOOK, "late", now + 4999, 5000, 100) == []
    assert store.claim_deliveries(LONG_CONNECTION, "lc", now + 9999, 5000, 100) == []
    assert store.next_event_due(WEBHOOK) == now + 5000
    assert len(store.claim_deliveries(WEBHOOK, "after", now + 5000, 5000, 100)) == 20


def test_finish_follows_the_retry_schedule_then_gives_up(store: Store) -> None:
    app_id, desk = app_and_desk(store)
    store.subscribe_events(app_id, desk, [CREATED])
    store.add_events([event(desk)])
    now = T0
    for attempt, status in enumerate((500, 0, 503), start=1):
        (d,) = store.claim_deliveries(WEBHOOK, f"c{attempt}", now, 5000, 10)
        assert d.attempt == attempt
        store.finish_deliveries(
            f"c{attempt}", [Attempt(d.outbox_id, attempt, now, status, 10, "boom")], RETRY
        )
        if attempt <= len(RETRY):
            assert store.next_event_due(WEBHOOK) == now + 10 + RETRY[attempt - 1]
            now = now + 10 + RETRY[attempt - 1]
    assert store.next_event_due(WEBHOOK) is None
    (entry,) = store.event_log(app_id, True, 10)
    assert entry.state == "failed"
    assert [(a.attempt, a.status) for a in entry.attempts] == [(1, 500), (2, 0), (3, 503)]


def test_success_delivers_and_a_lost_lease_does_not_overwrite(store: Store) -> None:
    app_id, desk = app_and_desk(store)
    store.subscribe_events(app_id, desk, [CREATED])
    store.add_events([event(desk, 1), event(desk, 2)])
    one, two = store.claim_deliveries(WEBHOOK, "a", T0 + 10, 1000, 10)
    (retaken,) = store.claim_deliveries(WEBHOOK, "b", T0 + 5000, 1000, 1)  # a's lease ended
    store.finish_deliveries("a", [Attempt(one.outbox_id, 1, T0, 500, 3, "x")], RETRY)
    store.finish_deliveries("b", [Attempt(retaken.outbox_id, 1, T0 + 5000, 200, 3)], RETRY)
    store.release_deliveries("a", [two.outbox_id], T0 + 6000)
    states = {e.outbox_id: e.state for e in store.event_log(None, False, 10)}
    assert states[one.outbox_id] == "delivered"  # b's success stands; a's failure was late
    assert store.event_log(None, True, 10) == []
    assert [d.outbox_id for d in store.claim_deliveries(WEBHOOK, "c", T0 + 6000, 1, 9)] == [
        two.outbox_id
    ]


def test_a_claim_can_skip_busy_apps(store: Store) -> None:
    busy, desk = app_and_desk(store)
    store.subscribe_events(busy, desk, [CREATED])
    calm = provision.create_app(store, "calm", tenant_key=store.get_app(busy).tenant_key)  # type: ignore[union-attr]
    store.save_event_settings(
        EventSettings(calm.app_id, "http://c/", "vt", "", WEBHOOK, 0, (CREATED,))
    )
    store.subscribe_events(calm.app_id, desk, [CREATED])
    store.add_events([event(desk, 1)])
    claimed = store.claim_deliveries(WEBHOOK, "c", T0 + 10, 1000, 10, [busy])
    assert [d.app_id for d in claimed] == [calm.app_id]


def test_imports_fire_no_events(store: Store, tmp_path: Path) -> None:
    from larkdesk.transfer.importer import import_ndjson

    app_id, desk = app_and_desk(store, types=(CREATED, UPDATED))
    store.subscribe_events(app_id, desk, [CREATED, UPDATED])
    path = tmp_path / "t.ndjson"
    path.write_text(
        '{"ticket_id":"9","created_at":1,"status":1}\n{"ticket_id":"9","created_at":1,"status":50}\n'
    )
    assert import_ndjson(store, desk, path, progress=None) >= 1
    assert store.event_log(None, False, 10) == []


def test_old_finished_events_are_purged_and_pending_ones_stay(store: Store) -> None:
    from larkdesk.events.retention import DAY_MS, purge_events

    app_id, desk = app_and_desk(store)
    store.subscribe_events(app_id, desk, [CREATED])
    ages = {"delivered": T0, "failed": T0 + 1, "pending": T0 + 2, "recent": T0 + 10 * DAY_MS}
    for n, at in enumerate(ages.values()):
        store.add_events([OutboundEvent(f"{n:032x}", CREATED, desk, at, b"{}")])
    rows = {e.event_id: e.outbox_id for e in store.event_log(None, False, 10)}
    ids = dict(zip(ages, (rows[f"{n:032x}"] for n in range(4)), strict=True))
    claimed = store.claim_deliveries(WEBHOOK, "c", T0 + 10 * DAY_MS, 1000, 10)
    results = {"delivered": 200, "failed": 500, "recent": 200}
    store.finish_deliveries(
        "c",
        [Attempt(ids[k], 1, T0, status, 1) for k, status in results.items()],
        (),  # no retry: the failure is final
    )
    store.release_deliveries(
        "c", [d.outbox_id for d in claimed if d.outbox_id == ids["pending"]], 0
    )

    # One bounded step looks at `batch` rows from the oldest and says where it stopped.
    removed, last, done = store.purge_events(T0 + 5 * DAY_MS, 0, 2)
    assert (removed, last, done) == (2, ids["failed"], False)
    assert purge_events(store, 5, now=T0 + 10 * DAY_MS) == 0  # the rest are kept
    left = {e.outbox_id: (e.state, len(e.attempts)) for e in store.event_log(None, False, 10)}
    assert left == {ids["pending"]: ("pending", 0), ids["recent"]: ("delivered", 1)}
    assert purge_events(store, 0.5, now=T0 + 11 * DAY_MS) == 1  # the recent one, now old
    assert [e.outbox_id for e in store.event_log(None, False, 10)] == [ids["pending"]]


def test_the_purge_command_removes_what_serve_would(tmp_path: Path) -> None:
    import json

    from larkdesk.store import open_store

    from .conftest import larkdesk

    db = tmp_path / "larkdesk.db"
    store = open_store(str(db))
    try:
        app_id, desk = app_and_desk(store)
        store.subscribe_events(app_id, desk, [CREATED])
        store.add_events([event(desk, 1)])  # created at T0: long ago
        (d,) = store.claim_deliveries(WEBHOOK, "c", T0 + 10, 1000, 10)
        store.finish_deliveries("c", [Attempt(d.outbox_id, 1, T0, 200, 1)], RETRY)
    finally:
        store.close()
    kept = larkdesk("events", "purge", "--keep-days", "100000", db=db)
    assert json.loads(kept.stdout) == {"removed": 0}
    assert json.loads(larkdesk("events", "purge", db=db).stdout) == {"removed": 1}
    shown = larkdesk("events", "log", "--json", db=db)
    assert shown.stdout == ""
    refused = larkdesk("events", "purge", "--keep-days", "-1", db=db, check=False)
    assert refused.returncode == 2 and "--keep-days" in refused.stderr
