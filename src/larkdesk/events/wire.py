"""Helpdesk event bodies in Feishu's shape (lark-oapi's `P2Helpdesk...` models), built from
tickets, each as an `OutboundEvent` for the outbox. EVENTS.md §1 has the shapes and the
interop rules followed here: `guest.id` an object, numbers as numbers, `ticket.comments`
left out of message events, the message body's `event_id` equal to the header's.
"""

from __future__ import annotations

import secrets

import msgspec

from ..helpdesk.ids import chat_id_of
from ..helpdesk.messages.content import MessageContent
from ..helpdesk.models import NEVER_UPDATED, CustomizedFieldDisplayItem, I18n, Ticket, TicketUser
from ..store.event_records import OutboundEvent
from .types import MESSAGE_CREATED, TICKET_CREATED, TICKET_UPDATED

_encode = msgspec.json.Encoder().encode


class UserId(msgspec.Struct, omit_defaults=True):
    """A user's ids; larkdesk knows a user by open_id only, so the others are left out."""

    open_id: str | None = None
    user_id: str | None = None
    union_id: str | None = None


class TicketUserEvent(msgspec.Struct, omit_defaults=True):
    id: UserId | None = None
    avatar_url: str | None = None
    name: str | None = None
    email: str | None = None


class TicketCreated(msgspec.Struct, omit_defaults=True):
    """`P2HelpdeskTicketCreatedV1Data`; `customized_fields` left out, as Feishu does."""

    ticket_id: str
    helpdesk_id: str
    guest: TicketUserEvent | None = None
    stage: int | None = None
    status: int | None = None
    score: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    closed_at: int | None = None
    channel: int | None = None
    solve: int | None = None
    chat_id: str | None = None


class TicketEvent(TicketCreated, omit_defaults=True):
    """`TicketEvent`, the updated event's `object`."""

    agents: list[TicketUserEvent] | None = None
    closed_by: TicketUserEvent | None = None
    collaborators: list[TicketUserEvent] | None = None


class TicketEventUpdateInfo(msgspec.Struct, omit_defaults=True):
    """`old_object`: the previous values of what changed, and the previous updated_at."""

    stage: int | None = None
    status: int | None = None
    updated_at: int | None = None


class TicketUpdated(msgspec.Struct):
    object: TicketEvent
    old_object: TicketEventUpdateInfo


def new_event_id() -> str:
    """32 hex digits, like Feishu's; the same on every attempt at delivering the event."""
    return secrets.token_hex(16)


def _user(user: TicketUser | None) -> TicketUserEvent | None:
    if user is None:
        return None
    return TicketUserEvent(
        UserId(open_id=user.id) if user.id else None, user.avatar_url, user.name, user.email
    )


def _fields(ticket: Ticket, helpdesk_id: str) -> dict[str, object]:
    return {
        "ticket_id": ticket.ticket_id,
        "helpdesk_id": helpdesk_id,
        "guest": _user(ticket.guest),
        "stage": ticket.ticket_type,  # Feishu's stage: 1 bot, 2 human, as ticket_type
        "status": ticket.status,
        "score": ticket.score,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "closed_at": ticket.closed_at,
        "channel": ticket.channel,
        "solve": ticket.solve,
    }


def ticket_created(ticket: Ticket, helpdesk_id: str, chat_id: str | None) -> OutboundEvent:
    """`helpdesk.ticket.created_v1` for a ticket start_service has just made."""
    body = TicketCreated(**_fields(ticket, helpdesk_id), chat_id=chat_id)  # type: ignore[arg-type]
    return OutboundEvent(
        new_event_id(), TICKET_CREATED, helpdesk_id, ticket.created_at, _encode(body)
    )


def ticket_updated(
    before: Ticket, after: Ticket, helpdesk_id: str, at_ms: int
) -> tuple[OutboundEvent, ...]:
    """`helpdesk.ticket.updated_v1` when the status or the stage changed; none otherwise."""
    # Feishu's document: updated_at is -1 when the ticket was never updated (a kept
    # ticket read leniently has None there).
    previous = NEVER_UPDATED if before.updated_at is None else before.updated_at
    old = TicketEventUpdateInfo(updated_at=previous)
    if before.status != after.status:
        old.status = before.status
    if before.ticket_type != after.ticket_type:
        old.stage = before.ticket_type
    if old.status is None and old.stage is None:
        return ()
    obj = TicketEvent(
        **_fields(after, helpdesk_id),  # type: ignore[arg-type]
        agents=[u for u in map(_user, after.agents or ()) if u] or None,
        closed_by=_user(after.closed_by),
        collaborators=[u for u in map(_user, after.collaborators or ()) if u] or None,
        chat_id=chat_id_of(helpdesk_id, after.ticket_id),
    )
    body = _encode(TicketUpdated(obj, old))
    return (OutboundEvent(new_event_id(), TICKET_UPDATED, helpdesk_id, at_ms, body),)


class MessageTicket(msgspec.Struct, omit_defaults=True):
    """The message event's `ticket`: the document's subset of `Ticket`. No `comments` (its
    type differs between SDK versions) and no `guest`; users' ids are plain open_ids."""

    ticket_id: str
    ticket_type: int | None = None
    status: int | None = None
    dissatisfaction_reason: I18n | None = None
    customized_fields: list[CustomizedFieldDisplayItem] | None = None
    agent_service_duration: float | None = None
    agent_first_response_duration: int | None = None
    bot_service_duration: int | None = None
    agent_resolution_time: int | None = None
    actual_processing_time: int | None = None
    agent_entry_time: int | None = None
    agent_first_response_time: int | None = None
    agent_last_response_time: int | None = None
    agent_owner: TicketUser | None = None


class TicketMessage(msgspec.Struct, omit_defaults=True):
    """What a message event says about the message itself."""

    ticket_message_id: str
    message_id: str  # om_...
    position: str  # the message's position in the ticket, as a string ("10")
    sender_type: int  # 1 bot, 2 guest, 3 agent
    text: str
    content: MessageContent
    msg_type: str = "text"
    sender_open_id: str | None = None  # left out when the bot sent it
    chat_id: str | None = None


class MessageCreated(msgspec.Struct, omit_defaults=True):
    """`P2HelpdeskTicketMessageCreatedV1Data`."""

    ticket_message_id: str
    message_id: str
    msg_type: str
    position: str
    sender_type: int
    text: str
    ticket: MessageTicket
    event_id: str
    content: MessageContent
    sender_id: UserId | None = None
    chat_id: str | None = None


def message_created(
    ticket: Ticket, helpdesk_id: str, message: TicketMessage, at_ms: int
) -> OutboundEvent:
    """`helpdesk.ticket_message.created_v1` for a message just added to `ticket` (its state
    after the message). The body's `event_id` is the header's: the Node SDK merges the
    two into one object, the body's winning."""
    event_id = new_event_id()
    fields = {f: getattr(ticket, f) for f in MessageTicket.__struct_fields__}
    body = MessageCreated(
        ticket_message_id=message.ticket_message_id,
        message_id=message.message_id,
        msg_type=message.msg_type,
        position=message.position,
        sender_type=message.sender_type,
        text=message.text,
        ticket=MessageTicket(**fields),
        event_id=event_id,
        content=message.content,
        sender_id=UserId(open_id=message.sender_open_id) if message.sender_open_id else None,
        chat_id=message.chat_id or chat_id_of(helpdesk_id, ticket.ticket_id),
    )
    return OutboundEvent(event_id, MESSAGE_CREATED, helpdesk_id, at_ms, _encode(body))
