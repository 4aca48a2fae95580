"""The helpdesk bot's messages: `POST /open-apis/helpdesk/v1/message` and FAQ answers
(`POST .../tickets/:ticket_id/answer_user_query`). Both are written by
`TicketMessages.post` when they land in a ticket's conversation.

Decisions where Feishu's documents are silent (docs/api.md repeats them):
- `receive_type: chat` (the default; the user's helpdesk service group) lands in the
  user's open ticket of this helpdesk (the newest). Feishu fails it "if the user has a
  ticket in progress", read here as: handed to an agent (a human ticket, or one with
  agents). With no open ticket it fails too: larkdesk has no service group outside one;
- `receive_type: user` (the bot's private chat) is kept (`message_id`, receiver) in no
  ticket's conversation: no list shows it and it changes no ticket;
- `user_id_type` may be `open_id` (the default): larkdesk knows users by open_id only;
- an FAQ answer is a bot text message listing the FAQ ids and scores, allowed while the
  ticket is open and with the bot (not a human ticket, no agent entered); otherwise
  400/154000. `event_id` is required (1..255 characters) and not checked against events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import BadRequest
from ...store.base import Store, TicketQuery
from ..models import Ticket
from ..params import MAX_LIST_ITEMS
from ..stored import read_stored
from ..tickets.lifecycle import HUMAN
from .bodies import AnswerUserQueryBody, BotMessageBody, required_text
from .content import (
    BOT,
    IMAGE,
    INTERACTIVE,
    POST,
    TEXT,
    Parsed,
    StoredMessage,
    image_content,
    image_key_of,
    parse_card,
    parse_post,
    parse_text,
)
from .service import Draft, TicketMessages, message_record, must_be_open, new_message_id

OPEN_STATUSES = (1, 2, 3, 4, 5)
BOT_MSG_TYPES = (TEXT, POST, IMAGE, INTERACTIVE)
RECEIVE_TYPES = ("chat", "user")


def with_the_bot(ticket: Ticket) -> None:
    """Open, and not handed to a human: what answer_user_query and chat messages need."""
    must_be_open(ticket)
    if ticket.ticket_type == HUMAN or ticket.agents or ticket.agent_entry_time is not None:
        raise BadRequest(
            f"ticket {ticket.ticket_id} is in progress with an agent: the bot may only "
            "answer while the ticket is open and not yet handed to a human"
        )


@dataclass
class BotMessages:
    """What the helpdesk bot says: messages to users, FAQ answers."""

    messages: TicketMessages

    @property
    def store(self) -> Store:
        return self.messages.store

    def send(
        self, helpdesk_id: str, tenant_key: str, body: BotMessageBody, user_id_type: str | None
    ) -> str:
        """Send a bot message to a user: into their open ticket (`chat`) or privately."""
        if user_id_type not in (None, "", "open_id"):
            raise BadRequest(
                f"user_id_type must be 'open_id' (larkdesk knows users by open_id only), "
                f"got {user_id_type!r}"
            )
        receiver = required_text("receiver_id", body.receiver_id)
        receive_type = body.receive_type or "chat"
        if receive_type not in RECEIVE_TYPES:
            raise BadRequest(f"receive_type must be 'chat' or 'user', got {receive_type!r}")
        parsed = self._content(helpdesk_id, body)
        user = self.store.get_user(receiver)
        if user is None or user.tenant_key != tenant_key:
            raise BadRequest(f"receiver_id {receiver!r} is not a user of this tenant")
        if receive_type == "user":
            return self._private(helpdesk_id, receiver, parsed)
        ticket_id = self._open_ticket_of(helpdesk_id, receiver)
        draft = Draft("bot", parsed, rule=with_the_bot)
        return self.messages.post(helpdesk_id, ticket_id, draft).message_id

    def _content(self, helpdesk_id: str, body: BotMessageBody) -> Parsed:
        if body.msg_type not in BOT_MSG_TYPES:
            allowed = ", ".join(BOT_MSG_TYPES)
            raise BadRequest(f"msg_type must be one of {allowed}, got {body.msg_type!r}")
        if body.content is None:
            raise BadRequest("content is required")
        if body.msg_type == TEXT:
            return parse_text(body.content)
        if body.msg_type == POST:
            return parse_post(body.content)
        if body.msg_type == INTERACTIVE:
            return parse_card(body.content)
        key = image_key_of(body.content)
        if self.store.get_image(helpdesk_id, key) is None:
            raise BadRequest(f"content: image_key {key!r} is not an image larkdesk holds")
        return image_content(key)

    def _open_ticket_of(self, helpdesk_id: str, receiver: str) -> str:
        query = TicketQuery(guest_id=receiver, statuses=OPEN_STATUSES, page_size=1)
        page = self.store.list_tickets(helpdesk_id, query)
        if not page.tickets:
            raise BadRequest(
                f"receiver_id {receiver!r} has no open ticket in this helpdesk: a chat message "
                "goes to the user's service group (receive_type 'user' is the bot's private chat)"
            )
        return read_stored(page.tickets[0]).ticket_id

    def _private(self, helpdesk_id: str, receiver: str, parsed: Parsed) -> str:
        now = self.messages.clock()
        message = StoredMessage(
            ticket_message_id="",
            message_id=new_message_id(),
            msg_type=parsed.content.msg_type or TEXT,
            position=0,
            sender_type=BOT,
            created_at=now,
            text=parsed.text,
            content=parsed.content,
            receiver_id=receiver,
        )
        record = message_record(message)
        self.store.add_private_message(helpdesk_id, receiver, record)
        return message.message_id

    def answer_user_query(
        self, helpdesk_id: str, ticket_id: str, body: AnswerUserQueryBody
    ) -> StoredMessage:
        """Answer the user's question with FAQs, as a bot message in the ticket."""
        required_text("event_id", body.event_id)
        if not body.faqs:
            raise BadRequest("faqs is required: at least one {id, score}")
        if len(body.faqs) > MAX_LIST_ITEMS:
            raise BadRequest(f"faqs has {len(body.faqs)} items; at most {MAX_LIST_ITEMS} allowed")
        lines = []
        for n, faq in enumerate(body.faqs):
            faq_id = required_text(f"faqs[{n}].id", faq.id)
            if faq.score is None or not math.isfinite(faq.score):
                raise BadRequest(f"faqs[{n}].score is required: a number")
            lines.append(f"FAQ {faq_id} (score {faq.score:g})")
        parsed = parse_text("\n".join(lines))
        draft = Draft("bot", parsed, rule=with_the_bot)
        return self.messages.post(helpdesk_id, ticket_id, draft)
