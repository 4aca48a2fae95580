"""The ticket's wire shape and the fields derived from its timestamps."""

from __future__ import annotations

import msgspec
import pytest

from larkdesk.helpdesk.models import (
    Comments,
    InvalidTicket,
    Ticket,
    TicketUser,
    decode_ticket,
    derive,
    to_record,
)

T0 = 1_700_000_000_000


def human_ticket() -> Ticket:
    return Ticket(
        ticket_id="7000000000000000001",
        created_at=T0,
        updated_at=T0 + 900_000,
        status=51,
        ticket_type=2,
        agent_entry_time=T0 + 61_500,
        agent_first_response_time=T0 + 61_500 + 30_250,
        agent_last_response_time=T0 + 61_500 + 600_000 + 3_000,
        closed_at=T0 + 61_500 + 700_999,
        agents=[TicketUser(id="ou_a", name="Agent")],
        closed_by=TicketUser(id="ou_a"),
        guest=TicketUser(id="ou_g", name="Émile Zola"),
        bot_service_duration=999,  # never trusted: derived below
    )


def test_durations_follow_the_spec_formulas() -> None:
    t = derive(human_ticket())
    assert t.bot_service_duration == 61  # (entry - created) / 1000 s
    assert t.agent_first_response_duration == 30  # (first response - entry) / 1000 s
    assert t.agent_service_duration == pytest.approx(603_000 / 60_000)  # minutes, float
    assert isinstance(t.agent_service_duration, float)
    assert t.agent_resolution_time == 700  # (closed - entry) / 1000 s
    assert t.actual_processing_time == 700


def test_a_bot_ticket_has_no_agent_durations_and_absent_fields_are_left_out() -> None:
    bot = derive(Ticket(ticket_id="1", created_at=T0, status=50, ticket_type=1))
    wire = msgspec.json.decode(msgspec.json.encode(bot))
    assert wire == {
        "ticket_id": "1",
        "ticket_type": 1,
        "status": 50,
        "created_at": T0,
        "updated_at": -1,
    }


def test_big_integers_are_exact_on_the_wire() -> None:
    big = 7262656095919128578  # > 2**53: a float would change it
    ticket = Ticket(ticket_id="1", created_at=T0, comments=Comments(user_id=big, id=12))
    assert b'"user_id":7262656095919128578' in to_record(ticket, "hd").body


def test_record_carries_filter_columns_and_helpdesk() -> None:
    record = to_record(human_ticket(), "6626871355780366330")
    assert record.helpdesk_id == "6626871355780366330"
    assert record.guest_name == "émile zola" and record.agent_ids == ("ou_a",)
    assert record.closed_by_id == "ou_a" and record.updated_at == T0 + 900_000
    wire = msgspec.json.decode(record.body)
    assert wire["helpdesk_id"] == "6626871355780366330" and wire["bot_service_duration"] == 61


@pytest.mark.parametrize(
    ("line", "names"),
    [
        (b'{"ticket_id": "1", "created_at": 5, "status": 7}', "status"),
        (b'{"ticket_id": "1", "created_at": "yesterday"}', "created_at"),
        (b'{"ticket_id": "1", "created_at": 5, "ticket_type": "x"}', "ticket_type"),
        (b'{"created_at": 5}', "ticket_id"),
        (b'{"ticket_id": "1", "created_at": 5, "closed_at": 4}', "closed_at"),
        (b'{"ticket_id": "1", "created_at": 5, "comments": {"user_id": 1e400}}', "user_id"),
        (b'{"ticket_id": "1", "created_at": 5', "JSON"),
    ],
)
def test_bad_tickets_are_refused_naming_the_field(line: bytes, names: str) -> None:
    with pytest.raises(InvalidTicket, match=names):
        decode_ticket(line)
