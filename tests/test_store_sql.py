"""The `Sql` interface both backends implement, and keys no stored row can have.

Every resource's SQL runs through `Sql` (store/sql.py); these tests hold the two
implementations to the same results, so a resource module written once behaves alike on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from larkdesk.auth import provision
from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.store.base import (
    CustomizedFieldRecord,
    IssuedToken,
    Store,
    TagRecord,
    TicketQuery,
    TicketWrite,
)
from larkdesk.store.sql import Sql, Table
from larkdesk.store.sqlstore import SqlStore

from .backends import BACKEND_NAMES, open_backend

T0 = 1_700_000_000_000
PAIRS = Table(
    "customized_fields",
    (("helpdesk_id", "text"), ("field_id", "text"), ("position", "bigint"), ("body", "bytea")),
)


@pytest.fixture(params=BACKEND_NAMES)
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    with open_backend(request.param, tmp_path) as store:
        assert isinstance(store, SqlStore)
        yield store


def _batch_writes(db: Sql) -> list[tuple[object, ...]]:
    db.insert_rows(PAIRS, [("h", "1", 1, b"a"), ("h", "2", 2, b"b"), ("h", "3", 3, b"c")])
    db.insert_rows(PAIRS, [("h", "1", 9, b"z")], "ON CONFLICT DO NOTHING")
    db.insert_rows(PAIRS, [], "ON CONFLICT DO NOTHING")  # an empty batch is no statement
    db.delete_where("customized_fields", "field_id", ["3", "absent"])
    return db.all(
        "SELECT field_id, position, body FROM customized_fields WHERE helpdesk_id = ?"
        " ORDER BY field_id",
        ("h",),
    )


def test_batch_insert_conflict_and_delete_agree(sql_store: SqlStore) -> None:
    rows = sql_store._write(_batch_writes)
    assert [(f, p, bytes(b)) for f, p, b in rows] == [("1", 1, b"a"), ("2", 2, b"b")]


def _update_by_seq(db: Sql) -> list[tuple[object, ...]]:
    db.run("INSERT INTO ticket_bodies (seq, body) VALUES (?, ?)", (7, b"old"))
    db.run("INSERT INTO ticket_bodies (seq, body) VALUES (?, ?)", (8, b"keep"))
    db.update_rows(Table("ticket_bodies", (("body", "bytea"),)), "seq", [(7, b"new")])
    return db.all("SELECT seq, body FROM ticket_bodies ORDER BY seq")


def test_update_rows_by_key(sql_store: SqlStore) -> None:
    rows = sql_store._write(_update_by_seq)
    assert [(s, bytes(b)) for s, b in rows] == [(7, b"new"), (8, b"keep")]


def test_ticket_seqs_are_fresh_and_increasing(sql_store: SqlStore) -> None:
    hd = provision.create_helpdesk(sql_store, provision.create_app(sql_store, "a").app_id, "d")
    sql_store.upsert_tickets([to_record(Ticket(ticket_id="1", created_at=T0), hd.helpdesk_id)])
    seqs = sql_store._write(lambda db: db.next_ticket_seqs(3))
    taken = sql_store._read(lambda db: db.one("SELECT max(seq) FROM tickets"))
    assert taken is not None
    assert seqs == sorted(seqs) and len(set(seqs)) == 3 and min(seqs) > taken[0]
    assert sql_store._write(lambda db: db.next_ticket_seqs(0)) == []


def test_a_placeholder_percent_sign_is_a_literal_on_both(sql_store: SqlStore) -> None:
    row = sql_store._read(lambda db: db.one("SELECT '50%' || ?", ("_off",)))
    assert row == ("50%_off",)


def test_keys_with_a_nul_name_nothing_on_every_store(store: Store) -> None:
    """PostgreSQL text cannot hold NUL; both stores answer "not found" rather than fail."""
    app = provision.create_app(store, "a")
    hd = provision.create_helpdesk(store, app.app_id, "d").helpdesk_id
    store.upsert_tickets([to_record(Ticket(ticket_id="1", created_at=T0), hd)])
    assert store.get_app(app.app_id + "\x00") is None
    assert store.get_tenant("t\x00") is None
    assert store.get_helpdesk(hd + "\x00") is None
    assert store.get_user("ou_\x00") is None
    assert store.find_token("\x00") is None
    assert store.get_ticket("1\x00", hd) is None
    assert store.list_comments("1\x00") == []
    assert store.get_sync_state(hd + "\x00") is None
    assert not store.delete_customized_field(hd, "7\x00")
    assert store.list_tickets(hd, TicketQuery(guest_name="a\x00")).total == 0
    assert list(store.scan_tickets(hd, TicketQuery(ticket_id="1\x00"))) == []

    def never(body: bytes, tags: object) -> TicketWrite:
        raise AssertionError("no ticket has this id")

    assert store.update_ticket(hd, "1\x00", [TagRecord("1", "x")], never) is None
    store.save_token(IssuedToken("h", app.app_id, "tenant", T0))
    assert store.find_token("h") is not None


def test_saving_a_field_twice_in_one_call_keeps_the_last(store: Store) -> None:
    store.save_customized_fields(
        [CustomizedFieldRecord("h", "1", 1, b"a"), CustomizedFieldRecord("h", "1", 2, b"b")]
    )
    assert [(f.position, f.body) for f in store.list_customized_fields("h")] == [(2, b"b")]
