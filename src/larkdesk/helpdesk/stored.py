"""Tickets kept as their source sent them (`larkdesk import`, `larkdesk sync`), and how
larkdesk reads a stored ticket back when its own API writes to it.

A kept ticket's body is the exact bytes received: key order, unknown keys, number
formatting and Feishu's own habits (`0` or `-1` for a time that never came, `score: 0`,
`comments` as a list) all stay, so a mirror answers byte for byte like its source.
Only the filter columns are derived, leniently: a value of the wrong type (or a text
with NUL, or an integer beyond int64) leaves its column NULL, so that ticket matches no
filter on that field. What cannot be stored at all raises `UnstorableTicket`: a body
that is not a JSON object, a `ticket_id` that is not a non-empty string, a `created_at`
that is not an int64 integer (the list is ordered by it).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from ..store.base import TicketRecord
from ..store.ticket_facts import MAX_TIME, Plain, decode_facts, first_reason, plain
from .models import NEVER_UPDATED, Ticket

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Feishu's backend is written in Go: a time that never came, or an unrated score, may
# arrive as the zero value (or -1). larkdesk's own rules read those as "absent".
_TIMES = ("closed_at", "agent_entry_time", "agent_first_response_time", "agent_last_response_time")
_CHOICES = ("status", "ticket_type", "solve", "score")
_FIELDS = frozenset(Ticket.__struct_fields__)


class UnstorableTicket(ValueError):
    """A ticket the store cannot keep; the message says why."""


def _integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX:
        return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and "\x00" not in value else None


def _member(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _names(items: Any, key: str) -> tuple[str, ...]:
    """Distinct texts under `key` of a list of objects (agent ids, tag names)."""
    if not isinstance(items, list):
        return ()
    found = (_text(_member(item, key)) for item in items)
    return tuple(dict.fromkeys(name for name in found if name))


class _Named(msgspec.Struct):
    id: str | None = None
    name: str | None = None


# What the filter columns keep (the lenient path's checks, made by the decoder: a ticket
# outside them fails the typed decode and takes the lenient path)
_Id = Annotated[str, msgspec.Meta(min_length=1)]
_Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]


class _Columns(msgspec.Struct):
    """The filter columns' fields as a well-typed ticket has them (others are skipped)."""

    ticket_id: _Id
    created_at: _Int64
    updated_at: _Int64 | None = None
    ticket_type: _Int64 | None = None
    channel: _Int64 | None = None
    solve: _Int64 | None = None
    score: _Int64 | None = None
    status: _Int64 | None = None
    guest: _Named | None = None
    closed_by: _Named | None = None
    agents: list[_Named] | None = None
    tags: list[_Named] | None = None


_columns = msgspec.json.Decoder(_Columns)
_NONE = _Named()  # an absent guest or closer (never changed)
# A NamedTuple's own __new__ is a Python function: an import's records and facts (a
# million of each) are made as tuples of their fields, skipping it.
_new = tuple.__new__


class _Guest(_Named):
    city: str | None = None


class _Both(_Columns):
    """`_Columns` and the metrics facts (`ticket_facts.Facts`), typed: one decode for an
    import's record and its rollups."""

    guest: _Guest | None = None
    closed_at: int | None = None
    agent_entry_time: int | None = None
    agent_first_response_time: int | None = None
    agent_owner: _Named | None = None
    dissatisfaction_reason: Any = None


_both = msgspec.json.Decoder(_Both)


def _typed_record(body: bytes, helpdesk_id: str) -> TicketRecord | None:
    """`kept_record` for a ticket whose fields all have their documented types, decoding
    only those fields (about twice as fast); None for anything else, which the lenient
    path then reads."""
    try:
        t = _columns.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return _record_of(t, body, helpdesk_id)


def _record_of(t: _Columns, body: bytes, helpdesk_id: str) -> TicketRecord | None:
    guest, closed_by = t.guest or _NONE, t.closed_by or _NONE
    ids = [a.id for a in t.agents if a.id] if t.agents else []
    names = [g.name for g in t.tags if g.name] if t.tags else []
    agent_ids = tuple(ids) if len(ids) < 2 else tuple(dict.fromkeys(ids))  # distinct
    tag_names = tuple(names) if len(names) < 2 else tuple(dict.fromkeys(names))
    # A text with NUL (JSON's escape \u0000) takes the lenient path: one search of the
    # texts joined (half the CPU of searching the body for the escape).
    texts = (t.ticket_id, guest.id or "", guest.name or "", closed_by.id or "")
    if "\x00" in "".join((*texts, *agent_ids, *tag_names)):
        return None
    # TicketRecord's fields in order, made a tuple directly (`_new`).
    fields = (
        t.ticket_id,
        helpdesk_id,
        t.created_at,
        NEVER_UPDATED if t.updated_at is None else t.updated_at,
        t.ticket_type,
        t.channel,
        t.solve,
        t.score,
        t.status,
        guest.id,
        guest.name.casefold() if guest.name else None,
        closed_by.id,
        agent_ids,
        tag_names,
        body,
    )
    return _new(TicketRecord, fields)


def kept_record(body: bytes, helpdesk_id: str) -> TicketRecord:
    """The record that keeps `body` byte for byte in `helpdesk_id`, with filter columns
    derived leniently; `UnstorableTicket` if it cannot be stored."""
    typed = _typed_record(body, helpdesk_id)
    if typed is not None:
        return typed
    return _lenient_record(body, helpdesk_id)


def kept_record_facts(body: bytes, helpdesk_id: str) -> tuple[TicketRecord, Plain]:
    """`kept_record` and the ticket's metrics facts (`ticket_facts.plain`) from one decode
    when its fields have their documented types (an import's workers); else from two."""
    try:
        t = _both.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        t = None
    record = None if t is None else _record_of(t, body, helpdesk_id)
    if t is None or record is None:
        return _lenient_record(body, helpdesk_id), plain(decode_facts(body))
    # What `plain` reads from the same fields decoded loosely (`ticket_facts.member`: a
    # text or ""; `as_int`: 0 for none; `as_time`: None unless a BIGINT > 0).
    owner = t.agent_owner
    if not (owner and owner.id) and t.agents:
        owner = t.agents[0]
    agent = (owner.id or "") if owner else ""
    entry, first, closed = t.agent_entry_time, t.agent_first_response_time, t.closed_at
    facts = (  # Plain's fields in order, made a tuple directly (`_new`)
        t.created_at,
        t.status or 0,
        t.ticket_type or 0,
        t.score or 0,
        t.channel,
        "" if t.dissatisfaction_reason is None else first_reason(t.dissatisfaction_reason),
        [g.name for g in t.tags if g.name] if t.tags else [],
        (t.guest.city or "") if t.guest else "",
        agent,
        ((owner.name or "") if owner else "") or agent,
        entry if entry is not None and 0 < entry <= MAX_TIME else None,
        first if first is not None and 0 < first <= MAX_TIME else None,
        closed if closed is not None and 0 < closed <= MAX_TIME else None,
    )
    return record, _new(Plain, facts)


def _lenient_record(body: bytes, helpdesk_id: str) -> TicketRecord:
    try:
        ticket = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise UnstorableTicket(f"malformed JSON: {exc}") from None
    if not isinstance(ticket, dict):
        raise UnstorableTicket(f"a ticket must be a JSON object, not {type(ticket).__name__}")
    ticket_id = _text(ticket.get("ticket_id"))
    if not ticket_id:
        raise UnstorableTicket("ticket_id must be a non-empty string (without NUL)")
    created_at = _integer(ticket.get("created_at"))
    if created_at is None:
        raise UnstorableTicket(
            f"ticket {ticket_id}: created_at must be an integer (the list is ordered by it)"
        )
    updated_at = _integer(ticket.get("updated_at"))
    guest = ticket.get("guest")
    guest_name = _text(_member(guest, "name"))
    return TicketRecord(
        ticket_id=ticket_id,
        helpdesk_id=helpdesk_id,
        created_at=created_at,
        updated_at=NEVER_UPDATED if updated_at is None else updated_at,
        ticket_type=_integer(ticket.get("ticket_type")),
        channel=_integer(ticket.get("channel")),
        solve=_integer(ticket.get("solve")),
        score=_integer(ticket.get("score")),
        status=_integer(ticket.get("status")),
        guest_id=_text(_member(guest, "id")),
        guest_name=guest_name.casefold() if guest_name else None,
        closed_by_id=_text(_member(ticket.get("closed_by"), "id")),
        agent_ids=_names(ticket.get("agents"), "id"),
        tag_names=_names(ticket.get("tags"), "name"),
        body=body,
    )


def read_stored(body: bytes) -> Ticket:
    """A stored ticket as larkdesk's model, for a write through its own API: Feishu's
    observed shapes in the documented one, 0 and -1 times and zero choices as absent, and
    any field of a type the model cannot hold left out (its unknown keys are not kept)."""
    raw = msgspec.json.decode(body)
    fixed = _documented(raw if isinstance(raw, dict) else {})
    try:
        return msgspec.convert(fixed, Ticket)
    except msgspec.ValidationError:
        return msgspec.convert({k: v for k, v in fixed.items() if _fits(k, v)}, Ticket)


def _documented(raw: dict[str, Any]) -> dict[str, Any]:
    fixed = {k: v for k, v in raw.items() if k in _FIELDS}
    comments = fixed.get("comments")
    if isinstance(comments, list):  # the newest comment is the one the ticket shows
        dated = [c for c in comments if isinstance(c, dict)]
        fixed["comments"] = max(dated, key=_comment_time, default=None)
    reason = fixed.get("dissatisfaction_reason")
    if isinstance(reason, list):
        fixed["dissatisfaction_reason"] = reason[0] if reason else None
    for name in (*_TIMES, "updated_at"):
        if _integer(fixed.get(name)) is not None and fixed[name] <= 0:
            fixed[name] = None
    for name in _CHOICES:
        if fixed.get(name) == 0:
            fixed[name] = None
    fixed["ticket_id"] = str(fixed.get("ticket_id") or "")
    if _integer(fixed.get("created_at")) is None:
        fixed["created_at"] = 0
    return {k: v for k, v in fixed.items() if v is not None}


def _comment_time(comment: dict[str, Any]) -> int:
    return _integer(comment.get("created_at")) or 0


def _fits(name: str, value: Any) -> bool:
    """Whether one field converts on its own (the fallback for a ticket with odd types)."""
    probe = {"ticket_id": "0", name: value}
    try:
        msgspec.convert(probe, Ticket)
    except msgspec.ValidationError:
        return False
    return True
