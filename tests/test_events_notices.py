"""PostgreSQL wakes every worker's dispatchers with NOTIFY when a commit wrote outbox rows:
an event written by one worker reaches a dispatcher of another long before its poll would
have found it, and each event is still sent by exactly one of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest

from larkdesk.auth import provision
from larkdesk.events.connections import ConnectionHub
from larkdesk.events.dispatcher import DeliveryConfig, Transport
from larkdesk.events.service import EventDelivery
from larkdesk.store.event_records import WEBHOOK, Attempt, Delivery, EventSettings, OutboundEvent
from larkdesk.store.postgres import PostgresStore

from .backends import postgres_schema

CREATED = "helpdesk.ticket.created_v1"
POLL_NEVER_S = 120.0  # the fallback poll, far longer than the test may take
PROMPT_S = 15.0  # "far sooner": generous for a loaded two-core box


class Recorder:
    """A webhook transport that records what it was handed, by which worker, and when."""

    mode = WEBHOOK
    holder = ""
    poll_s = None

    def __init__(self, worker: str, sent: list[tuple[str, str, float]]) -> None:
        self.worker = worker
        self.sent = sent

    async def send(self, delivery: Delivery) -> Attempt:
        self.sent.append((delivery.event_id, self.worker, time.monotonic()))
        return Attempt(delivery.outbox_id, delivery.attempt, 0, 200, 1)

    async def aclose(self) -> None:
        pass


def recorder(
    worker: str, sent: list[tuple[str, str, float]]
) -> Callable[[ConnectionHub], Transport]:
    return lambda hub: Recorder(worker, sent)


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def listening_app(store: PostgresStore) -> str:
    app = provision.create_app(store, "a")
    desk = provision.create_helpdesk(store, app.app_id, "d").helpdesk_id
    store.save_event_settings(
        EventSettings(app.app_id, "http://x/", "t", "", WEBHOOK, 1, (CREATED,))
    )
    store.subscribe_events(app.app_id, desk, [CREATED])
    return desk


def test_a_write_on_another_worker_is_delivered_long_before_the_poll(url: str) -> None:
    writer, reader = PostgresStore(url, pool_size=2), PostgresStore(url, pool_size=2)
    desk = listening_app(writer)
    sent: list[tuple[str, str, float]] = []
    config = DeliveryConfig(retry_s=(), lease_s=60, poll_s=POLL_NEVER_S)

    async def run() -> float:
        delivery = EventDelivery(reader, config, transports=[recorder("reader", sent)])
        await delivery.start()
        try:
            await wait_listening(delivery)
            await asyncio.sleep(0.3)  # the dispatcher's first look is over: it sleeps
            assert sent == []
            written = time.monotonic()
            # The writer is another store (another pool): only the database tells the
            # reader's dispatcher, which otherwise would look again in POLL_NEVER_S.
            await asyncio.to_thread(
                writer.add_events, [OutboundEvent("e" * 32, CREATED, desk, 1, b"{}")]
            )
            while not sent and time.monotonic() - written < PROMPT_S:
                await asyncio.sleep(0.01)
            return sent[0][2] - written if sent else PROMPT_S
        finally:
            await delivery.stop()

    try:
        assert asyncio.run(run()) < PROMPT_S
        assert [(event_id, worker) for event_id, worker, _ in sent] == [("e" * 32, "reader")]
    finally:
        writer.close()
        reader.close()


def test_two_listening_workers_send_each_event_once(url: str) -> None:
    one, two = PostgresStore(url, pool_size=3), PostgresStore(url, pool_size=3)
    desk = listening_app(one)
    sent: list[tuple[str, str, float]] = []
    config = DeliveryConfig(retry_s=(), lease_s=60, poll_s=POLL_NEVER_S, batch=5)
    ids = [f"{n:032x}" for n in range(60)]

    async def run() -> None:
        workers = [
            EventDelivery(one, config, transports=[recorder("one", sent)]),
            EventDelivery(two, config, transports=[recorder("two", sent)]),
        ]
        for worker in workers:
            await worker.start()
        try:
            for worker in workers:
                await wait_listening(worker)
            for n in range(0, len(ids), 3):  # both write, as two busy workers would
                store = (one, two)[n % 2]
                events = [OutboundEvent(i, CREATED, desk, 1, b"{}") for i in ids[n : n + 3]]
                await asyncio.to_thread(store.add_events, events)
            started = time.monotonic()
            while len(sent) < len(ids) and time.monotonic() - started < PROMPT_S:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.3)  # a duplicate, were there one, would show by now
        finally:
            for worker in workers:
                await worker.stop()

    try:
        asyncio.run(run())
        assert sorted(event_id for event_id, _, _ in sent) == ids  # each once, none lost
    finally:
        one.close()
        two.close()


async def wait_listening(delivery: EventDelivery) -> None:
    notices = delivery.notices
    assert notices is not None, "a PostgreSQL store's delivery listens for notices"
    await asyncio.wait_for(notices.listening.wait(), PROMPT_S)
