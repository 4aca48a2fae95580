"""The console's sorted pages through every plan `console_sorts` picks (a walk of the key's
index, a longer walk, value by value in a column of few values, the sort) against the
same tickets sorted in Python: every page of each view, keyset after keyset, on both
stores. Walk lengths are made short so that a few hundred tickets take each path."""

from __future__ import annotations

import random
from typing import Any

import pytest

from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.store import console_sorts, console_values
from larkdesk.store.base import Store, TicketQuery, Window
from larkdesk.store.console_records import TimeSlot

from .conftest import Identity

BASE = 1_780_000_000_000
DAY = 86_400_000


def tickets(rng: random.Random) -> list[Ticket]:
    """Tickets whose columns correlate with time: the newest are open and unscored, the
    oldest never updated; NULLs in every column of few values."""
    made = []
    for n in range(240):
        created = BASE + n * DAY // 4
        recent = n > 180
        made.append(
            Ticket(
                ticket_id=str(7_000_000 + rng.randrange(10**6) * 1000 + n),
                created_at=created,
                updated_at=-1 if n < 60 else created + rng.randrange(DAY),
                status=rng.choice([1, 2]) if recent else rng.choice([None, 2, 50, 51, 52]),
                score=None if recent else rng.choice([None, 1, 1, 2, 3]),
                channel=rng.choice([None, 0, 1, 13]),
                ticket_type=rng.choice([None, 1, 2]),
            )
        )
    return made


def key_of(ticket: Ticket, sort: str) -> int:
    value = getattr(ticket, sort)
    return -2 if value is None else int(value)


def matches(ticket: Ticket, query: TicketQuery) -> bool:
    window = query.created
    return (
        (query.score is None or ticket.score == query.score)
        and (query.channel is None or ticket.channel == query.channel)
        and (query.ticket_type is None or ticket.ticket_type == query.ticket_type)
        and (window is None or window.start <= ticket.created_at <= window.end)
        and (not query.statuses or ticket.status in query.statuses)
    )


def every_page(store: Store, helpdesk_id: str, query: TicketQuery, sort: str, desc: bool) -> Any:
    seen: list[tuple[int, str]] = []
    after = None
    while True:
        rows = store.sorted_tickets(helpdesk_id, query, TimeSlot(), sort, desc, after, 7, None)
        seen += [(r.key, r.ticket_id) for r in rows]
        if len(rows) < 7:
            return seen
        after = (rows[-1].key, rows[-1].ticket_id)


QUERIES = [
    TicketQuery(score=1),
    TicketQuery(score=1, channel=13),
    TicketQuery(channel=0),
    TicketQuery(created=Window(BASE + 45 * DAY, BASE + 60 * DAY)),
    TicketQuery(created=Window(BASE, BASE + 10 * DAY), ticket_type=2),
    TicketQuery(statuses=(2, 50), ticket_type=2, channel=13),
]


@pytest.mark.parametrize(
    "query",
    QUERIES,
    ids=["score", "score-channel", "channel", "window", "window-type", "statuses-type-channel"],
)
def test_every_plan_pages_as_a_sort_of_the_matches(
    store: Store, identity: Identity, query: TicketQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_sorts, "WALKS", (6, 30))
    monkeypatch.setattr(console_values, "WALK", 4)
    made = tickets(random.Random(4))
    store.load_tickets(to_record(t, identity.helpdesk_id) for t in made)
    for sort in console_sorts.SORT_COLUMNS:
        for desc in (False, True):
            expected = sorted(
                ((key_of(t, sort), t.ticket_id) for t in made if matches(t, query)),
                reverse=desc,
            )
            got = every_page(store, identity.helpdesk_id, query, sort, desc)
            assert got == expected, (sort, desc)
    # the count (through the (status, x) index when a status filter has them)
    wanted = sum(1 for t in made if matches(t, query))
    assert store.count_matching(identity.helpdesk_id, query, TimeSlot()) == wanted
    assert store.count_matching(identity.helpdesk_id, query, TimeSlot(), 3) == min(wanted, 4)
