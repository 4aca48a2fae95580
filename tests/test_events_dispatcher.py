"""The dispatcher with a fake transport on a real store: one app's hanging receiver, with
a backlog bigger than every slot, does not hold up another app's events."""

from __future__ import annotations

import asyncio
from pathlib import Path

from larkdesk.auth import provision
from larkdesk.events.dispatcher import DeliveryConfig, Dispatcher
from larkdesk.store.event_records import WEBHOOK, Attempt, Delivery, EventSettings, OutboundEvent
from larkdesk.store.sqlite import SQLiteStore

CREATED = "helpdesk.ticket.created_v1"


class FakeTransport:
    mode = WEBHOOK
    holder = ""
    poll_s = None

    def __init__(self, hanging_app: str) -> None:
        self.hanging_app = hanging_app
        self.release = asyncio.Event()
        self.sent: list[str] = []

    async def send(self, delivery: Delivery) -> Attempt:
        if delivery.app_id == self.hanging_app:
            await self.release.wait()
        self.sent.append(delivery.app_id)
        return Attempt(delivery.outbox_id, delivery.attempt, 0, 200, 1)

    async def aclose(self) -> None:
        pass


def listening_app(store: SQLiteStore, tenant_key: str | None, desk: str | None) -> tuple[str, str]:
    app = provision.create_app(store, "a", tenant_key=tenant_key)
    desk = desk or provision.create_helpdesk(store, app.app_id, "d").helpdesk_id
    store.save_event_settings(
        EventSettings(app.app_id, "http://x/", "t", "", WEBHOOK, 1, (CREATED,))
    )
    store.subscribe_events(app.app_id, desk, [CREATED])
    return app.app_id, desk


def test_a_hanging_app_with_a_backlog_leaves_slots_for_others(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    slow, desk = listening_app(store, None, None)
    tenant = store.get_app(slow).tenant_key  # type: ignore[union-attr]
    store.add_events([OutboundEvent(f"{n:032x}", CREATED, desk, 1, b"{}") for n in range(200)])
    quick, _ = listening_app(store, tenant, desk)  # its rows come after all of slow's
    store.add_events([OutboundEvent(f"{n:032x}", CREATED, desk, 2, b"{}") for n in range(200, 210)])

    async def run() -> FakeTransport:
        transport = FakeTransport(slow)
        dispatcher = Dispatcher(store, transport, DeliveryConfig(lease_s=60, poll_s=0.05))
        await dispatcher.start()
        for _ in range(200):
            if transport.sent.count(quick) >= 10:
                break
            await asyncio.sleep(0.02)
        transport.release.set()
        await dispatcher.stop()
        return transport

    try:
        transport = asyncio.run(run())
        # all of quick's events went out while slow's receiver hung; slow's only after
        assert transport.sent.count(quick) == 10
        assert transport.sent.index(quick) < transport.sent.index(slow)
    finally:
        store.close()
