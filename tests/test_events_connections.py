"""The live long connections in the store, on every backend: the per-app cap counted
across workers, expiry, and which long-connection rows a worker may claim (those of apps
it holds a connection for, or that nobody does; never those only another worker holds)."""

from __future__ import annotations

import pytest

from larkdesk.store.base import Store
from larkdesk.store.event_records import LONG_CONNECTION, EventSettings

from .test_events_store import CREATED, T0, app_and_desk, event

LEASE = 5000


def long_connection_app(store: Store) -> tuple[str, str]:
    app_id, desk = app_and_desk(store, url="")
    store.save_event_settings(EventSettings(app_id, "", "vt", "", LONG_CONNECTION, 0, (CREATED,)))
    store.subscribe_events(app_id, desk, [CREATED])
    return app_id, desk


def test_the_cap_counts_every_worker_and_expired_rows_do_not(store: Store) -> None:
    app_id, _ = long_connection_app(store)
    assert store.open_event_connection("c1", app_id, "w1", T0, T0 + 1000, 3)
    assert store.open_event_connection("c2", app_id, "w2", T0, T0 + 1000, 3)
    assert not store.open_event_connection("c2", app_id, "w1", T0, T0 + 1000, 3)  # id taken
    assert store.open_event_connection("c3", app_id, "w2", T0, T0 + 500, 3)
    assert not store.open_event_connection("c4", app_id, "w1", T0, T0 + 1000, 3)  # cap
    assert store.live_event_connections(app_id, T0) == 3
    assert store.live_event_connections(app_id, T0 + 500) == 2  # c3 expired
    assert store.open_event_connection("c4", app_id, "w1", T0 + 500, T0 + 1000, 3)
    store.refresh_event_connections("w1", T0 + 900, T0 + 5000)  # w2 stopped refreshing
    assert store.live_event_connections(app_id, T0 + 2000) == 2
    store.close_event_connections(["c1"])
    assert store.live_event_connections(app_id, T0 + 2000) == 1


@pytest.mark.parametrize(
    ("held_by", "may_claim"),
    [
        ({"w1": True}, {"w1": True, "w2": False}),  # w1 holds it: only w1
        ({"w1": True, "w2": True}, {"w1": True, "w2": True}),  # both hold one
        ({}, {"w1": True, "w2": True}),  # nobody: anyone, to fail and retry
        ({"w1": False}, {"w1": True, "w2": True}),  # w1's row expired: nobody holds it
    ],
)
def test_a_worker_claims_rows_of_apps_it_holds_or_nobody_holds(
    store: Store, held_by: dict[str, bool], may_claim: dict[str, bool]
) -> None:
    app_id, desk = long_connection_app(store)
    for n, (worker, live) in enumerate(held_by.items()):
        store.open_event_connection(f"c{n}", app_id, worker, T0, T0 + (10_000 if live else 1), 50)
    store.add_events([event(desk, 1)])
    now = T0 + 100
    for worker, expected in may_claim.items():
        due = store.next_event_due(LONG_CONNECTION, worker, now)
        assert (due is not None) == expected, worker
        claimed = store.claim_deliveries(LONG_CONNECTION, worker, now, LEASE, 10, (), worker)
        assert len(claimed) == int(expected), worker
        if claimed:
            store.release_deliveries(worker, [claimed[0].outbox_id], now)
