"""`larkdesk migrate`: a SQLite database copied into PostgreSQL serves the same answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from larkdesk import demo
from larkdesk.auth import provision
from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.helpdesk.tickets.bodies import UpdateTicketBody
from larkdesk.helpdesk.tickets.lifecycle import TicketLifecycle
from larkdesk.store import PostgresLocation, SqliteLocation
from larkdesk.store.base import IssuedToken, TicketQuery, Window
from larkdesk.store.postgres import PostgresStore
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.migrate import copy_database

from .backends import postgres_schema
from .conftest import larkdesk

QUERIES = [
    TicketQuery(page_size=50),
    TicketQuery(page=7, page_size=100),
    TicketQuery(statuses=(50, 51), ticket_type=2, page_size=200),
    TicketQuery(guest_name="王", page_size=30),
    TicketQuery(tags=("VPN", "Billing"), page_size=30),
    TicketQuery(created=Window(0, demo.DEMO_END_MS - 200 * 86_400_000), page_size=10),
]


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[Path, demo.DemoCredentials]]:
    path = tmp_path / "source.db"
    store = SQLiteStore(path)
    creds = demo.seed_demo(store, tickets=1500, seed=2)
    provision.create_app(store, "second app", tenant_key=creds.tenant_key)
    store.save_token(IssuedToken("hash-of-a-token", creds.app_id, "tenant", 2**40))
    lifecycle = TicketLifecycle(store)
    ticket_id = json.loads(store.list_tickets(creds.helpdesk_id, TicketQuery()).tickets[0])
    for text in ("one", "two"):
        change = UpdateTicketBody(comment=text, tag_names=["migrated"])
        lifecycle.update_ticket(creds.helpdesk_id, ticket_id["ticket_id"], change)
    store.close()
    yield path, creds


@pytest.fixture
def target() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def migrate(source: Path, target: str, *extra: str, check: bool = True) -> dict[str, object]:
    result = larkdesk(
        "migrate", "--from", f"sqlite:{source}", "--to", target, *extra, db=source, check=check
    )
    return json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr}


def test_the_copy_holds_every_row_and_serves_the_same_pages(
    source: tuple[Path, demo.DemoCredentials], target: str
) -> None:
    path, creds = source
    report = migrate(path, target)
    assert report["verified"] is True and report["tickets_copied"] == 1500
    counts = report["counts"]
    assert isinstance(counts, dict) and counts["tickets"] == [1500, 1500]
    assert counts["apps"] == [2, 2] and counts["access_tokens"] == [1, 1]
    old, new = SQLiteStore(path), PostgresStore(target)
    try:
        hd = creds.helpdesk_id
        for query in QUERIES:
            assert new.list_tickets(hd, query) == old.list_tickets(hd, query), query
        assert new.count_tickets(hd) == 1500
        # the metrics rollups (SQLite holds the helpdesk's key in them: 0025) read the same
        last = old.metric_last_day(hd)
        assert last is not None and new.metric_last_day(hd) == last
        snapshot = old.metric_snapshot(hd, last - 400, last, {})
        assert snapshot.counts and snapshot.durations
        copied = new.metric_snapshot(hd, last - 400, last, {})  # rows in each one's collation
        assert sorted(copied.counts) == sorted(snapshot.counts)
        assert sorted(copied.durations) == sorted(snapshot.durations)
        assert copied.names == snapshot.names
        assert new.get_app(creds.app_id) == old.get_app(creds.app_id)
        assert new.find_token("hash-of-a-token") == old.find_token("hash-of-a-token")
        # the lifecycle tables come along: tags, custom fields, comment history
        assert new.list_tags(hd) == old.list_tags(hd) and len(new.list_tags(hd)) == 51
        assert new.list_customized_fields(hd) == old.list_customized_fields(hd) != []
        updated = old.list_tickets(hd, TicketQuery(tags=("migrated",))).tickets[0]
        tid = json.loads(updated)["ticket_id"]
        assert len(old.list_comments(tid)) >= 2
        assert new.list_comments(tid) == old.list_comments(tid)
        assert new.get_ticket(tid, hd) == updated
        # the identity moved past the copied seqs: a new ticket is just another row
        new.upsert_tickets([to_record(Ticket(ticket_id="new-1", created_at=1), hd)])
        assert new.count_tickets(hd) == 1501
    finally:
        old.close()
        new.close()


def test_an_interrupted_copy_resumes_where_it_stopped(
    source: tuple[Path, demo.DemoCredentials], target: str
) -> None:
    path, _ = source

    def stop_after_two_chunks(done: int, total: int) -> None:
        if done >= 400:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_database(
            SqliteLocation(str(path)),
            PostgresLocation(target),
            progress=stop_after_two_chunks,
            chunk_tickets=200,
        )
    partial = PostgresStore(target)
    assert (
        partial.list_tickets(demo.demo_credentials(2).helpdesk_id, TicketQuery()).total == 400
    )  # whole chunks only
    partial.close()
    report = migrate(path, target, "--chunk", "300")
    assert report["verified"] is True
    assert report["tickets_copied"] == 1100 and report["resumed_after_seq"] == 400
    again = migrate(path, target)
    assert again["verified"] is True and again["tickets_copied"] == 0


def test_a_target_holding_other_data_is_refused(
    source: tuple[Path, demo.DemoCredentials], target: str
) -> None:
    path, _ = source
    other = PostgresStore(target)
    provision.create_app(other, "someone else's")
    other.close()
    report = migrate(path, target, check=False)
    assert "already holds tenants" in str(report["error"])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    missing = larkdesk(
        "migrate",
        "--from",
        str(tmp_path / "nope.db"),
        "--to",
        "postgresql://x/y",
        db=tmp_path / "nope.db",
        check=False,
    )
    assert missing.returncode != 0 and "existing SQLite file" in missing.stderr
    (tmp_path / "a.db").touch()
    not_pg = larkdesk(
        "migrate",
        "--from",
        str(tmp_path / "a.db"),
        "--to",
        str(tmp_path / "b.db"),
        db=tmp_path / "a.db",
        check=False,
    )
    assert not_pg.returncode != 0 and "postgresql://" in not_pg.stderr
