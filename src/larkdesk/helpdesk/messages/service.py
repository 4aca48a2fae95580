"""The conversation rules between the routes (or the CLI) and the store. No HTTP, no SQL.

`TicketMessages.post` is the one place a ticket message is written: every message (the
Open API's, the bot's, an FAQ answer, a guest's or an agent's through the operator API or
`larkdesk ticket say`) goes through it, in one transaction with the ticket it changes.
Its extension point is the `announce` hook: given the message as posted and the ticket
after it, it returns further writes for the same transaction (the event outbox's
`helpdesk.ticket_message.created_v1`).

Decisions where Feishu's documents are silent (docs/api.md repeats them):
- an agent's message sets `agent_first_response_time` (if unset) and always
  `agent_last_response_time`; every message moves `updated_at` (1 ms past the previous
  write when the clock has not moved, as ticket updates do), and durations follow;
- a closed ticket takes no message (400/154000);
- the Open API's message speaks as the ticket's agent (its owner, else its first agent),
  or as the helpdesk bot while no agent has entered.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Literal

import msgspec

from ...errors import BadRequest, ResourceNotFound
from ...store.base import ImageRecord, InTransaction, MessageRecord, MessageWrite, Store
from ..ids import now_ms, snowflake
from ..models import CLOSED_STATUSES, Ticket, TicketUser, derive, to_record
from ..stored import read_stored
from ..tickets.changes import acting_agent
from .bodies import CreateMessageBody, ImageQuery, MessageQuery
from .content import (
    AGENT,
    BOT,
    GUEST,
    POST,
    TEXT,
    Parsed,
    Sender,
    StoredMessage,
    TicketMessage,
    decode_stored,
    encode_stored,
    parse_post,
    parse_text,
    to_wire,
)

Role = Literal["guest", "agent", "bot", "api"]
ROLES: tuple[Role, ...] = ("guest", "agent", "bot")  # who a person can speak as


def must_be_open(ticket: Ticket) -> None:
    """A closed ticket's conversation takes no new message."""
    if ticket.status in CLOSED_STATUSES:
        raise BadRequest(
            f"ticket {ticket.ticket_id} is closed (status {ticket.status}): "
            "its conversation takes no new messages"
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """A message about to be posted: who speaks, what, and what the ticket must be."""

    role: Role
    parsed: Parsed
    images: tuple[ImageRecord, ...] = ()
    agent_id: str | None = None  # which of the ticket's agents speaks (default: its owner)
    rule: Callable[[Ticket], None] = must_be_open


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A message as written, with its helpdesk and the ticket after it (durations derived)."""

    helpdesk_id: str
    ticket: Ticket
    message: StoredMessage


Announce = Callable[[PostedMessage], Sequence[InTransaction]]
"""Further writes for a posted message's transaction (the message event's outbox row)."""


def new_message_id() -> str:
    """`om_` and 32 hex digits, the shape of Feishu's open message ids."""
    return "om_" + secrets.token_hex(16)


def _sender(user: TicketUser) -> Sender:
    return Sender(open_id=user.id, name=user.name, avatar_url=user.avatar_url)


def speaker(ticket: Ticket, draft: Draft) -> tuple[int, Sender | None]:
    """The message's sender_type and sender, by the draft's role and the ticket's people."""
    if draft.role == "bot":
        return BOT, None
    if draft.role == "guest":
        if ticket.guest is None or ticket.guest.id is None:
            raise BadRequest(f"ticket {ticket.ticket_id} has no guest to speak as")
        return GUEST, _sender(ticket.guest)
    if draft.agent_id is not None:
        people = [*(ticket.agents or ()), *([ticket.agent_owner] if ticket.agent_owner else [])]
        agent = next((a for a in people if a.id == draft.agent_id), None)
        if agent is None:
            raise BadRequest(f"agent_id {draft.agent_id!r} is not an agent of the ticket")
        return AGENT, _sender(agent)
    agent = acting_agent(ticket)
    if agent is not None:
        return AGENT, _sender(agent)
    if draft.role == "api":
        return BOT, None
    raise BadRequest(f"ticket {ticket.ticket_id} has no agent yet to speak as")


@dataclass
class TicketMessages:
    """Post, list and read a helpdesk's ticket messages."""

    store: Store
    clock: Callable[[], int] = now_ms
    announce: Announce | None = None
    on_events: Callable[[], None] = lambda: None  # told after a write that announced
    # Around a write that may add events (delivery claims them: EventDelivery.writing).
    writing: Callable[[], AbstractContextManager[object]] = nullcontext

    def post(self, helpdesk_id: str, ticket_id: str, draft: Draft) -> StoredMessage:
        """Write `draft` into the ticket's conversation and change the ticket with it, in
        one transaction; the message as stored."""
        posted: list[StoredMessage] = []

        def compose(body: bytes, position: int) -> MessageWrite:
            ticket = read_stored(body)
            draft.rule(ticket)
            sender_type, sender = speaker(ticket, draft)
            previous = ticket.updated_at if ticket.updated_at is not None else -1
            now = max(self.clock(), ticket.created_at, previous + 1)
            if sender_type == AGENT:
                if ticket.agent_first_response_time is None:
                    ticket.agent_first_response_time = now
                ticket.agent_last_response_time = now
            ticket.updated_at = now
            message = StoredMessage(
                ticket_message_id=str(snowflake(now)),
                message_id=new_message_id(),
                msg_type=draft.parsed.content.msg_type or TEXT,
                position=position,
                sender_type=sender_type,
                created_at=now,
                text=draft.parsed.text,
                content=draft.parsed.content,
                sender=sender,
                ticket_id=ticket.ticket_id,
            )
            posted.append(message)
            ticket_record = to_record(ticket, helpdesk_id)
            after = derive(msgspec.structs.replace(ticket, helpdesk_id=helpdesk_id))
            also = (
                self.announce(PostedMessage(helpdesk_id, after, message)) if self.announce else ()
            )
            return MessageWrite(message_record(message), ticket_record, draft.images, tuple(also))

        with self.writing():
            added = self.store.add_message(helpdesk_id, ticket_id, compose)
        if added is None:
            raise ResourceNotFound(f"the helpdesk has no ticket {ticket_id!r}")
        if self.announce is not None:
            self.on_events()
        return posted[-1]

    def create(self, helpdesk_id: str, ticket_id: str, body: CreateMessageBody) -> StoredMessage:
        """`POST .../tickets/:ticket_id/messages`: text or post, as the ticket's agent."""
        return self.post(helpdesk_id, ticket_id, Draft("api", parse_api_content(body)))

    def list_messages(
        self, helpdesk_id: str, ticket_id: str, query: MessageQuery
    ) -> tuple[int, list[TicketMessage]]:
        """One page of the ticket's messages, oldest first, and how many the window holds."""
        page = self.store.list_messages(
            helpdesk_id, ticket_id, query.window, query.offset, query.page_size
        )
        if page is None:
            raise ResourceNotFound(f"the helpdesk has no ticket {ticket_id!r}")
        return page.total, [to_wire(decode_stored(body)) for body in page.messages]

    def image(self, helpdesk_id: str, query: ImageQuery) -> ImageRecord:
        """The `index`-th image of a message of the ticket (an image message has one)."""
        if self.store.get_ticket(query.ticket_id, helpdesk_id) is None:
            raise ResourceNotFound(f"the helpdesk has no ticket {query.ticket_id!r}")
        raw = self.store.get_message(helpdesk_id, query.ticket_id, query.msg_id)
        if raw is None:
            raise ResourceNotFound(f"ticket {query.ticket_id} has no message {query.msg_id!r}")
        content = decode_stored(raw).content
        keys = [content.image_key] if content.image_key else list(content.image_keys or ())
        if query.index >= len(keys):
            raise ResourceNotFound(
                f"message {query.msg_id} has {len(keys)} image(s); no index {query.index}"
            )
        image = self.store.get_image(helpdesk_id, keys[query.index])
        if image is None:
            raise ResourceNotFound(f"larkdesk holds no image {keys[query.index]!r}")
        return image


def parse_api_content(body: CreateMessageBody) -> Parsed:
    if body.msg_type not in (TEXT, POST):
        raise BadRequest(f"msg_type must be 'text' or 'post', got {body.msg_type!r}")
    if body.content is None:
        raise BadRequest("content is required")
    return parse_text(body.content) if body.msg_type == TEXT else parse_post(body.content)


def message_record(message: StoredMessage) -> MessageRecord:
    return MessageRecord(
        message.ticket_message_id, message.message_id, message.created_at, encode_stored(message)
    )
