"""An import is published in short transactions with an undo journal: the API's writes
interleave with it, and a failure, an interruption or a crash leaves the store exactly
as it was before the import (docs/api.md, "Data and the command line")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from larkdesk.helpdesk.models import Ticket, TicketTag, TicketUser, to_record
from larkdesk.store.base import Store, TicketQuery
from larkdesk.store.import_journal import PUBLISHING, ImportMarker
from larkdesk.store.sqlstore import SqlStore
from larkdesk.transfer import publish as publishing
from larkdesk.transfer.importer import ImportFailed, import_ndjson

from .conftest import provision

T0 = 1_700_000_000_000


def ticket(n: int, version: int) -> Ticket:
    return Ticket(
        ticket_id=str(8_000_000 + n),
        created_at=T0 + n,
        updated_at=T0 + n + version if version else None,
        status=(1, 2, 50)[(n + version) % 3],
        guest=TicketUser(id=f"ou_{n % 7}", name=f"Guest {n % 7} v{version}"),
        agents=[TicketUser(id=f"ou_agent{(n + version) % 5}")],
        tags=[TicketTag(id=str(version), name=f"tag{version}")],
    )


def write_file(path: Path, tickets: list[Ticket]) -> Path:
    path.write_bytes(b"".join(msgspec.json.encode(t) + b"\n" for t in tickets))
    return path


def snapshot(store: Store, helpdesk_id: str) -> dict[str, Any]:
    """What the list API can see of the helpdesk: every body, the count, filtered lists."""
    bodies = {}
    after = None
    while page := store.scan_tickets(helpdesk_id, TicketQuery(), after, 1000):
        bodies.update((t.ticket_id, t.body) for t in page)
        after = page[-1].key
    queries = [
        TicketQuery(agent_id="ou_agent1", page_size=200),
        TicketQuery(tags=("tag0",), page_size=200),
        TicketQuery(tags=("tag1",), page_size=200),
        TicketQuery(statuses=(50,), page_size=200),
        TicketQuery(guest_name="v1", page_size=200),
    ]
    lists = [store.list_tickets(helpdesk_id, q) for q in queries]
    return {
        "bodies": bodies,
        "count": store.count_tickets(helpdesk_id),
        "lists": [(page.total, list(page.tickets)) for page in lists],
    }


@pytest.fixture
def before(store: Store, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A helpdesk with 1,500 tickets; the import below replaces 1,000 and adds 2,500."""
    identity = provision(store)
    import_ndjson(store, identity.helpdesk_id, write_file(tmp_path / "v0.ndjson", _v0()))
    return identity.helpdesk_id, snapshot(store, identity.helpdesk_id)


def _v0() -> list[Ticket]:
    return [ticket(n, 0) for n in range(1500)]


def _v1() -> list[Ticket]:
    return [ticket(n, 1) for n in range(500, 4000)]


def test_an_import_publishes_in_chunks_and_leaves_no_journal(
    store: Store, tmp_path: Path, before: tuple[str, dict[str, Any]]
) -> None:
    helpdesk_id, _ = before
    assert import_ndjson(store, helpdesk_id, write_file(tmp_path / "v1.ndjson", _v1())) == 3500
    after = snapshot(store, helpdesk_id)
    assert after["count"] == 4000 and len(after["bodies"]) == 4000
    expected = {t.ticket_id: msgspec.json.encode(t) for t in _v1()}  # kept as written
    assert all(after["bodies"][k] == v for k, v in expected.items())
    assert isinstance(store, SqlStore) and store.import_marker() is None


def test_a_bad_last_line_changes_nothing(
    store: Store, tmp_path: Path, before: tuple[str, dict[str, Any]]
) -> None:
    helpdesk_id, was = before
    source = write_file(tmp_path / "v1.ndjson", _v1())
    source.write_bytes(source.read_bytes() + b'{"ticket_id": "x", "created_at": "soon"}\n')
    with pytest.raises(ImportFailed, match=r"v1.ndjson:3501: .*nothing was imported"):
        import_ndjson(store, helpdesk_id, source)
    assert snapshot(store, helpdesk_id) == was


def test_a_failure_mid_publish_is_undone(
    store: Store,
    tmp_path: Path,
    before: tuple[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    helpdesk_id, was = before
    assert isinstance(store, SqlStore)
    real, calls = store.publish_import_chunk, []

    def failing(run_id: str, chunk: list[Any], now_ms: int) -> None:
        calls.append(len(chunk))
        if len(calls) == 3:  # two chunks (replacing and adding tickets) are published
            raise OSError("disk full")
        real(run_id, chunk, now_ms)

    monkeypatch.setattr(store, "publish_import_chunk", failing)
    with pytest.raises(OSError, match="disk full"):
        import_ndjson(store, helpdesk_id, write_file(tmp_path / "v1.ndjson", _v1()))
    assert len(calls) == 3 and snapshot(store, helpdesk_id) == was
    assert store.import_marker() is None


def test_a_crash_mid_publish_is_undone_at_the_next_import(
    store: Store, tmp_path: Path, before: tuple[str, dict[str, Any]]
) -> None:
    helpdesk_id, was = before
    assert isinstance(store, SqlStore)
    records = [to_record(t, helpdesk_id) for t in _v1()]  # any records: the journal is what counts
    crashed_at = 1_000  # the dead import's last heartbeat, long ago
    store.begin_import(ImportMarker("dead", helpdesk_id, "f", PUBLISHING, crashed_at, crashed_at))
    store.publish_import_chunk("dead", records[:1000], crashed_at)
    store.publish_import_chunk("dead", records[1000:2000], crashed_at)
    assert snapshot(store, helpdesk_id) != was  # what a reader sees while it runs
    told = publishing.recover(store)
    assert told is not None and "has been undone" in told
    assert snapshot(store, helpdesk_id) == was and store.import_marker() is None
    # and through the next import, which then goes ahead
    store.begin_import(ImportMarker("dead", helpdesk_id, "f", PUBLISHING, crashed_at, crashed_at))
    store.publish_import_chunk("dead", records[:1000], crashed_at)
    assert import_ndjson(store, helpdesk_id, write_file(tmp_path / "v0.ndjson", _v0())) == 1500
    assert snapshot(store, helpdesk_id) == was


def test_a_live_import_makes_a_second_one_fail_clearly(
    store: Store, tmp_path: Path, before: tuple[str, dict[str, Any]]
) -> None:
    helpdesk_id, was = before
    assert isinstance(store, SqlStore)
    now = publishing.now_ms()
    store.begin_import(ImportMarker("live", helpdesk_id, "big.ndjson", PUBLISHING, now, now))
    with pytest.raises(ImportFailed, match=r"an import of big.ndjson .* is running"):
        import_ndjson(store, helpdesk_id, write_file(tmp_path / "v1.ndjson", _v1()))
    assert publishing.recover_at_start(store) is None  # serving leaves a live import alone
    assert snapshot(store, helpdesk_id) == was
