"""Tickets for the console's tests (in-process and in Chromium): a few dozen of them
over the last days, some carrying script payloads in every text a guest or an import
controls (guest names, messages, comments, tags, custom field values)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from starlette.testclient import TestClient

from larkdesk.helpdesk.messages.content import parse_text
from larkdesk.helpdesk.messages.service import Draft, TicketMessages
from larkdesk.helpdesk.models import (
    CustomizedFieldDisplayItem,
    I18n,
    Ticket,
    TicketTag,
    TicketUser,
    to_record,
)
from larkdesk.helpdesk.tickets.bodies import UpdateTicketBody
from larkdesk.helpdesk.tickets.lifecycle import TicketLifecycle
from larkdesk.store.base import Store

from .conftest import Identity

DAY = 86_400_000
HOUR = 3_600_000
SCRIPT = "<script>window.__xss = 1</script>"
IMG = '"><img src=x onerror="window.__xss = 1">'
PAYLOADS = (SCRIPT, IMG)
AGENT = TicketUser(id="ou_agent_ann", name="Ann Agent")
AGENT_2 = TicketUser(id="ou_agent_bob", name=f"Bob {IMG}")
FIRST_ID = 7_200_000_000_000_000_000


@dataclass(frozen=True)
class Seeded:
    ticket_ids: list[str]
    evil_id: str  # the ticket whose every text is a payload
    now: int


def today_start(now: int) -> int:
    return now - now % DAY


def make_ticket(n: int, now: int) -> Ticket:
    """Ticket n: created n*5 hours before the start of today, alternating shapes."""
    created = today_start(now) - (n + 1) * 5 * HOUR
    human = n % 3 != 0
    closed = n % 2 == 0
    agent = (AGENT if n % 4 else AGENT_2) if human else None
    ticket = Ticket(
        ticket_id=str(FIRST_ID + n),
        guest=TicketUser(id=f"ou_guest_{n % 7}", name=f"Guest {n % 7}", city="Hangzhou"),
        ticket_type=2 if human else 1,
        status=51 if closed and human else 50 if closed else 2 if human else 1,
        created_at=created,
        updated_at=created + HOUR,
        channel=n % 3,
        solve=2 if closed else 1,
        score=(n % 3) + 1 if closed else None,
        tags=[TicketTag(id=f"{100 + n % 2}", name="billing" if n % 2 else "login")],
    )
    if closed:
        ticket.closed_at = created + 2 * HOUR + n * 60_000
    if agent is not None:
        ticket.agents = [agent]
        ticket.agent_owner = agent
        ticket.agent_entry_time = created + 60_000
        ticket.agent_first_response_time = created + 60_000 + (n + 1) * 30_000
    if ticket.score == 1:
        ticket.dissatisfaction_reason = I18n(en_us="slow answer", zh_cn="回复慢")
    return ticket


def evil_ticket(n: int, now: int) -> Ticket:
    ticket = make_ticket(n, now)
    ticket.status = 2
    ticket.closed_at = None
    ticket.guest = TicketUser(id="ou_guest_evil", name=f"Eve {SCRIPT} {IMG}", city=IMG)
    ticket.tags = [TicketTag(id="900", name=SCRIPT), TicketTag(id="901", name=IMG)]
    ticket.customized_fields = [
        CustomizedFieldDisplayItem(id="f1", key_name="order", display_name=IMG, value=SCRIPT),
        CustomizedFieldDisplayItem(id="f2", key_name="note", display_name="Note", value=IMG),
    ]
    ticket.agents = [AGENT]
    ticket.agent_owner = AGENT
    ticket.agent_entry_time = ticket.created_at + 1000
    return ticket


def seed(store: Store, identity: Identity, count: int = 30) -> Seeded:
    """`count` tickets (the last one evil), a guest's messages and a comment with payloads."""
    now = int(time.time() * 1000)
    tickets = [make_ticket(n, now) for n in range(count - 1)]
    evil = evil_ticket(count - 1, now)
    tickets.append(evil)
    store.upsert_tickets(to_record(t, identity.helpdesk_id) for t in tickets)
    messages = TicketMessages(store)
    for text in (f"hi {SCRIPT}", f"again {IMG}"):
        messages.post(
            identity.helpdesk_id, evil.ticket_id, Draft("guest", parse_text({"text": text}))
        )
    TicketLifecycle(store).update_ticket(
        identity.helpdesk_id, evil.ticket_id, UpdateTicketBody(comment=f"note {SCRIPT} {IMG}")
    )
    return Seeded([t.ticket_id for t in tickets], evil.ticket_id, now)


def sign_in(client: TestClient, identity: Identity) -> str:
    """Sign the client in with the app's and the helpdesk's credentials; the CSRF token."""
    form = client.get("/console/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/console/signin",
        data={
            "signin_token": token.group(1),
            "app_id": identity.app_id,
            "app_secret": identity.app_secret,
            "helpdesk_id": identity.helpdesk_id,
            "helpdesk_token": identity.helpdesk_token,
            "next": "/console",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = client.get(f"/console/h/{identity.helpdesk_id}/tickets")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1)
