"""The undo journal that keeps an import all or nothing while it publishes in short
transactions (`transfer.publish` runs the steps; docs/api.md says what callers see).

One import at a time holds the marker row (`import_runs`). Each chunk transaction checks
it still holds it, records every ticket's state from before the import (its filter
columns, links and body, or "new") in `import_undo` unless recorded already, writes the
chunk through `tickets.write_chunk`, and moves the marker's heartbeat. Undoing restores
recorded tickets and deletes new ones, chunk by chunk, each step deleting the journal
rows it has undone, so an undo that is itself interrupted resumes where it stopped. A
ticket changed since the import wrote it (a `PUT` meanwhile) keeps that later change.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from . import rollups, tickets
from .base import Actor, TicketRecord
from .body_codec import unpack
from .history import HISTORY
from .sql import Sql, Table, marks

PUBLISHING, ROLLING_BACK, DONE = "publishing", "rolling back", "done"
IMPORT_UNDO = Table(
    "import_undo", (("ticket_id", "text"), ("previous", "bytea"), ("written", "bytea"))
)
# A ticket written twice by one import keeps its state from before the first write.
UNDONE = Actor("system", source="import undone")  # the history of restored tickets
_KEEP_PREVIOUS = "ON CONFLICT (ticket_id) DO UPDATE SET written = excluded.written"
_COLUMNS = ", ".join(f"t.{name}" for name in tickets.TICKETS.names)


class ImportInProgress(Exception):
    """Another import holds the marker; the message says which and since when."""


@dataclass(frozen=True, slots=True)
class ImportMarker:
    run_id: str
    helpdesk_id: str
    source: str
    state: str
    started_ms: int
    heartbeat_ms: int

    def describe(self) -> str:
        return f"an import of {self.source} into helpdesk {self.helpdesk_id} ({self.state})"


def digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=16).digest()


def marker(db: Sql) -> ImportMarker | None:
    row = db.one(
        "SELECT run_id, helpdesk_id, source, state, started_ms, heartbeat_ms"
        f" FROM import_runs WHERE one = 1{db.for_update}"
    )
    return ImportMarker(*row) if row else None


def begin(db: Sql, run: ImportMarker) -> None:
    """Take the marker for `run`; `ImportInProgress` if another import holds it."""
    found = marker(db)
    if found is not None:
        raise ImportInProgress(f"{found.describe()} has the store; try again when it ends")
    db.run(
        "INSERT INTO import_runs (one, run_id, helpdesk_id, source, state, started_ms,"
        " heartbeat_ms) VALUES (1, ?, ?, ?, ?, ?, ?)",
        (run.run_id, run.helpdesk_id, run.source, PUBLISHING, run.started_ms, run.heartbeat_ms),
    )


def _hold(db: Sql, run_id: str, now_ms: int, state: str = PUBLISHING) -> ImportMarker:
    found = marker(db)
    if found is None or found.run_id != run_id or found.state != PUBLISHING:
        raise ImportInProgress("the import was taken for dead and is being undone")
    db.run("UPDATE import_runs SET state = ?, heartbeat_ms = ? WHERE one = 1", (state, now_ms))
    return found


def publish(db: Sql, run_id: str, chunk: Sequence[TicketRecord], now_ms: int) -> None:
    """Write one chunk of the import, journaling what it replaces."""
    run = _hold(db, run_id, now_ms)
    ids = [r.ticket_id for r in chunk]
    journaled = {
        ticket_id
        for (ticket_id,) in db.all(
            f"SELECT ticket_id FROM import_undo WHERE ticket_id IN ({marks(len(ids))})", ids
        )
    }
    previous = _records(db, [i for i in ids if i not in journaled])
    undo = [(r.ticket_id, _encode(previous.get(r.ticket_id)), digest(r.body)) for r in chunk]
    tickets.write_chunk(db, chunk, Actor("import", source=run.source))
    db.insert_rows(IMPORT_UNDO, undo, _KEEP_PREVIOUS)


def finish(db: Sql, run_id: str, now_ms: int) -> None:
    """The import is complete: from here on its journal is only deleted, never undone."""
    _hold(db, run_id, now_ms, DONE)


def claim_undo(db: Sql, run_id: str | None, now_ms: int, stale_ms: int) -> ImportMarker | None:
    """Mark the held import to be undone: its own (`run_id`), or one whose heartbeat is
    older than `stale_ms` (a dead process). None if there is none; `ImportInProgress` if
    a live import holds it."""
    found = marker(db)
    if found is None or found.state != PUBLISHING:
        return found
    if found.run_id != run_id and now_ms - found.heartbeat_ms < stale_ms:
        raise ImportInProgress(f"{found.describe()} is running")
    db.run("UPDATE import_runs SET state = ? WHERE one = 1", (ROLLING_BACK,))
    return marker(db)


def undo_step(db: Sql, limit: int) -> int:
    """Undo up to `limit` journaled tickets; how many journal rows were taken."""
    rows = db.all(
        f"SELECT ticket_id, previous, written FROM import_undo ORDER BY ticket_id LIMIT ?"
        f"{db.for_update}",
        (limit,),
    )
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    current = {
        ticket_id: (seq, db.helpdesk_of(helpdesk), digest(body), body)
        for ticket_id, seq, helpdesk, body in _unpacked(
            db,
            db.all(
                "SELECT t.ticket_id, t.seq, t.helpdesk_id, b.body FROM tickets t"
                f" JOIN ticket_bodies b ON b.seq = t.seq WHERE t.ticket_id IN ({marks(len(ids))})",
                ids,
            ),
        )
    }
    restore: list[TicketRecord] = []
    drop: list[tuple[int, str]] = []
    dropped: list[tuple[str, bytes | None, bytes | None]] = []  # for the metrics rollups
    for ticket_id, previous, written in rows:
        now = current.get(ticket_id)
        if now is None or now[2] != bytes(written):
            continue  # changed since the import wrote it: the later write stays
        if previous is None:
            drop.append((now[0], now[1]))
            dropped.append((now[1], now[3], None))
        else:
            restore.append(_decode(bytes(previous)))
    if restore:
        tickets.write_chunk(db, restore, UNDONE)
    _delete(db, drop)
    rollups.apply(db, dropped)
    db.delete_where("import_undo", "ticket_id", ids)
    return len(rows)


def forget_step(db: Sql, limit: int) -> int:
    """Delete up to `limit` journal rows of a finished import; how many."""
    return db.run(
        "DELETE FROM import_undo WHERE ticket_id IN"
        " (SELECT ticket_id FROM import_undo ORDER BY ticket_id LIMIT ?)",
        (limit,),
    )


def end(db: Sql) -> None:
    """Give the marker up (the journal is empty by now)."""
    db.run("DELETE FROM import_runs WHERE one = 1")


def _records(db: Sql, ids: list[str]) -> dict[str, TicketRecord]:
    """The stored tickets among `ids`, as the records that would write them again."""
    if not ids:
        return {}
    rows = db.all(
        f"SELECT {_COLUMNS}, b.body FROM tickets t JOIN ticket_bodies b ON b.seq = t.seq"
        f" WHERE t.ticket_id IN ({marks(len(ids))})",
        ids,
    )
    seqs = [row[0] for row in rows]
    agents, tags = (
        _links(db, "ticket_agents", "agent_id", seqs),
        _links(db, "ticket_tags", "tag_name", seqs),
    )
    return {
        row[1]: TicketRecord._make(
            (
                row[1],
                db.helpdesk_of(row[2]),  # the column holds its key (`Sql.helpdesk_key`)
                *row[3:13],
                tuple(agents[row[0]]),
                tuple(tags[row[0]]),
                unpack(row[13], db),
            )
        )
        for row in rows
    }


def _unpacked(db: Sql, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose last column is a stored body, with the body as wire JSON."""
    return [(*row[:-1], unpack(row[-1], db)) for row in rows]


def _links(db: Sql, table: str, column: str, seqs: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if seqs:
        for seq, value in db.all(
            f"SELECT seq, {column} FROM {table} WHERE seq IN ({marks(len(seqs))})", seqs
        ):
            found[seq].append(value)
    return found


def _delete(db: Sql, drop: list[tuple[int, str]]) -> None:
    """Delete tickets the import added (by seq), and take them off their helpdesk's count."""
    if not drop:
        return
    seqs = [seq for seq, _ in drop]
    for table in ("ticket_agents", "ticket_tags", "ticket_bodies", "tickets", HISTORY.name):
        db.delete_where(table, "seq", seqs)
    per_helpdesk: dict[str, int] = defaultdict(int)
    for _, helpdesk_id in drop:
        per_helpdesk[helpdesk_id] += 1
    for helpdesk_id, count in sorted(per_helpdesk.items()):
        db.run(
            "UPDATE helpdesk_ticket_counts SET tickets = tickets - ? WHERE helpdesk_id = ?",
            (count, helpdesk_id),
        )


def _encode(record: TicketRecord | None) -> bytes | None:
    return None if record is None else msgspec.msgpack.encode(tuple(record))


def _decode(blob: bytes) -> TicketRecord:
    fields = msgspec.msgpack.decode(blob)
    fields[12], fields[13] = tuple(fields[12]), tuple(fields[13])
    return TicketRecord._make(fields)
