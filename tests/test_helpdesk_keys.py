"""SQLite's per-ticket tables hold a small integer key per helpdesk (migration 0025,
store/helpdesk_keys.py) where they held its 19-character id: the key really is an integer
in the tables and their indexes, every read maps the id to it (an unknown helpdesk still
has no tickets), a write that rolls back leaves no key behind in the process, and a file
of schema 24 answers, once migrated, exactly what it answered before."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from larkdesk.helpdesk.models import to_record
from larkdesk.store.base import ConflictError, TicketQuery
from larkdesk.store.sqlite import SQLiteStore

from . import schema24
from .conftest import larkdesk
from .schema24 import DESKS, answers, ticket

DATA = Path(__file__).parent / "data"
KEYED = (
    "tickets",
    "agent_tickets",
    "tag_tickets",
    "guest_names",
    "metric_counts",
    "metric_durations",
)


def _records(desk: str, numbers: range) -> list:  # type: ignore[type-arg]
    return [to_record(ticket(n), desk) for n in numbers]


def test_the_per_ticket_tables_and_their_indexes_hold_an_integer_key(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "k.db")
    store.upsert_tickets(_records(DESKS[0], range(0, 400, 2)))
    store.upsert_tickets(_records(DESKS[1], range(1, 400, 2)))
    store.close()
    conn = sqlite3.connect(tmp_path / "k.db")
    keys = dict(conn.execute("SELECT helpdesk_id, key FROM helpdesk_keys"))
    assert keys == {DESKS[0]: 1, DESKS[1]: 2}
    for table in KEYED:
        found = conn.execute(f"SELECT DISTINCT typeof(helpdesk_id), helpdesk_id FROM {table}")
        assert sorted(found) == [("integer", 1), ("integer", 2)], table
    # read from the index alone (a covering scan): the index holds the integer too
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT DISTINCT typeof(helpdesk_id) FROM tickets INDEXED BY"
        " tickets_status WHERE helpdesk_id = 2 AND status = 1"
    ).fetchall()
    assert "COVERING INDEX tickets_status" in str(plan)
    assert conn.execute(
        "SELECT DISTINCT typeof(helpdesk_id) FROM tickets INDEXED BY tickets_status"
        " WHERE helpdesk_id = 2 AND status = 1"
    ).fetchall() == [("integer",)]
    # an entry of (helpdesk, status, created_at, ticket_id, rowid): the id's 19 bytes
    # and their header byte are gone (with the text id, ~53 bytes an entry)
    (size,) = conn.execute(
        "SELECT sum(payload) FROM dbstat WHERE name = 'tickets_status'"
    ).fetchone()
    assert size / 400 < 36
    conn.close()


def test_helpdesks_are_told_apart_and_an_unknown_one_has_no_tickets(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "k.db")
    unknown = "7300000000000000009"
    # read before the helpdesk has a key: nothing, and no key is kept for it
    assert store.list_tickets(DESKS[1], TicketQuery()).total == 0
    assert (
        store.sorted_tickets(DESKS[1], TicketQuery(), schema24.TimeSlot(), "status", True, None, 5)
        == []
    )
    store.upsert_tickets(_records(DESKS[0], range(0, 40, 2)))
    store.upsert_tickets(_records(DESKS[1], range(1, 40, 2)))
    for desk, first in ((DESKS[0], 0), (DESKS[1], 1)):
        page = store.list_tickets(desk, TicketQuery(page_size=100))
        ids = {json.loads(body)["ticket_id"] for body in page.tickets}
        assert page.total == 20 and ids == {str(schema24.FIRST_ID + n) for n in range(first, 40, 2)}
        scanned = store.scan_tickets(desk, TicketQuery(), None, 100)
        assert {t.ticket_id for t in scanned} == ids
    for query in (TicketQuery(), TicketQuery(statuses=(1,)), TicketQuery(agent_id="ou_agent_1")):
        assert store.list_tickets(unknown, query).total == 0
        assert store.count_matching(unknown, query, schema24.TimeSlot()) == 0
        assert list(store.scan_tickets(unknown, query, None, 10)) == []
    theirs = str(schema24.FIRST_ID + 1)  # a ticket of DESKS[1]
    assert store.get_ticket(theirs, DESKS[0]) is None and store.get_ticket(theirs, unknown) is None
    assert store.get_ticket(theirs, DESKS[1]) is not None and store.get_ticket(theirs) is not None
    assert store.ticket_history(DESKS[0], theirs) is None
    assert store.ticket_history(DESKS[1], theirs)
    with pytest.raises(ConflictError):  # a ticket does not move to another helpdesk
        store.upsert_tickets([to_record(ticket(1), DESKS[0])])
    store.close()


def test_a_key_assigned_by_a_write_that_rolls_back_is_not_kept(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "k.db")
    store.upsert_tickets(_records(DESKS[0], range(0, 10, 2)))
    new_desk = "7300000000000000005"
    # the batch gives new_desk a key, then fails on a ticket of DESKS[0]: all rolled back
    with pytest.raises(ConflictError):
        store.upsert_tickets([to_record(ticket(101), new_desk), to_record(ticket(0), new_desk)])
    assert store.list_tickets(new_desk, TicketQuery()).total == 0
    # another helpdesk takes the key new_desk had for a moment; each sees its own tickets
    store.upsert_tickets(_records(DESKS[1], range(1, 10, 2)))
    store.upsert_tickets([to_record(ticket(103), new_desk)])
    assert store.list_tickets(DESKS[1], TicketQuery()).total == 5
    page = store.list_tickets(new_desk, TicketQuery())
    assert [json.loads(b)["ticket_id"] for b in page.tickets] == [str(schema24.FIRST_ID + 103)]
    assert store.list_tickets(DESKS[0], TicketQuery()).total == 5
    store.close()


@pytest.fixture
def schema24_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    with gzip.open(DATA / "schema24.db.gz", "rb") as gz, path.open("wb") as out:
        shutil.copyfileobj(gz, out)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (24,)
    assert conn.execute("SELECT DISTINCT typeof(helpdesk_id) FROM tickets").fetchall() == [
        ("text",)
    ]
    conn.close()
    return path


def test_a_file_of_schema_24_answers_as_before_once_migrated(schema24_file: Path) -> None:
    expected = json.loads((DATA / "schema24-answers.json").read_text())
    store = SQLiteStore(schema24_file)
    assert store.schema_version() >= 25
    before = {f"before {key}": value for key, value in answers(store).items()}
    assert before == {k: v for k, v in expected.items() if k.startswith("before ")}
    schema24.write(store)  # the triggers and the writes go on with the keys
    after = {f"after {key}": value for key, value in answers(store).items()}
    assert after == {k: v for k, v in expected.items() if k.startswith("after ")}
    store.close()
    conn = sqlite3.connect(schema24_file)
    for table in KEYED:
        assert conn.execute(f"SELECT DISTINCT typeof(helpdesk_id) FROM {table}").fetchall() == [
            ("integer",)
        ], table
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_doctor_finds_a_migrated_file_healthy(schema24_file: Path) -> None:
    SQLiteStore(schema24_file).close()
    done = larkdesk("doctor", "--json", db=schema24_file, check=False)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["attention"] == 0, report
    counts = {f["helpdesk_id"]: f["tickets"] for f in report["findings"] if f["check"] == "tickets"}
    assert counts == {desk: schema24.PER_DESK for desk in DESKS}
