"""A SQLite file of schema 24 (before the helpdesk keys of migration 0025) and the answers
the code of that schema gave on it, to check that a migrated file answers the same.

The fixture in tests/data was made by this module run with the schema-24 code (commit
4f16503, the parent of migration 0025) first on the path:

    PYTHONPATH=<checkout of 4f16503>/src python -m tests.schema24 tests/data

It writes `schema24.db.gz` (two helpdesks of 90 tickets each, through the store's own
writes, then copied with a small page size) and `schema24-answers.json`: list pages of
the API's plans, the console's sorted pages and counts, scans, single tickets and their
history, before and after a few writes (`WRITES`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from larkdesk.helpdesk.models import Ticket, TicketTag, TicketUser, to_record
from larkdesk.store.base import Store, TicketQuery, Window
from larkdesk.store.console_records import TimeSlot
from larkdesk.store.records import Helpdesk, Tenant

T0 = 1_760_000_000_000
HOUR = 3_600_000
DESKS = ("7300000000000000001", "7300000000000000002")
FIRST_ID = 7_310_000_000_000_000_000
PER_DESK = 90


def ticket(n: int, version: int = 0) -> Ticket:
    """Ticket n (of desk n % 2), every filter column varied; `version` moves it."""
    human = n % 3 != 0
    closed = n % 4 == 0
    return Ticket(
        ticket_id=str(FIRST_ID + n),
        guest=TicketUser(id=f"ou_guest_{n % 11}", name=f"Guest {'Ab' if n % 5 else 'Cd'}{n % 7}"),
        ticket_type=2 if human else 1,
        status=(50 if closed else 1 + (n + version) % 3) if not version else 51,
        score=None if n % 6 == 0 else n % 4,
        channel=n % 5,
        solve=n % 3 or None,
        created_at=T0 + n * 7 * HOUR + version * 1000,
        updated_at=T0 + n * 7 * HOUR + (n % 9) * HOUR + version * 2000,
        agents=[TicketUser(id=f"ou_agent_{(n + k) % 4}") for k in range(n % 3)],
        tags=[TicketTag(id=f"tag{(n + k) % 6}", name=f"t{(n + k) % 6}") for k in range(n % 4)],
        closed_by=TicketUser(id=f"ou_agent_{n % 4}") if closed else None,
        closed_at=T0 + n * 7 * HOUR + (n % 5 + 1) * HOUR if closed else None,
        agent_entry_time=T0 + n * 7 * HOUR + (n % 3) * 60_000 if human else None,
        agent_first_response_time=T0 + n * 7 * HOUR + (n % 7 + 4) * 60_000 if human else None,
    )


WRITES = (3, 10, 17, 44)  # rewritten after the first answers (and two new tickets)


def fill(store: Store) -> None:
    store.create_tenant(Tenant("t_schema24", "schema 24"))
    for desk in DESKS:
        store.create_helpdesk(Helpdesk(desk, "t_schema24", f"desk {desk[-1]}", "x"))
    for desk_index, desk in enumerate(DESKS):
        records = [to_record(ticket(n), desk) for n in range(desk_index, 2 * PER_DESK, 2)]
        store.upsert_tickets(records)


def write(store: Store) -> None:
    """Rewrite a few tickets (status, time, agents and tags move) and add two."""
    for n in WRITES:
        store.upsert_tickets([to_record(ticket(n, 1), DESKS[n % 2])])
    for n in (2 * PER_DESK, 2 * PER_DESK + 1):
        store.upsert_tickets([to_record(ticket(n), DESKS[n % 2])])


def _digest(bodies: list[bytes]) -> str:
    return hashlib.sha256(b"\n".join(bodies)).hexdigest()


def _ids(bodies: list[bytes]) -> list[str]:
    return [json.loads(body)["ticket_id"] for body in bodies]


QUERIES: dict[str, TicketQuery] = {
    "all": TicketQuery(page_size=25),
    "page 3": TicketQuery(page=3, page_size=10),
    "status": TicketQuery(statuses=(1, 2), page_size=50),
    "agent": TicketQuery(agent_id="ou_agent_1", page_size=50),
    "agent window": TicketQuery(
        agent_id="ou_agent_2", created=Window(T0, T0 + 300 * HOUR), page_size=50
    ),
    "tag": TicketQuery(tags=("t2",), page_size=50),
    "tags": TicketQuery(tags=("t1", "t4"), page_size=50),
    "guest name": TicketQuery(guest_name="ab", page_size=50),
    "guest": TicketQuery(guest_id="ou_guest_3", page_size=50),
    "closed by": TicketQuery(closed_by_id="ou_agent_0", page_size=50),
    "score and channel": TicketQuery(score=1, channel=3, page_size=50),
    "updated": TicketQuery(updated=Window(T0, T0 + 200 * HOUR), page_size=50),
    "mixed": TicketQuery(statuses=(2, 3), agent_id="ou_agent_0", tags=("t1",), page_size=50),
    "ticket": TicketQuery(ticket_id=str(FIRST_ID + 7)),
}
SORTS = ("created_at", "updated_at", "status", "score", "channel", "ticket_type")
SORTED = ("all", "status", "agent", "tags")  # sorted every way


def answers(store: Store) -> dict[str, Any]:
    """What the store answers, per helpdesk (and for an unknown one)."""
    found: dict[str, Any] = {}
    for desk in (*DESKS, "7300000000000000009"):
        for name, query in QUERIES.items():
            page = store.list_tickets(desk, query)
            bodies = list(page.tickets)
            found[f"{desk} list {name}"] = [page.total, _ids(bodies), _digest(bodies)]
            scanned = store.scan_tickets(desk, query, None, 30)
            found[f"{desk} scan {name}"] = [t.ticket_id for t in scanned]
            found[f"{desk} count {name}"] = store.count_matching(desk, query, TimeSlot())
            for sort in SORTS if name in SORTED else ():
                for descending in (False, True):
                    got = store.sorted_tickets(desk, query, TimeSlot(), sort, descending, None, 8)
                    after = (got[-1].key, got[-1].ticket_id) if got else None
                    more = store.sorted_tickets(desk, query, TimeSlot(), sort, descending, after, 8)
                    found[f"{desk} sorted {name} {sort} {descending}"] = [
                        [t.key, t.ticket_id] for t in [*got, *more]
                    ] + [_digest([t.body for t in [*got, *more]])]
        found[f"{desk} tickets"] = store.count_tickets(desk)
        last = store.metric_last_day(desk)  # type: ignore[attr-defined]
        snapshot = store.metric_snapshot(desk, 0, last or 0, {})  # type: ignore[attr-defined]
        found[f"{desk} metrics"] = [
            last,
            len(snapshot.versions),
            sorted(snapshot.counts),
            sorted(snapshot.durations),
            sorted(snapshot.names.items()),
        ]
        for n in (0, 1, 3, 44):
            tid = str(FIRST_ID + n)
            body = store.get_ticket(tid, desk)
            found[f"{desk} get {n}"] = None if body is None else _digest([body])
            history = store.ticket_history(desk, tid)
            found[f"{desk} history {n}"] = (
                None
                if history is None
                else [[h.at, h.old_status, h.new_status, h.old_stage, h.new_stage] for h in history]
            )
    return dict(json.loads(json.dumps(found)))  # as read back from the fixture (lists)


def _small_copy(source: Path, target: Path) -> None:
    """The file, vacuumed into 1 KiB pages (the fixture stays small)."""
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute(f"VACUUM INTO '{target}'")
    conn.close()
    copy = sqlite3.connect(target, isolation_level=None)
    copy.execute("PRAGMA journal_mode = DELETE")
    copy.execute("PRAGMA page_size = 1024")
    copy.execute("VACUUM")
    copy.close()


def main(out: Path) -> None:
    from larkdesk.store.sqlite import SQLiteStore

    work = out / "schema24-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    store = SQLiteStore(work / "t.db")
    assert store.schema_version() == 24, store.schema_version()
    fill(store)
    store.close()
    _small_copy(work / "t.db", work / "small.db")
    with (work / "small.db").open("rb") as raw, gzip.open(out / "schema24.db.gz", "wb") as gz:
        shutil.copyfileobj(raw, gz)
    store = SQLiteStore(work / "t.db")
    before = answers(store)
    write(store)
    after = answers(store)
    store.close()
    lines = [
        f"{json.dumps(f'{when} {key}')}: {json.dumps(value, separators=(',', ':'))}"
        for when, found in (("before", before), ("after", after))
        for key, value in sorted(found.items())
    ]
    (out / "schema24-answers.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
