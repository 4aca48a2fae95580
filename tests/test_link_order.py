"""agent_tickets and tag_tickets (the agent and tag filters in list order) stay exactly
the join of the link tables with the tickets through every kind of write: new tickets,
rewrites that move a ticket in time or change its agents and tags, and deletions (an
import's undo). On SQLite their triggers find rows by primary key (migration 0023)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from larkdesk.helpdesk.models import Ticket, TicketTag, TicketUser, to_record
from larkdesk.store import import_journal
from larkdesk.store.base import Store, TicketQuery
from larkdesk.store.sql import Sql

from .conftest import provision

T0 = 1_700_000_000_000


def ticket(n: int, version: int) -> Ticket:
    return Ticket(
        ticket_id=str(7_400_000_000_000_000_000 + n),
        created_at=T0 + n * 1000 + version * 10,
        updated_at=T0 + n * 1000 + version * 20 + 5,
        status=(1, 2, 50)[(n + version) % 3],
        agents=[TicketUser(id=f"ou_a{(n + k + version) % 4}") for k in range(n % 3)],
        tags=[TicketTag(id=str(k), name=f"t{(n + k * version) % 5}") for k in range(n % 4)],
    )


def tables(db: Sql) -> dict[str, Any]:
    order = " ORDER BY 1, 2, 3, 4"
    return {
        "agents": db.all(
            "SELECT helpdesk_id, agent_id, created_at, ticket_id, seq FROM agent_tickets" + order
        ),
        "agents_joined": db.all(
            "SELECT t.helpdesk_id, a.agent_id, t.created_at, t.ticket_id, t.seq"
            " FROM ticket_agents a JOIN tickets t ON t.seq = a.seq" + order
        ),
        "tags": db.all(
            "SELECT helpdesk_id, tag_name, created_at, ticket_id, updated_at, seq FROM tag_tickets"
            + order
        ),
        "tags_joined": db.all(
            "SELECT t.helpdesk_id, g.tag_name, t.created_at, t.ticket_id, t.updated_at, t.seq"
            " FROM ticket_tags g JOIN tickets t ON t.seq = g.seq" + order
        ),
    }


def check(store: Store) -> dict[str, Any]:
    found = store._read(tables)  # type: ignore[attr-defined]
    assert found["agents"] == found["agents_joined"]
    assert found["tags"] == found["tags_joined"]
    return dict(found)


def test_the_ordered_link_tables_follow_every_write(store: Store) -> None:
    helpdesk_id = provision(store).helpdesk_id
    store.upsert_tickets([to_record(ticket(n, 0), helpdesk_id) for n in range(40)])
    first = check(store)
    assert len(first["agents"]) > 20 and len(first["tags"]) > 20
    store.upsert_tickets([to_record(ticket(n, 1), helpdesk_id) for n in range(0, 40, 2)])
    moved = check(store)
    assert moved["agents"] != first["agents"] and moved["tags"] != first["tags"]

    def drop(db: Sql) -> None:
        rows = db.all("SELECT seq, helpdesk_id FROM tickets ORDER BY seq LIMIT 10")
        import_journal._delete(db, [(int(seq), str(h)) for seq, h in rows])

    store._write(drop)  # type: ignore[attr-defined]
    after = check(store)
    assert len(after["agents"]) < len(moved["agents"])
    page = store.list_tickets(helpdesk_id, TicketQuery(agent_id="ou_a1", page_size=100))
    assert page.total == sum(1 for row in after["agents"] if row[1] == "ou_a1")


def _steps_of_writes(tmp_path: Path, tickets: int) -> list[int]:
    """SQLite VM steps of three single-ticket writes that fire the link-order triggers
    (an update time alone, a creation time, a tag removed), in a file of `tickets`."""
    from larkdesk.store.sqlite import SQLiteStore

    path = tmp_path / f"steps-{tickets}.db"
    store = SQLiteStore(path)
    try:
        helpdesk_id = provision(store).helpdesk_id
        store.upsert_tickets([to_record(ticket(n, 0), helpdesk_id) for n in range(tickets)])
    finally:
        store.close()
    conn = sqlite3.connect(path)
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    seq = conn.execute(
        "SELECT t.seq FROM tickets t JOIN ticket_tags g ON g.seq = t.seq"
        " JOIN ticket_agents a ON a.seq = t.seq ORDER BY t.seq LIMIT 1"
    ).fetchone()[0]
    found = []
    for statement in (
        "UPDATE tickets SET updated_at = updated_at + 1 WHERE seq = ?",
        "UPDATE tickets SET created_at = created_at + 1 WHERE seq = ?",
        "DELETE FROM ticket_tags WHERE seq = ?",
    ):
        steps[0] = 0
        conn.set_progress_handler(count, 1)
        conn.execute(statement, (seq,))
        conn.set_progress_handler(None, 1)
        found.append(steps[0])
    conn.rollback()
    conn.close()
    return found


def test_a_write_costs_the_same_in_a_small_file_and_in_a_ten_times_larger_one(
    tmp_path: Path,
) -> None:
    # The triggers keeping agent_tickets / tag_tickets must find a ticket's rows by key:
    # a trigger that looked them up by a column without an index (seq, since 0023) would
    # scan the whole table on every status change, ten times the steps in a file ten times
    # as large.
    small = _steps_of_writes(tmp_path, 200)
    large = _steps_of_writes(tmp_path, 2000)
    for few, many in zip(small, large, strict=True):
        assert many < few * 2, (small, large)
