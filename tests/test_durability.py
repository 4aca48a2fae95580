"""A write acknowledged with code 0 survives a power loss: SQLite's writer syncs every
commit (synchronous = FULL), also after a bulk load relaxed it for its one transaction."""

from __future__ import annotations

from pathlib import Path

from larkdesk.helpdesk.models import to_record
from larkdesk.store.sqlite import SQLiteStore

from .conftest import provision
from .seeded import seed_tickets

FULL = 2


def synchronous(store: SQLiteStore) -> int:
    return int(store._writer.execute("PRAGMA synchronous").fetchone()[0])


def test_the_writer_syncs_every_commit(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "d.db")
    try:
        assert synchronous(store) == FULL
        identity = provision(store)
        store.load_tickets(to_record(t, identity.helpdesk_id) for t in seed_tickets()[:100])
        assert store.count_tickets(identity.helpdesk_id) == 100
        assert synchronous(store) == FULL  # the bulk load's OFF did not stay
    finally:
        store.close()
