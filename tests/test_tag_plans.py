"""Several tags with create/update windows: PostgreSQL counts and pages them from
tag_tickets (one range per tag, merged; store/pg_plans.py), SQLite from its own plans.
Both must give exactly what the filter means: the tickets carrying any of the tags, in
the windows, newest first (ticket_id breaking ties), counted once however many of the
tags each carries; checked against that definition on a few hundred random tickets."""

from __future__ import annotations

import random

from larkdesk.helpdesk.models import decode_ticket, to_record
from larkdesk.store.base import Store, TicketQuery, Window

from .test_store import desk, ticket

T0 = 1_700_000_000_000
TAGS = ("a", "b", "c", "d")


def test_several_tags_with_windows_count_and_page_as_defined(store: Store) -> None:
    rng = random.Random(13)
    hd, other = desk(store), desk(store)
    kept: list[tuple[str, int, int, set[str]]] = []
    records = []
    for n in range(300):
        tid = f"{rng.randrange(10**6):07d}-{n}"
        created = T0 + rng.randrange(100)  # many ties: ticket_id decides
        tags = tuple(t for t in TAGS if rng.random() < 0.35)
        updated = created + rng.randrange(50)
        records.append(to_record(ticket(tid, created, tags=tags), hd)._replace(updated_at=updated))
        kept.append((tid, created, updated, set(tags)))
    store.upsert_tickets(records)
    store.upsert_tickets([to_record(ticket("elsewhere", T0, tags=TAGS), other)])

    def expected(query: TicketQuery) -> tuple[int, list[str]]:
        found = [
            (created, tid)
            for tid, created, updated, tags in kept
            if tags & set(query.tags)
            and (query.created is None or query.created.start <= created <= query.created.end)
            and (query.updated is None or query.updated.start <= updated <= query.updated.end)
        ]
        found.sort(reverse=True)
        start = query.offset
        return len(found), [tid for _, tid in found[start : start + query.page_size]]

    queries = [
        TicketQuery(tags=("a", "b")),
        TicketQuery(tags=("a", "b", "c", "d"), page_size=50, page=3),
        TicketQuery(tags=("b", "a", "b"), page_size=7, page=5),
        TicketQuery(tags=("a", "c"), updated=Window(T0 + 40, T0 + 90)),
        TicketQuery(tags=("c", "d"), created=Window(T0 + 10, T0 + 30), page_size=5, page=2),
        TicketQuery(
            tags=("a", "d"),
            created=Window(T0, T0 + 60),
            updated=Window(T0 + 30, T0 + 70),
            page_size=3,
            page=4,
        ),
        TicketQuery(tags=("a", "nothing")),
        TicketQuery(tags=("nothing", "none")),
        TicketQuery(tags=("a", "b"), page=40, page_size=10),  # past the end
    ]
    for query in queries:
        page = store.list_tickets(hd, query)
        got = page.total, [decode_ticket(body).ticket_id for body in page.tickets]
        assert got == expected(query), query
