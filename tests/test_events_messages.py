"""Every ticket message fires `helpdesk.ticket_message.created_v1`, written to the outbox
in the message's own transaction, and reaches an app built on lark-oapi."""

from __future__ import annotations

import pytest

from .test_events_delivery import (
    Desk,
    a_guest,
    api_for,
    desk,
    listening_app,
)

MESSAGE = "helpdesk.ticket_message.created_v1"
MESSAGE_EVENTS = [{"type": "helpdesk.ticket_message", "subtype": "ticket_message.created_v1"}]
SUBSCRIBE = "/open-apis/helpdesk/v1/events/subscribe"

__all__ = ["desk"]  # the module-scoped live server of the delivery tests, on both stores


@pytest.mark.parametrize("encrypt_key", ["", "k3y"], ids=["plain", "encrypted"])
def test_a_posted_message_reaches_lark_oapi_as_its_event(desk: Desk, encrypt_key: str) -> None:
    app, receiver = listening_app(desk, encrypt_key=encrypt_key)
    with receiver, api_for(desk, app) as listener, api_for(desk, desk.creds) as api:
        assert listener.post(SUBSCRIBE, json={"events": MESSAGE_EVENTS}).json()["code"] == 0
        started = api.post("/open-apis/helpdesk/v1/start_service", json={"open_id": a_guest(desk)})
        ticket_id, chat_id = started.json()["data"]["ticket_id"], started.json()["data"]["chat_id"]
        url = f"/open-apis/helpdesk/v1/tickets/{ticket_id}/messages"
        posted = api.post(url, json={"msg_type": "text", "content": '{"text":"how may I help"}'})
        assert posted.json()["code"] == 0, posted.json()
        (received,) = receiver.wait_for(1, MESSAGE)
        listed = api.get(url).json()["data"]["messages"]
    event = received.parsed.event
    assert event.message_id == posted.json()["data"]["message_id"]
    assert event.ticket_message_id == listed[-1]["id"]
    assert event.event_id == received.parsed.header.event_id  # the Node SDK merges the two
    assert (event.text, event.msg_type, event.position) == ("how may I help", "text", "1")
    assert event.sender_type == 1  # no agent has entered: the helpdesk bot speaks
    assert event.ticket.ticket_id == ticket_id
    assert event.chat_id == chat_id  # the chat start_service opened for the ticket
    assert event.content.content == "how may I help"
    assert received.parsed.header.app_id == app["app_id"]
