"""Event bodies and the envelope as the SDKs parse them (lark-oapi's models, unchanged),
and what does not fire events."""

from __future__ import annotations

import json

import lark_oapi as lark
from lark_oapi.api.helpdesk.v1 import P2HelpdeskTicketMessageCreatedV1

from larkdesk.events.crypto import decrypt, signature
from larkdesk.events.envelope import delivery_request, envelope
from larkdesk.events.types import MESSAGE_CREATED
from larkdesk.events.wire import (
    MessageContent,
    TicketMessage,
    message_created,
    ticket_updated,
)
from larkdesk.helpdesk.models import Comments, I18n, Ticket, TicketUser
from larkdesk.store.event_records import Delivery

T0 = 1_700_000_000_000


def delivery_of(body: bytes, event_id: str, key: str = "") -> Delivery:
    return Delivery(1, event_id, MESSAGE_CREATED, "cli_a", "tk", "1", T0, body, 1, "u", "vt", key)


def test_a_message_event_parses_into_lark_oapi_with_one_event_id() -> None:
    ticket = Ticket(
        ticket_id="6626871355780366331",
        ticket_type=2,
        status=2,
        comments=Comments(content="kept out"),
        guest=TicketUser(id="ou_guest", name="g"),
        dissatisfaction_reason=I18n(zh_cn="答案看不懂"),
        agent_owner=TicketUser(id="ou_agent", name="a"),
        agent_service_duration=1.5,
    )
    message = TicketMessage(
        ticket_message_id="6949088240624222236",
        message_id="om_8baa3656c7b41900d29bf9104bf5310b",
        position="10",
        sender_type=2,
        text="请问vpn怎么下载",
        content=MessageContent(content="请问vpn怎么下载", msg_type="text"),
        sender_open_id="ou_guest",
        chat_id="oc_1",
    )
    event = message_created(ticket, "1", message, T0)
    body = json.loads(event.body)
    assert body["event_id"] == event.event_id
    assert "comments" not in body["ticket"] and "guest" not in body["ticket"]
    raw = envelope(delivery_of(event.body, event.event_id))
    assert b" " not in raw.replace("请问vpn怎么下载".encode(), b"")  # compact
    parsed = lark.JSON.unmarshal(raw.decode(), P2HelpdeskTicketMessageCreatedV1)
    assert parsed.header.event_id == parsed.event.event_id == event.event_id
    assert parsed.header.create_time == str(T0) and parsed.header.token == "vt"
    assert parsed.event.sender_id.open_id == "ou_guest"
    assert parsed.event.ticket.agent_owner.id == "ou_agent"
    assert parsed.event.ticket.dissatisfaction_reason.zh_cn == "答案看不懂"
    assert parsed.event.content.msg_type == "text" and parsed.event.position == "10"


def test_every_attempt_is_signed_and_freshly_encrypted() -> None:
    d = delivery_of(b'{"n":1}', "e" * 32, key="k")
    first, second = delivery_request(d), delivery_request(d)
    assert first.body != second.body  # a new IV each time
    for request in (first, second):
        h = request.headers
        ts, nonce = h["X-Lark-Request-Timestamp"], h["X-Lark-Request-Nonce"]
        assert h["X-Lark-Signature"] == signature(ts, nonce, "k", request.body)
        (encrypted,) = json.loads(request.body).values()
        assert decrypt("k", encrypted) == envelope(d)
    plain = delivery_request(delivery_of(b"{}", "e" * 32))
    h = plain.headers
    assert plain.body == envelope(delivery_of(b"{}", "e" * 32))
    sig = signature(h["X-Lark-Request-Timestamp"], h["X-Lark-Request-Nonce"], "", plain.body)
    assert h["X-Lark-Signature"] == sig  # signed with "" where there is no key


def test_updates_fire_only_on_status_or_stage() -> None:
    before = Ticket(ticket_id="1", status=1, ticket_type=1, updated_at=-1)
    assert ticket_updated(before, Ticket(ticket_id="1", status=1, ticket_type=1), "d", T0) == ()
    (event,) = ticket_updated(before, Ticket(ticket_id="1", status=1, ticket_type=2), "d", T0)
    assert json.loads(event.body)["old_object"] == {"stage": 1, "updated_at": -1}
