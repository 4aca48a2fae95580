"""Tickets in Feishu's wire shape (lark-oapi's `TicketV2`), and the rules that derive fields.

A field with no value is left out of the JSON (`omit_defaults`), as Feishu does.
Durations are never taken from input: `derive` computes them from timestamps.
"""

from __future__ import annotations

import msgspec

from ..store.base import TicketRecord, User

STATUSES = (1, 2, 3, 4, 5, 50, 51, 52)
CLOSED_STATUSES = (50, 51, 52)
TICKET_TYPES = (1, 2)  # 1 bot, 2 human
SOLVE_VALUES = (1, 2)  # 1 unsolved, 2 solved
SCORES = (1, 2, 3)  # 1 unsatisfied, 2 neutral, 3 satisfied
NEVER_UPDATED = -1


class TicketUser(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    avatar_url: str | None = None
    name: str | None = None
    email: str | None = None
    department: str | None = None
    city: str | None = None
    country: str | None = None

    @classmethod
    def of(cls, user: User) -> TicketUser:
        """The ticket's view of a stored user; empty attributes are left out."""
        return cls(
            id=user.user_id,
            avatar_url=user.avatar_url or None,
            name=user.name,
            email=user.email or None,
            department=user.department or None,
            city=user.city or None,
            country=user.country or None,
        )


class Comments(msgspec.Struct, omit_defaults=True):
    content: str | None = None
    created_at: int | None = None
    id: int | None = None
    user_avatar_url: str | None = None
    user_name: str | None = None
    user_id: int | None = None


class I18n(msgspec.Struct, omit_defaults=True):
    zh_cn: str | None = None
    en_us: str | None = None
    ja_jp: str | None = None


class CustomizedFieldDisplayItem(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    value: str | None = None
    key_name: str | None = None
    display_name: str | None = None
    position: int | None = None
    required: bool | None = None
    editable: bool | None = None


class TicketTag(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    name: str | None = None


class Ticket(msgspec.Struct, omit_defaults=True):
    """One ticket, fields in the seed's order, plus `tags`."""

    ticket_id: str
    helpdesk_id: str | None = None
    guest: TicketUser | None = None
    comments: Comments | None = None
    ticket_type: int | None = None
    status: int | None = None
    score: int | None = None
    created_at: int = 0
    updated_at: int | None = None  # None on input means never updated; always sent (-1)
    closed_at: int | None = None
    dissatisfaction_reason: I18n | None = None
    agents: list[TicketUser] | None = None
    channel: int | None = None
    solve: int | None = None
    closed_by: TicketUser | None = None
    collaborators: list[TicketUser] | None = None
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
    tags: list[TicketTag] | None = None


class InvalidTicket(ValueError):
    """A ticket that breaks a rule of the wire contract; the message names the field."""


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Ticket).decode


def _since(later: int | None, earlier: int | None, unit_ms: int) -> int | None:
    if later is None or earlier is None:
        return None
    return (later - earlier) // unit_ms


def derive(ticket: Ticket) -> Ticket:
    """Return the ticket with every duration recomputed from its timestamps (the spec's table)."""
    entry = ticket.agent_entry_time
    service = None
    if ticket.agent_last_response_time is not None and entry is not None:
        service = (ticket.agent_last_response_time - entry) / 60000
    resolution = _since(ticket.closed_at, entry, 1000)
    return msgspec.structs.replace(
        ticket,
        updated_at=NEVER_UPDATED if ticket.updated_at is None else ticket.updated_at,
        bot_service_duration=_since(entry, ticket.created_at, 1000),
        agent_first_response_duration=_since(ticket.agent_first_response_time, entry, 1000),
        agent_service_duration=service,
        agent_resolution_time=resolution,
        actual_processing_time=resolution,
    )


def _check_choice(name: str, value: int | None, allowed: tuple[int, ...]) -> None:
    if value is not None and value not in allowed:
        raise InvalidTicket(f"{name} must be one of {list(allowed)}, got {value}")


def validate(ticket: Ticket) -> None:
    """Check the rules msgspec's types cannot express; raise `InvalidTicket` naming the field."""
    if not ticket.ticket_id:
        raise InvalidTicket("ticket_id must not be empty")
    if ticket.created_at <= 0:
        raise InvalidTicket("created_at must be a positive millisecond timestamp")
    if ticket.updated_at not in (None, NEVER_UPDATED) and ticket.updated_at < ticket.created_at:
        raise InvalidTicket("updated_at must be -1 (never updated) or not before created_at")
    _check_choice("status", ticket.status, STATUSES)
    _check_choice("ticket_type", ticket.ticket_type, TICKET_TYPES)
    _check_choice("solve", ticket.solve, SOLVE_VALUES)
    _check_choice("score", ticket.score, SCORES)
    for name in (
        "closed_at",
        "agent_entry_time",
        "agent_first_response_time",
        "agent_last_response_time",
    ):
        value = getattr(ticket, name)
        if value is not None and value < ticket.created_at:
            raise InvalidTicket(f"{name} must not be before created_at")


def decode_ticket(raw: bytes | str) -> Ticket:
    """Parse one ticket in the API's JSON shape; raise `InvalidTicket` on any problem."""
    try:
        ticket = _decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidTicket(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidTicket(f"malformed JSON: {exc}") from None
    validate(ticket)
    return ticket


def encode_ticket(ticket: Ticket) -> bytes:
    return _encode(ticket)


def to_record(ticket: Ticket, helpdesk_id: str) -> TicketRecord:
    """Derive every dependent field and build what the store keeps for this ticket."""
    ticket = derive(msgspec.structs.replace(ticket, helpdesk_id=helpdesk_id))
    guest = ticket.guest
    return TicketRecord(
        ticket_id=ticket.ticket_id,
        helpdesk_id=helpdesk_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at if ticket.updated_at is not None else NEVER_UPDATED,
        ticket_type=ticket.ticket_type,
        channel=ticket.channel,
        solve=ticket.solve,
        score=ticket.score,
        status=ticket.status,
        guest_id=guest.id if guest else None,
        guest_name=guest.name.casefold() if guest and guest.name else None,
        closed_by_id=ticket.closed_by.id if ticket.closed_by else None,
        agent_ids=tuple(dict.fromkeys(a.id for a in ticket.agents or () if a.id)),
        tag_names=tuple(dict.fromkeys(t.name for t in ticket.tags or () if t.name)),
        body=_encode(ticket),
    )
