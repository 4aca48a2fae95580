"""`larkdesk doctor` on a healthy database of each backend, and on damaged ones: it says
what needs attention and exits non-zero, without changing the database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from larkdesk import demo
from larkdesk.store.base import Store
from larkdesk.store.migrations import load_migrations
from larkdesk.store.sqlite import SQLiteStore

from .backends import db_location
from .conftest import larkdesk


def doctor(db: str | Path) -> tuple[int, dict[str, Any]]:
    done = larkdesk("doctor", "--json", db=db, check=False)
    return done.returncode, json.loads(done.stdout)


def by_check(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["check"], []).append(finding)
    return found


def test_a_healthy_database_needs_nothing(store: Store) -> None:
    creds = demo.seed_demo(store, tickets=30, seed=1)
    code, report = doctor(db_location(store))
    assert code == 0, report
    assert report["attention"] == 0
    found = by_check(report)
    assert found["schema"][0]["level"] == "ok"
    assert found["indexes"][0]["missing"] == []
    assert found["tickets"] == [
        {
            "check": "tickets",
            "level": "info",
            "text": f"helpdesk {creds.helpdesk_id} (Demo helpdesk): 30 tickets",
            "helpdesk_id": creds.helpdesk_id,
            "name": "Demo helpdesk",
            "tickets": 30,
        }
    ]
    assert found["outbox"][0]["failed"] == 0
    assert sum(found["size"][0]["bytes"].values()) > 0
    if isinstance(store, SQLiteStore):
        assert found["integrity"][0]["text"] == "PRAGMA integrity_check: ok"


def test_the_report_for_people(store: Store) -> None:
    demo.seed_demo(store, tickets=5, seed=1)
    done = larkdesk("doctor", db=db_location(store), check=False)
    assert done.returncode == 0
    assert done.stdout.splitlines()[0].startswith("larkdesk doctor: ")
    assert "nothing needs attention" in done.stdout


def _damage(store: Store, statements: list[str]) -> None:
    """Run SQL behind the store's back, as a mishap (or a hand) would."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    import psycopg

    with psycopg.connect(db_location(store), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql.encode())


def test_missing_indexes_drifted_counts_and_failed_events_need_attention(store: Store) -> None:
    creds = demo.seed_demo(store, tickets=12, seed=2)
    _damage(
        store,
        [
            "DROP INDEX tickets_status",
            "UPDATE helpdesk_ticket_counts SET tickets = 99",
            "INSERT INTO event_outbox (event_id, app_id, helpdesk_id, event_type, created_at,"
            " body, state, attempts, due_at, claimed_by, done_at) VALUES ('e1', 'cli_x',"
            " 'h', 'helpdesk.ticket.created_v1', 1, '{}', 'failed', 4, 1, '', 2)",
        ],
    )
    store.close()
    code, report = doctor(db_location(store))
    assert code == 1
    found = by_check(report)
    assert found["indexes"][0]["missing"] == ["tickets_status"]
    assert found["tickets"][0]["level"] == "attention"
    assert (found["tickets"][0]["tickets"], found["tickets"][0]["kept_count"]) == (12, 99)
    assert found["tickets"][0]["helpdesk_id"] == creds.helpdesk_id
    assert found["outbox"][0]["level"] == "attention" and found["outbox"][0]["failed"] == 1
    assert report["attention"] == 3
    people = larkdesk("doctor", db=db_location(store), check=False).stdout
    assert "3 finding(s) need attention" in people and "tickets_status" in people


def test_a_corrupted_sqlite_file_needs_attention(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    store = SQLiteStore(path)
    demo.seed_demo(store, tickets=300, seed=3)
    store.close()
    size = path.stat().st_size
    with path.open("r+b") as raw:  # scribble over pages in the middle of the file
        raw.seek(size // 2)
        raw.write(b"\xa5" * 8192)
    before = path.read_bytes()
    code, report = doctor(path)
    assert code == 1
    found = by_check(report)
    assert any(f["level"] == "attention" for f in found["integrity"])
    assert report["attention"] >= 1
    assert path.read_bytes() == before  # read-only: nothing repaired, nothing migrated


def test_an_old_schema_and_a_foreign_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    latest = max(m.version for m in load_migrations("sqlite"))
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version IN (?, 8)", (latest,))
    code, report = doctor(path)
    assert code == 1
    schema = by_check(report)["schema"][0]
    assert schema["level"] == "attention" and schema["latest"] == latest
    assert schema["missing"] == [8, latest]  # a gap below the newest counts too
    assert "0008" in schema["text"]

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    code, report = doctor(foreign)
    assert code == 1
    assert [f["check"] for f in report["findings"]] == ["schema"]
    assert "not a larkdesk database" in report["findings"][0]["text"]


@pytest.mark.parametrize("db", ["missing.db", "postgresql://127.0.0.1:1/nothing"])
def test_a_database_that_cannot_be_opened(db: str) -> None:
    done = larkdesk("doctor", db=db, check=False)
    assert done.returncode != 0
    assert done.stderr.startswith("Error: ")
    assert not Path("missing.db").exists()  # never created
