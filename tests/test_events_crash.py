"""Nothing lost: `kill -9` of the server while events are being delivered, then a restart:
every committed change's event reaches the receiver at least once (on each store)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from larkdesk.store import open_store
from larkdesk.store.event_records import WEBHOOK

from .backends import BACKEND_NAMES, postgres_schema
from .conftest import larkdesk, stop_server
from .event_receivers import LarkReceiver
from .test_events_delivery import (
    CREATED,
    SUBSCRIBE,
    TICKET_EVENTS,
    Desk,
    a_guest,
    api_for,
    events_settings,
    new_app,
    serve,
)

TICKETS = 30


@pytest.fixture(params=BACKEND_NAMES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "larkdesk.db")
        return
    with postgres_schema() as url:
        yield url


def test_kill_9_mid_delivery_loses_no_committed_event(db: str, tmp_path: Path) -> None:
    out = larkdesk("demo", "--tickets", "5", "--seed", "24", db=db)  # type: ignore[arg-type]
    creds = json.loads(out.stdout)
    live = serve(db, tmp_path)
    desk = Desk(live, creds)
    app = new_app(desk, "crash")
    token = str(events_settings(desk, app["app_id"])["verification_token"])
    with LarkReceiver(token) as receiver:
        events_settings(desk, app["app_id"], "--url", receiver.url)
        with api_for(desk, app) as api:
            assert api.post(SUBSCRIBE, json={"events": TICKET_EVENTS}).json()["code"] == 0
        receiver.hang_s = 2  # deliveries are in flight when the server dies (timeout: 3 s)
        guest = a_guest(desk)
        committed = []
        with api_for(desk, creds) as api:
            for _ in range(TICKETS):
                body = api.post("/open-apis/helpdesk/v1/start_service", json={"open_id": guest})
                committed.append(body.json()["data"]["ticket_id"])
        live.process.send_signal(signal.SIGKILL)
        live.process.wait(timeout=10)
        delivered_before = {r.parsed.event.ticket_id for r in receiver.of_type(CREATED)}
        assert len(delivered_before) < TICKETS, "all delivered before the kill: nothing tested"
        receiver.hang_s = 0
        restarted = serve(db, tmp_path)
        try:
            deadline = time.monotonic() + 30  # a dead worker's claims end with their lease
            while time.monotonic() < deadline:
                got = {r.parsed.event.ticket_id for r in receiver.of_type(CREATED)}
                if got >= set(committed):
                    break
                time.sleep(0.1)
            assert set(committed) - got == set()
        finally:
            stop_server(restarted)


def test_kill_9_after_the_commit_sends_the_claimed_event_when_its_lease_ends(
    db: str, tmp_path: Path
) -> None:
    """The writing worker claims its own event in the write's transaction: killed after
    the commit, before the attempt is recorded, the event is still sent, by the next
    worker, once the lease (5 s here) has ended."""
    creds = json.loads(larkdesk("demo", "--tickets", "5", "--seed", "25", db=db).stdout)  # type: ignore[arg-type]
    live = serve(db, tmp_path, "--workers", "1")  # one process: kill -9 ends every sender
    try:
        desk = Desk(live, creds)
        app = new_app(desk, "claimed")
        token = str(events_settings(desk, app["app_id"])["verification_token"])
        with LarkReceiver(token) as receiver:
            events_settings(desk, app["app_id"], "--url", receiver.url)
            with api_for(desk, app) as api:
                assert api.post(SUBSCRIBE, json={"events": TICKET_EVENTS}).json()["code"] == 0
            receiver.requests = 0  # the challenge is not a delivery
            receiver.hang_s = 1.5  # the send is in flight when the server dies
            with api_for(desk, creds) as api:
                body = api.post(
                    "/open-apis/helpdesk/v1/start_service", json={"open_id": a_guest(desk)}
                )
            ticket_id = body.json()["data"]["ticket_id"]
            deadline = time.monotonic() + 10
            while receiver.requests == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert receiver.requests == 1, "the event was not sent at once"
            live.process.send_signal(signal.SIGKILL)
            live.process.wait(timeout=10)
            store = open_store(db)
            try:
                [row] = [e for e in store.event_log(app["app_id"], False, 10)]
                assert (row.state, row.attempts) == ("pending", ())  # sent, never recorded
                due = store.next_event_due(WEBHOOK)
            finally:
                store.close()
            assert due is not None and due >= row.created_at + 4000  # claimed for the lease
            time.sleep(1.6)  # the hung request finished: lark-oapi handled it once
            receiver.hang_s = 0
            restarted = serve(db, tmp_path, "--workers", "1")
            try:
                again = receiver.wait_for(2, CREATED, timeout=30)
                assert time.time() * 1000 >= due
                assert [r.parsed.event.ticket_id for r in again] == [ticket_id, ticket_id]
                assert again[0].event_id == again[1].event_id
            finally:
                stop_server(restarted)
    finally:
        if live.process.poll() is None:  # an assertion failed before the kill
            stop_server(live)
