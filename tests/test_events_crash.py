"""Nothing lost: `kill -9` of the server while events are being delivered, then a restart:
every committed change's event reaches the receiver at least once (on each store)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
