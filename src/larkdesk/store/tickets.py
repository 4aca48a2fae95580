"""Tickets: their filter columns, links (agents, tags), wire JSON and per-helpdesk counts.

Every write goes through `write_chunk`: existing tickets (read with the backend's row
lock) are updated in place and keep their seq (or left alone when their wire JSON is
unchanged), new ones get fresh seqs; links are rewritten; the helpdesk's kept count grows
by the new ones. The list API's hand-tuned read plans are the backends' own
(`sqlite_plans`, `PostgresStore.list_tickets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from . import body_codec, comments, history, link_counts, outbox, rollups, tags
from .base import (
    ConflictError,
    Rewrite,
    ScannedTicket,
    TagRecord,
    TicketQuery,
    TicketRecord,
)
from .event_records import OutboundEvent
from .filters import Dialect, scan_statement, without_nul
from .history_records import SYSTEM, Actor
from .identities import names_nothing
from .relink import relink
from .sql import KEEP, REPLACE, Sql, Table, marks

_FILTERS = (
    ("created_at", "bigint"),
    ("updated_at", "bigint"),
    ("ticket_type", "bigint"),
    ("channel", "bigint"),
    ("solve", "bigint"),
    ("score", "bigint"),
    ("status", "bigint"),
    ("guest_id", "text"),
    ("guest_name", "text"),
    ("closed_by_id", "text"),
)
TICKETS = Table(
    "tickets", (("seq", "bigint"), ("ticket_id", "text"), ("helpdesk_id", "text"), *_FILTERS)
)
_FILTER_NAMES = ", ".join(f"t.{name}" for name, _ in _FILTERS)
_STATUS, _STAGE = 6, 2  # status and ticket_type among the filters
TICKET_BODIES = Table("ticket_bodies", (("seq", "bigint"), ("body", "bytea")), key=("seq",))
TICKET_COUNTS = Table("helpdesk_ticket_counts", (("helpdesk_id", "text"), ("tickets", "bigint")))
GUEST_NAMES = Table("guest_names", (("helpdesk_id", "text"), ("guest_name", "text")))
TICKET_AGENTS = Table("ticket_agents", (("agent_id", "text"), ("seq", "bigint")))
TICKET_TAGS = Table("ticket_tags", (("tag_name", "text"), ("seq", "bigint")))

_ADD_TO_COUNT = (
    "ON CONFLICT (helpdesk_id) DO UPDATE"
    " SET tickets = helpdesk_ticket_counts.tickets + excluded.tickets"
)


def chunks(records: Iterable[TicketRecord], size: int) -> Iterator[list[TicketRecord]]:
    """Batches of records, a later duplicate of a ticket_id replacing the earlier one."""
    chunk: dict[str, TicketRecord] = {}
    for record in records:
        chunk[record.ticket_id] = record
        if len(chunk) >= size:
            yield list(chunk.values())
            chunk = {}
    if chunk:
        yield list(chunk.values())


def upsert(
    db: Sql, records: Iterable[TicketRecord], chunk_size: int, by: Actor | None = SYSTEM
) -> int:
    """Insert or replace tickets by ticket_id; returns the count."""
    count = 0
    for chunk in chunks(records, chunk_size):
        write_chunk(db, chunk, by)
        count += len(chunk)
    return count


def write_chunk(db: Sql, chunk: Sequence[TicketRecord], by: Actor | None = SYSTEM) -> None:
    """Insert new tickets with fresh seqs, update existing ones in place (rows locked);
    `by` is who, for the status and stage history (None: a demo load, which has none)."""
    existing = {
        ticket_id: (seq, helpdesk_id, body_codec.unpack(body, db), tuple(filters))
        for ticket_id, seq, helpdesk_id, body, *filters in db.all(
            f"SELECT t.ticket_id, t.seq, t.helpdesk_id, b.body, {_FILTER_NAMES} FROM tickets t"
            f" JOIN ticket_bodies b ON b.seq = t.seq WHERE t.ticket_id IN"
            f" ({marks(len(chunk))}) ORDER BY t.ticket_id{db.for_update}",
            [r.ticket_id for r in chunk],
        )
    }
    seqs = iter(db.next_ticket_seqs(sum(r.ticket_id not in existing for r in chunk)))
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[int, tuple[Any, ...], tuple[Any, ...]]] = []  # seq, before, after
    bodies: list[tuple[int, bytes]] = []
    agents: list[tuple[str, int]] = []
    tag_links: list[tuple[str, int]] = []
    new_per_helpdesk: dict[str, int] = {}
    written: list[tuple[int, history.Before | None, TicketRecord]] = []
    changed: list[tuple[str, bytes | None, bytes | None]] = []  # for the metrics rollups
    rewritten: list[tuple[int, str]] = []  # (seq, helpdesk_id) of the updated tickets
    keys = {h: db.new_helpdesk_key(h) for h in sorted({r.helpdesk_id for r in chunk})}
    for r in chunk:
        found = existing.get(r.ticket_id)
        filters = r[2:12]  # created_at .. closed_by_id: TicketRecord's column order
        if found is None:
            seq = next(seqs)
            inserts.append((seq, r.ticket_id, keys[r.helpdesk_id], *filters))
            new_per_helpdesk[r.helpdesk_id] = new_per_helpdesk.get(r.helpdesk_id, 0) + 1
        elif found[1] != keys[r.helpdesk_id]:
            raise ConflictError(f"ticket {r.ticket_id} belongs to another helpdesk")
        elif found[2] == r.body:
            # The same wire JSON, so the same row and links: a re-import of an unchanged
            # ticket writes nothing (and holds the write lock for a read only).
            continue
        else:
            seq = found[0]
            updates.append((seq, found[3], tuple(filters)))
            rewritten.append((seq, r.helpdesk_id))
        bodies.append((seq, r.body))
        written.append((seq, None if found is None else _before(found[3]), r))
        changed.append((r.helpdesk_id, found[2] if found else None, r.body))
        agents.extend((agent_id, seq) for agent_id in r.agent_ids)
        tag_links.extend((name, seq) for name in r.tag_names)
    link_counts.take(db, rewritten, [r for _, _, r in written])  # PostgreSQL: key order
    if inserts:
        db.insert_rows(TICKETS, inserts)
        db.insert_rows(TICKET_COUNTS, sorted(new_per_helpdesk.items()), _ADD_TO_COUNT)
    if updates:
        _update_filters(db, updates)
    rewritten_seqs = [seq for seq, _ in rewritten]  # links: only those that change
    agents = relink(db, "ticket_agents", "agent_id", rewritten_seqs, agents)
    tag_links = relink(db, "ticket_tags", "tag_name", rewritten_seqs, tag_links)
    pack = body_codec.packer(db)
    db.insert_rows(TICKET_BODIES, [(seq, pack(body)) for seq, body in bodies], REPLACE)
    names = sorted({(keys[r.helpdesk_id], r.guest_name) for r in chunk if r.guest_name is not None})
    db.insert_rows(GUEST_NAMES, names, KEEP)
    db.insert_rows(TICKET_AGENTS, agents, KEEP)
    db.insert_rows(TICKET_TAGS, tag_links, KEEP)
    rollups.apply(db, changed)
    if by is not None:
        history.moved(db, written, by)


def _before(filters: tuple[Any, ...]) -> history.Before:
    return filters[_STATUS], filters[_STAGE]


def _update_filters(
    db: Sql, updates: Sequence[tuple[int, tuple[Any, ...], tuple[Any, ...]]]
) -> None:
    """Rewrite only the filter columns whose values change, grouped by which: an index
    whose columns an UPDATE does not name is left alone (the tickets table has ~20), so a
    status change touches the status and update-time indexes, not every one."""
    groups: dict[tuple[int, ...], list[tuple[Any, ...]]] = {}
    for seq, before, after in updates:
        changed = tuple(
            i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new
        )
        if changed:
            groups.setdefault(changed, []).append((seq, *(after[i] for i in changed)))
    for changed, rows in groups.items():
        db.update_rows(Table("tickets", tuple(_FILTERS[i] for i in changed)), "seq", rows)


def get_ticket(db: Sql, ticket_id: str, helpdesk_id: str | None = None) -> bytes | None:
    """The ticket's wire JSON; None unless it exists (in `helpdesk_id`, when given)."""
    if names_nothing(ticket_id):
        return None
    row = db.one(
        "SELECT t.helpdesk_id, b.body FROM tickets t JOIN ticket_bodies b ON b.seq = t.seq"
        " WHERE t.ticket_id = ?",
        (ticket_id,),
    )
    if row is None or (helpdesk_id is not None and db.helpdesk_key(helpdesk_id) != row[0]):
        return None
    return body_codec.unpack(row[1], db)


def create_ticket(
    db: Sql, record: TicketRecord, events: Sequence[OutboundEvent] = (), by: Actor = SYSTEM
) -> bool:
    """Insert a new ticket and its events; False (and nothing written) if its id is taken."""
    if db.one("SELECT 1 FROM tickets WHERE ticket_id = ?", (record.ticket_id,)) is not None:
        return False
    write_chunk(db, [record], by)
    outbox.add_events(db, events)
    return True


def update_ticket(
    db: Sql, helpdesk_id: str, ticket_id: str, wanted: Sequence[TagRecord], rewrite: Rewrite
) -> TicketRecord | None:
    """Read the ticket with its row locked, rewrite it, keep its new comments."""
    if names_nothing(ticket_id):
        return None
    row = db.one(
        f"SELECT seq FROM tickets WHERE ticket_id = ? AND helpdesk_id = ?{db.for_update}",
        (ticket_id, db.helpdesk_key(helpdesk_id)),
    )
    if row is None:
        return None
    seq = row[0]
    body = db.one("SELECT body FROM ticket_bodies WHERE seq = ?", (seq,))
    if body is None:  # a ticket row always has its body; guard the type all the same
        return None
    write = rewrite(body_codec.unpack(body[0], db), tags.ensure_tags(db, helpdesk_id, wanted))
    write_chunk(db, [write.record], write.by)
    comments.add_comments(db, seq, write.comments)
    outbox.add_events(db, write.events)
    return write.record


def count_tickets(db: Sql, helpdesk_id: str) -> int:
    row = db.one("SELECT tickets FROM helpdesk_ticket_counts WHERE helpdesk_id = ?", (helpdesk_id,))
    return int(row[0]) if row else 0


def scan_tickets(
    db: Sql,
    dialect: Dialect,
    helpdesk_id: str,
    query: TicketQuery,
    after: tuple[int, str] | None,
    limit: int,
) -> list[ScannedTicket]:
    """Keyset pages in list order with no 10,000 cap (`Store.scan_tickets`)."""
    searchable = without_nul(query)
    if searchable is None:
        return []
    sql, params = scan_statement(db.helpdesk_key(helpdesk_id), searchable, after, limit, dialect)
    rows = db.all(sql, params)
    return [ScannedTicket(int(at), str(tid), body_codec.unpack(b, db)) for at, tid, b in rows]
