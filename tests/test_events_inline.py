"""A write claims its own events (store/outbox_claims.py): the rows of the webhook
dispatcher's apps are stamped with its claim and lease in the write's transaction and
handed to it after the commit, with no claim transaction; everything else about a claim
holds (other workers wait for the lease, a lost process's rows are sent after it)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from larkdesk.auth import provision
from larkdesk.events.dispatcher import DeliveryConfig
from larkdesk.events.service import EventDelivery
from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.store.base import Store, TagRecord, TicketWrite
from larkdesk.store.event_records import (
    LONG_CONNECTION,
    WEBHOOK,
    Attempt,
    Delivery,
    EventSettings,
)
from larkdesk.store.outbox_claims import InlineClaim, claiming

from .test_events_store import CREATED, T0, UPDATED, event

LEASE_END = T0 + 5000


def listening(store: Store, desk: str | None, mode: str = WEBHOOK) -> tuple[str, str]:
    """An app of the store's first tenant hearing `desk`'s created and updated events."""
    tenant = None
    if desk is not None:
        tenant = store.get_helpdesk(desk).tenant_key  # type: ignore[union-attr]
    app = provision.create_app(store, "t", tenant_key=tenant)
    desk = desk or provision.create_helpdesk(store, app.app_id, "d").helpdesk_id
    url = "http://r/" if mode == WEBHOOK else ""
    settings = EventSettings(app.app_id, url, "vt", "", mode, T0, (CREATED, UPDATED))
    store.save_event_settings(settings)
    store.subscribe_events(app.app_id, desk, [CREATED, UPDATED])
    return app.app_id, desk


def ticket(desk: str, ticket_id: str = "1") -> Any:
    return to_record(Ticket(ticket_id=ticket_id, created_at=T0, status=1), desk)


def test_a_write_claims_its_webhook_rows_until_the_lease_ends(store: Store) -> None:
    hook, desk = listening(store, None)
    socket, _ = listening(store, desk, LONG_CONNECTION)
    claim = InlineClaim(WEBHOOK, "inline", LEASE_END, room=10)
    with claiming(claim):
        assert store.create_ticket(ticket(desk), [event(desk, 1)])
    [delivery] = claim.deliveries
    assert (delivery.app_id, delivery.event_id, delivery.body) == (hook, f"{1:032x}", b'{"n":1}')
    assert (delivery.url, delivery.verification_token, delivery.attempt) == ("http://r/", "vt", 1)
    assert delivery.tenant_key == store.get_app(hook).tenant_key  # type: ignore[union-attr]
    assert claim.left_rows  # the long connection's row is left for its dispatcher
    # No other claim takes the row while the lease lasts; the long connection's is due now.
    assert store.claim_deliveries(WEBHOOK, "other", LEASE_END - 1, 5000, 100) == []
    [other] = store.claim_deliveries(LONG_CONNECTION, "lc", T0 + 2, 5000, 100)
    assert other.app_id == socket
    # Its process died before sending (kill -9 after the commit): due when the lease ends.
    [again] = store.claim_deliveries(WEBHOOK, "later", LEASE_END, 5000, 100)
    assert (again.outbox_id, again.event_id) == (delivery.outbox_id, delivery.event_id)
    # ... and the dead claim's late record does not overwrite the new claim's row.
    store.finish_deliveries("inline", [Attempt(delivery.outbox_id, 1, T0, 200, 1)], (1000,))
    [row] = [e for e in store.event_log(hook, False, 10)]
    assert row.state == "pending"
    store.finish_deliveries("later", [Attempt(again.outbox_id, 1, T0, 200, 1)], (1000,))
    assert store.event_log(hook, False, 10)[0].state == "delivered"


def test_a_claim_skips_busy_apps_and_takes_no_more_than_its_room(store: Store) -> None:
    busy, desk = listening(store, None)
    free, _ = listening(store, desk)
    claim = InlineClaim(WEBHOOK, "inline", LEASE_END, room=10, skip_apps=(busy,))
    with claiming(claim):
        store.create_ticket(ticket(desk), [event(desk, 1)])
    assert [d.app_id for d in claim.deliveries] == [free] and claim.left_rows
    assert [d.app_id for d in store.claim_deliveries(WEBHOOK, "c", T0 + 2, 5000, 9)] == [busy]

    small = InlineClaim(WEBHOOK, "inline", LEASE_END, room=1)
    with claiming(small):
        store.create_ticket(ticket(desk, "2"), [event(desk, 2)])
    assert len(small.deliveries) == 1 and small.left_rows
    [left] = store.claim_deliveries(WEBHOOK, "c2", T0 + 3, 5000, 9)
    assert left.app_id != small.deliveries[0].app_id and left.event_id == f"{2:032x}"


def test_without_a_claim_or_listeners_nothing_changes(store: Store) -> None:
    hook, desk = listening(store, None)
    claim = InlineClaim(WEBHOOK, "inline", LEASE_END, room=10)
    with claiming(claim):
        store.create_ticket(ticket(desk), [event(desk, 1, "helpdesk.other_v1")])  # nobody
    assert claim.deliveries == [] and not claim.left_rows
    store.create_ticket(ticket(desk, "2"), [event(desk, 2)])  # outside: due at once
    assert [d.app_id for d in store.claim_deliveries(WEBHOOK, "c", T0 + 2, 5000, 9)] == [hook]


class Recording:
    """A webhook transport that records what it is given."""

    mode = WEBHOOK
    holder = ""
    poll_s = None

    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def send(self, delivery: Delivery) -> Attempt:
        self.sent.append(delivery)
        return Attempt(delivery.outbox_id, delivery.attempt, T0, 200, 1)

    async def aclose(self) -> None:
        pass


def test_the_writing_worker_sends_its_events_with_no_claim_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook, desk = listening(store, None)
    store.create_ticket(ticket(desk), [])
    claims: list[str] = []
    claim_deliveries = store.claim_deliveries

    def counted(*args: Any, **kwargs: Any) -> list[Delivery]:
        found = claim_deliveries(*args, **kwargs)
        claims.append(f"{len(found)}")
        return found

    monkeypatch.setattr(store, "claim_deliveries", counted)
    transport = Recording()
    # A long poll: only the hand-over (or a wake) can send the events within the test.
    config = DeliveryConfig(lease_s=30, poll_s=30)
    delivery = EventDelivery(store, config, transports=(lambda hub: transport,))

    def update(n: int, fail: bool = False) -> None:
        def rewrite(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
            if fail:
                raise ValueError("rolled back")
            return TicketWrite(ticket(desk), events=(event(desk, n, UPDATED),))

        with delivery.writing():
            store.update_ticket(desk, "1", [], rewrite)

    async def run() -> None:
        await delivery.start()
        await asyncio.sleep(0.2)  # the start-up claim has run
        started = len(claims)
        await asyncio.to_thread(update, 1)
        with pytest.raises(ValueError):
            await asyncio.to_thread(update, 2, True)
        await asyncio.to_thread(update, 3)
        for _ in range(100):
            if len(transport.sent) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert claims[started:] == []  # handed over: no claim, not even an empty one
        await delivery.stop()

    asyncio.run(run())
    assert [d.event_id for d in transport.sent] == [f"{1:032x}", f"{3:032x}"]
    assert {e.event_id: e.state for e in store.event_log(hook, False, 10)} == {
        f"{1:032x}": "delivered",
        f"{3:032x}": "delivered",
    }
