"""Helpdesk events end to end: a real `larkdesk serve` on each store delivers to receivers
built on lark-oapi's `EventDispatcherHandler` (unchanged); subscriptions made through
lark-oapi and httpx; retries, a hanging receiver, the challenge, the log."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from larkdesk.auth.credentials import encode_helpdesk_header

from .backends import BACKEND_NAMES, postgres_schema
from .conftest import LiveServer, larkdesk, start_server, stop_server
from .event_receivers import LarkReceiver
from .test_lifecycle import assert_bad_request, token_for

CREATED = "helpdesk.ticket.created_v1"
UPDATED = "helpdesk.ticket.updated_v1"
SUBSCRIBE = "/open-apis/helpdesk/v1/events/subscribe"
UNSUBSCRIBE = "/open-apis/helpdesk/v1/events/unsubscribe"
TICKET_EVENTS = [
    {"type": "helpdesk.ticket", "subtype": "ticket.created_v1"},
    {"type": "helpdesk.ticket", "subtype": "ticket.updated_v1"},
]
FAST_RETRY = ("--event-retry", "0.3,0.3,0.3,0.3", "--event-lease", "5", "--rate-limit", "off")


@dataclass
class Desk:
    server: LiveServer
    creds: dict[str, str]  # the demo's app, helpdesk and tenant

    @property
    def db(self) -> str:
        return str(self.server.db)


def serve(db: str, logs: Path, *extra: str) -> LiveServer:
    return start_server(db, *FAST_RETRY, *extra, log_dir=logs)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    logs = tmp_path_factory.mktemp("events")
    if request.param == "sqlite":
        db = str(logs / "larkdesk.db")
        out = larkdesk("demo", "--tickets", "20", "--seed", "21", db=db)  # type: ignore[arg-type]
        live = serve(db, logs)
        yield Desk(live, json.loads(out.stdout))
        stop_server(live)
        return
    with postgres_schema() as url:
        out = larkdesk("demo", "--tickets", "20", "--seed", "22", db=url)  # type: ignore[arg-type]
        live = serve(url, logs)
        yield Desk(live, json.loads(out.stdout))
        stop_server(live)


def api_for(desk: Desk, app: dict[str, str]) -> httpx.Client:
    token = token_for(desk.server.base_url, app["app_id"], app["app_secret"])
    header = encode_helpdesk_header(desk.creds["helpdesk_id"], desk.creds["helpdesk_token"])
    headers = {"Authorization": f"Bearer {token}", "X-Lark-Helpdesk-Authorization": header}
    return httpx.Client(base_url=desk.server.base_url, headers=headers, timeout=30)


def new_app(desk: Desk, name: str) -> dict[str, str]:
    """Another app of the demo's tenant (so it may subscribe the demo helpdesk)."""
    made = larkdesk(
        "app", "create", "--name", name, "--tenant", desk.creds["tenant_key"], db=desk.db
    )  # type: ignore[arg-type]
    return dict(json.loads(made.stdout))


def events_settings(desk: Desk, app_id: str, *args: str, check: bool = True) -> dict[str, object]:
    out = larkdesk("app", "events", app_id, *args, db=desk.db, check=check)  # type: ignore[arg-type]
    if not check:
        return {"returncode": out.returncode, "stderr": out.stderr}
    return dict(json.loads(out.stdout))


def listening_app(
    desk: Desk, receiver_for: type[LarkReceiver] | None = None, **kw: object
) -> tuple[dict[str, str], LarkReceiver]:
    """A new app whose events go to a fresh lark-oapi receiver, subscribed to the demo
    helpdesk's ticket events. The token is the one larkdesk made for the app."""
    app = new_app(desk, "listener")
    token = str(events_settings(desk, app["app_id"])["verification_token"])
    key = str(kw.pop("encrypt_key", ""))
    receiver = LarkReceiver(token, key, **kw).__enter__()  # type: ignore[arg-type]
    args = ["--url", receiver.url] + (["--encrypt-key", key] if key else [])
    shown = events_settings(desk, app["app_id"], *args)
    assert shown["url"] == receiver.url and shown["verified_at"]
    receiver.requests = 0  # the challenge is not a delivery
    with api_for(desk, app) as api:
        assert api.post(SUBSCRIBE, json={"events": TICKET_EVENTS}).json()["code"] == 0
    return app, receiver


def a_guest(desk: Desk) -> str:
    with api_for(desk, desk.creds) as api:
        tickets = api.get("/open-apis/helpdesk/v1/tickets", params={"page_size": 1}).json()
    return str(tickets["data"]["tickets"][0]["guest"]["id"])


def start_ticket(desk: Desk, guest: str) -> str:
    with api_for(desk, desk.creds) as api:
        body = api.post("/open-apis/helpdesk/v1/start_service", json={"open_id": guest}).json()
    assert body["code"] == 0, body
    return str(body["data"]["ticket_id"])


# -- subscribing -----------------------------------------------------------------------


def test_subscribe_and_unsubscribe_through_lark_oapi(desk: Desk) -> None:
    import lark_oapi as lark
    from lark_oapi.api.helpdesk.v1 import (
        Event,
        SubscribeEventRequest,
        SubscribeEventRequestBody,
        UnsubscribeEventRequest,
        UnsubscribeEventRequestBody,
    )

    app = new_app(desk, "sdk")
    client = (
        lark.Client.builder()
        .app_id(app["app_id"])
        .app_secret(app["app_secret"])
        .domain(desk.server.base_url)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    header = encode_helpdesk_header(desk.creds["helpdesk_id"], desk.creds["helpdesk_token"])
    option = lark.RequestOption.builder().headers({"X-Lark-Helpdesk-Authorization": header}).build()
    events = [Event.builder().type("helpdesk.ticket").subtype("ticket.created_v1").build()]
    request = (
        SubscribeEventRequest.builder()
        .request_body(SubscribeEventRequestBody.builder().events(events).build())
        .build()
    )
    response = client.helpdesk.v1.event.subscribe(request, option)
    assert response.success(), response.msg
    again = asyncio.run(client.helpdesk.v1.event.asubscribe(request, option))  # idempotent
    assert again.success(), again.msg
    unknown = [Event.builder().type("helpdesk.ticket").subtype("ticket.deleted_v1").build()]
    refused = client.helpdesk.v1.event.subscribe(
        SubscribeEventRequest.builder()
        .request_body(SubscribeEventRequestBody.builder().events(unknown).build())
        .build(),
        option,
    )
    assert refused.code == 154000 and "ticket.deleted_v1" in refused.msg
    request = (
        UnsubscribeEventRequest.builder()
        .request_body(UnsubscribeEventRequestBody.builder().events(events).build())
        .build()
    )
    assert asyncio.run(client.helpdesk.v1.event.aunsubscribe(request, option)).success()
    assert client.helpdesk.v1.event.unsubscribe(request, option).success()  # idempotent


def test_subscription_bodies_are_checked(desk: Desk) -> None:
    with api_for(desk, desk.creds) as api:
        for body, words in [
            ({}, ("events",)),
            ({"events": []}, ("events",)),
            ({"events": "all"}, ("events",)),
            ({"events": [{"type": "helpdesk.ticket"}]}, ("events[0]", "unknown")),
            (
                {
                    "events": [
                        {"type": "helpdesk.notification", "subtype": "notification.deleted_v1"}
                    ]
                },
                ("unknown",),
            ),
        ]:
            assert_bad_request(api.post(SUBSCRIBE, json=body), *words)
        assert_bad_request(api.post(UNSUBSCRIBE, content=b"{nope"), "JSON")
        assert api.post(UNSUBSCRIBE, json={"events": TICKET_EVENTS}).json()["code"] == 0
        no_desk = api.post(
            SUBSCRIBE, json={"events": TICKET_EVENTS}, headers={"X-Lark-Helpdesk-Authorization": ""}
        )
        assert no_desk.json()["code"] == 154001


# -- delivery ----------------------------------------------------------------------------


@pytest.mark.parametrize("encrypt_key", ["", "s3cr3t key"], ids=["plain", "encrypted"])
def test_created_and_updated_reach_lark_oapi(desk: Desk, encrypt_key: str) -> None:
    app, receiver = listening_app(desk, encrypt_key=encrypt_key)
    with receiver:
        guest = a_guest(desk)
        with api_for(desk, desk.creds) as api:
            started = api.post("/open-apis/helpdesk/v1/start_service", json={"open_id": guest})
        ticket_id, chat_id = started.json()["data"]["ticket_id"], started.json()["data"]["chat_id"]
        (created,) = receiver.wait_for(1, CREATED)
        event = created.parsed
        assert re.fullmatch(r"[0-9a-f]{32}", event.header.event_id)
        assert event.header.app_id == app["app_id"]
        assert event.header.tenant_key == desk.creds["tenant_key"]
        assert isinstance(event.header.create_time, str) and event.header.create_time.isdigit()
        assert event.event.ticket_id == ticket_id
        assert event.event.helpdesk_id == desk.creds["helpdesk_id"]
        assert event.event.guest.id.open_id == guest
        assert (event.event.stage, event.event.status, event.event.channel) == (1, 1, 9)
        assert event.event.chat_id == chat_id  # the ticket's chat, as start_service said
        with api_for(desk, desk.creds) as api:
            url = f"/open-apis/helpdesk/v1/tickets/{ticket_id}"
            assert api.put(url, json={"status": 2}).json()["code"] == 0
            assert api.put(url, json={"comment": "no status change"}).json()["code"] == 0
            assert api.put(url, json={"status": 50, "ticket_type": 2}).json()["code"] == 0
        first, second = receiver.wait_for(2, UPDATED)
        assert first.parsed.event.object.status == 2
        assert first.parsed.event.object.chat_id == second.parsed.event.object.chat_id == chat_id
        assert (first.parsed.event.old_object.status, first.parsed.event.old_object.stage) == (
            1,
            None,
        )
        assert first.parsed.event.old_object.updated_at == -1
        assert (second.parsed.event.object.status, second.parsed.event.object.stage) == (50, 2)
        assert (second.parsed.event.old_object.status, second.parsed.event.old_object.stage) == (
            2,
            1,
        )
        time.sleep(0.5)
        assert len(receiver.of_type(UPDATED)) == 2  # the comment alone fired nothing


def test_a_receiver_failing_twice_gets_the_event_three_times(desk: Desk) -> None:
    app, receiver = listening_app(desk, fail_first=0)
    with receiver:
        receiver.fail_first = 2
        start_ticket(desk, a_guest(desk))
        (created,) = receiver.wait_for(1, CREATED)
        assert receiver.requests == 3
        out = larkdesk("events", "log", "--app", app["app_id"], "--json", db=desk.db)  # type: ignore[arg-type]
        (entry,) = [json.loads(line) for line in out.stdout.splitlines()]
        assert entry["event_id"] == created.event_id and entry["state"] == "delivered"
        assert [a["status"] for a in entry["attempts"]] == [500, 500, 200]
        assert all(a["latency_ms"] >= 0 for a in entry["attempts"])
        text = larkdesk("events", "log", "--app", app["app_id"], db=desk.db).stdout  # type: ignore[arg-type]
        assert created.event_id in text and "HTTP 500" in text and "HTTP 200" in text


def test_a_hanging_receiver_blocks_no_other_delivery(desk: Desk) -> None:
    _, hanging = listening_app(desk)
    _, quick = listening_app(desk)
    with hanging, quick:
        hanging.hang_s = 5  # once its URL has passed the challenge
        guest = a_guest(desk)
        started = time.monotonic()
        for _ in range(5):
            start_ticket(desk, guest)
        arrived = quick.wait_for(5, CREATED, timeout=10)
        assert arrived[-1].at - started < 2.5, "the quick receiver waited for the hanging one"
        assert hanging.received == []


def test_a_failed_delivery_is_retried_on_schedule_and_then_given_up(desk: Desk) -> None:
    app, receiver = listening_app(desk)
    with receiver:
        receiver.fail_first = 100
        start_ticket(desk, a_guest(desk))
        deadline = time.monotonic() + 15
        while receiver.requests < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        assert receiver.requests == 5  # the first attempt and four retries, no more
        failed = larkdesk("events", "log", "--app", app["app_id"], "--failed", "--json", db=desk.db)  # type: ignore[arg-type]
        (entry,) = [json.loads(line) for line in failed.stdout.splitlines()]
        assert entry["state"] == "failed" and len(entry["attempts"]) == 5


def test_an_unsubscribed_or_disabled_app_gets_nothing(desk: Desk) -> None:
    app, receiver = listening_app(desk)
    with receiver:
        events_settings(desk, app["app_id"], "--event", UPDATED)  # created no longer enabled
        start_ticket(desk, a_guest(desk))
        time.sleep(1)
        assert receiver.requests == 0


# -- the challenge -------------------------------------------------------------------------


def test_the_challenge_says_why_a_url_failed(desk: Desk) -> None:
    app = new_app(desk, "challenged")
    token = str(events_settings(desk, app["app_id"])["verification_token"])
    refused = events_settings(desk, app["app_id"], "--url", "http://127.0.0.1:9/x", check=False)
    assert refused["returncode"] == 1 and "could not reach" in str(refused["stderr"])
    assert token in str(refused["stderr"])
    with LarkReceiver("another token") as wrong_token:
        failed = events_settings(desk, app["app_id"], "--url", wrong_token.url, check=False)
        assert "HTTP 500" in str(failed["stderr"]), failed
    with LarkReceiver(token, hang_s=1.5) as slow:
        failed = events_settings(desk, app["app_id"], "--url", slow.url, check=False)
        assert "within 1 s" in str(failed["stderr"]), failed
    with LarkReceiver(token, "k") as with_key:  # the challenge goes encrypted, as Feishu's
        shown = events_settings(desk, app["app_id"], "--url", with_key.url, "--encrypt-key", "k")
        assert shown["encrypt_key"] is True and shown["url"] == with_key.url
    bad = events_settings(desk, app["app_id"], "--url", "ftp://x", check=False)
    assert "not an http" in str(bad["stderr"])
    assert events_settings(desk, app["app_id"])["verification_token"] == token
