"""Ticket bodies are stored compressed on SQLite (zstd with a dictionary trained from the
file's own tickets, store/body_codec.py) and come back byte for byte everywhere: the
ticket, the list, the export scan, after updates, after migration 0022's conversion, and
through an import decoded by worker processes."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from larkdesk.helpdesk.models import Ticket, TicketTag, TicketUser, to_record
from larkdesk.store import body_codec
from larkdesk.store.base import Store, TicketQuery
from larkdesk.store.sql import Sql
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer import decode_pool, importer
from larkdesk.transfer.importer import ImportFailed, import_ndjson

from .conftest import provision

T0 = 1_700_000_000_000
CITIES = ("武汉", "成都", "Berlin", "Lisboa")


def ticket(n: int) -> Ticket:
    return Ticket(
        ticket_id=str(7_300_000_000_000_000_000 + n),
        created_at=T0 + n * 1000,
        updated_at=T0 + n * 1000 + 7,
        status=(1, 2, 50, 51)[n % 4],
        score=n % 4 or None,
        guest=TicketUser(id=f"ou_guest{n % 13}", name=f"客人 {n % 13}", city=CITIES[n % 4]),
        agents=[TicketUser(id=f"ou_agent{n % 5}", name=f"Agent {n % 5}")],
        tags=[TicketTag(id=str(n % 3), name=f"tag{n % 3}")],
    )


def lines(count: int) -> list[bytes]:
    return [msgspec.json.encode(ticket(n)) for n in range(count)]


def stored_bodies(store: Store) -> list[bytes]:
    def read(db: Sql) -> list[bytes]:
        return [bytes(b) for (b,) in db.all("SELECT body FROM ticket_bodies ORDER BY seq")]

    return list(store._read(read))  # type: ignore[attr-defined]


def everything(store: Store, helpdesk_id: str) -> dict[str, Any]:
    scanned: dict[str, bytes] = {}
    after = None
    while page := store.scan_tickets(helpdesk_id, TicketQuery(), after, 100):
        scanned.update((t.ticket_id, t.body) for t in page)
        after = page[-1].key
    listed = store.list_tickets(helpdesk_id, TicketQuery(page_size=200, page=2)).tickets
    return {"scanned": scanned, "listed": list(listed)}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@cache
def _packer() -> body_codec.Pack:
    samples: list[bytes | bytearray | memoryview] = list(lines(400))
    trained = zstandard.train_dictionary(32_768, samples, k=1024, d=8, threads=1)
    return body_codec.packer_for(trained.dict_id(), trained.as_bytes())


@settings(max_examples=300, deadline=None)
@given(document=st.dictionaries(st.text(), _json, max_size=8))
def test_any_stored_document_round_trips(document: dict[str, Any]) -> None:
    pack = _packer()
    for body in (
        json.dumps(document, ensure_ascii=False).encode(),
        json.dumps(document, separators=(",", ":")).encode(),
    ):
        packed = pack(body)
        assert packed[:4] == b"\x28\xb5\x2f\xfd"
        assert body_codec.unpack(packed) == body
        assert body_codec.unpack(body) == body  # stored as it is: read as it is


def test_an_imported_file_is_stored_compressed_and_read_back_exactly(
    store: Store, tmp_path: Path
) -> None:
    identity = provision(store)
    raw = lines(600)
    path = tmp_path / "tickets.ndjson"
    path.write_bytes(b"\n".join(raw) + b"\n")
    assert import_ndjson(store, identity.helpdesk_id, path) == 600
    for n in (0, 1, 299, 599):
        assert store.get_ticket(ticket(n).ticket_id) == raw[n]
    seen = everything(store, identity.helpdesk_id)
    assert seen["scanned"] == {ticket(n).ticket_id: raw[n] for n in range(600)}
    assert seen["listed"] == [raw[n] for n in range(399, 199, -1)]
    kept = stored_bodies(store)
    if isinstance(store, SQLiteStore):
        assert all(b[:4] == b"\x28\xb5\x2f\xfd" for b in kept)
        assert sum(map(len, kept)) * 3 < sum(map(len, raw))
    else:  # PostgreSQL keeps them as they are (docs/storage.md)
        assert sorted(kept) == sorted(raw)
    # A rewrite after the dictionary exists is packed too, and reads back exactly.
    changed = ticket(5)
    changed.status, changed.tags = 51, [TicketTag(id="9", name="later")]
    record = to_record(changed, identity.helpdesk_id)
    store.upsert_tickets([record])
    assert store.get_ticket(changed.ticket_id) == record.body != raw[5]
    later = store.list_tickets(identity.helpdesk_id, TicketQuery(tags=("later",)))
    assert later.tickets == [record.body]


def test_migration_0022_compresses_the_bodies_already_stored(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "old.db")
    store.migrate()
    identity = provision(store)
    records = [to_record(ticket(n), identity.helpdesk_id) for n in range(300)]
    raw = [r.body for r in records]
    store.upsert_tickets(records[:1])  # not empty: no bulk load, so no dictionary
    store.upsert_tickets(records[1:])
    before = everything(store, identity.helpdesk_id)
    assert stored_bodies(store) == raw  # as they were before migration 0022

    assert store._write(body_codec.convert) == 300
    kept = stored_bodies(store)
    assert all(b[:4] == b"\x28\xb5\x2f\xfd" for b in kept)
    assert everything(store, identity.helpdesk_id) == before
    assert store._write(body_codec.convert) == 0  # nothing left to convert

    def cities(db: Sql) -> list[str]:
        rows = db.all("SELECT json_extract(body_json(body), '$.guest.city') FROM ticket_bodies")
        return [row[0] for row in rows]

    assert store._read(cities)[:4] == [CITIES[n % 4] for n in range(4)]
    store.close()


def test_an_import_decoded_by_worker_processes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MIN_BYTES", 0)  # every file goes through the pool
    monkeypatch.setattr(decode_pool, "BLOCK_LINES", 70)
    identity = provision(store)
    raw = lines(500)
    bad = tmp_path / "bad.ndjson"
    broken = [*raw[:236], b'{"ticket_id": 12, "created_at": "soon"', *raw[236:]]
    bad.write_bytes(b"\n".join(broken) + b"\n")
    with pytest.raises(ImportFailed, match=r"bad.ndjson:237: .*nothing was imported"):
        import_ndjson(store, identity.helpdesk_id, bad)
    assert store.count_tickets(identity.helpdesk_id) == 0
    assert stored_bodies(store) == []

    good = tmp_path / "good.ndjson"
    shuffled = raw[:]
    random.Random(7).shuffle(shuffled)
    good.write_bytes(b"\n\n".join(shuffled) + b"\n")  # blank lines are skipped
    assert import_ndjson(store, identity.helpdesk_id, good) == 500
    seen = everything(store, identity.helpdesk_id)
    assert seen["scanned"] == {ticket(n).ticket_id: raw[n] for n in range(500)}
    assert seen["listed"] == [raw[n] for n in range(299, 99, -1)]
    agent = store.list_tickets(identity.helpdesk_id, TicketQuery(agent_id="ou_agent3"))
    assert agent.total == 100
