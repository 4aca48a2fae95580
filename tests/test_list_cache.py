"""The list API's rendered-page cache (per process, valid for one value of the store's
change counter: SQLite's `PRAGMA data_version`, PostgreSQL's snapshot) answers repeated
queries without the store, and never answers an older page than the database holds: a
write through the API, by another worker, another connection or another process shows
in the very next list of every worker. An import into an empty store is one bulk
transaction: all or nothing, and a file repeating a ticket_id keeps its later line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from larkdesk.helpdesk.models import Ticket, TicketUser
from larkdesk.helpdesk.stored import kept_record
from larkdesk.helpdesk.tickets.pages import PageCache
from larkdesk.store import open_store
from larkdesk.store.base import Actor, Store, TicketQuery
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.importer import ImportFailed, import_ndjson

from .backends import db_location
from .conftest import LIST_PATH, auth_headers, make_client, provision

BY = Actor("import", source="tickets.ndjson")

T0 = 1_700_000_000_000
CACHE_TRIES = 20


def _ticket(n: int, name: str = "Ann") -> Ticket:
    return Ticket(
        ticket_id=str(9_000_000 + n),
        created_at=T0 + n,
        status=1,
        guest=TicketUser(id=f"ou_{n}", name=name),
    )


def _file(path: Path, tickets: list[Ticket]) -> Path:
    path.write_bytes(b"".join(msgspec.json.encode(t) + b"\n" for t in tickets))
    return path


def _statuses(answer: dict[str, Any]) -> dict[str, int]:
    return {t["ticket_id"]: t["status"] for t in answer["data"]["tickets"]}


def _counting(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[TicketQuery]:
    calls: list[TicketQuery] = []
    real = store.list_tickets

    def counted(helpdesk_id: str, query: TicketQuery) -> Any:
        calls.append(query)
        return real(helpdesk_id, query)

    monkeypatch.setattr(store, "list_tickets", counted)
    return calls


def test_a_put_shows_in_the_next_list(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = provision(store)
    import_ndjson(
        store, identity.helpdesk_id, _file(tmp_path / "t.ndjson", [_ticket(1), _ticket(2)])
    )
    calls = _counting(store, monkeypatch)
    with make_client(store) as client:
        headers = auth_headers(client, identity)
        first = client.get(LIST_PATH, params={"page_size": 50}, headers=headers)
        again = client.get(LIST_PATH, params={"page_size": 50}, headers=headers)
        assert again.content == first.content
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["x-tt-logid"] != first.headers["x-tt-logid"]
        assert _statuses(first.json()) == {"9000001": 1, "9000002": 1}
        # The repeat is answered from the cache, on both stores (on PostgreSQL a commit
        # anywhere in the test cluster between the two moves the snapshot: then retry).
        assert len(calls) == 1 or _cached(client, headers, {"page_size": 50}, calls)
        put = client.put(f"{LIST_PATH}/9000002", json={"status": 50}, headers=headers)
        assert put.json()["code"] == 0
        after = client.get(LIST_PATH, params={"page_size": 50}, headers=headers).json()
        assert _statuses(after) == {"9000001": 1, "9000002": 50}
        # Another query is its own page; bad input is still refused before any cache.
        other = client.get(LIST_PATH, params={"status_list": "50"}, headers=headers).json()
        assert _statuses(other) == {"9000002": 50}
        for _ in range(2):  # refused each time: a bad query string is never kept
            bad = client.get(LIST_PATH, params={"page_size": 0}, headers=headers)
            assert bad.status_code == 400 and bad.json()["code"] == 154000
            assert "page_size" in bad.json()["msg"]
        unauthorized = client.get(LIST_PATH, params={"page_size": 50})
        assert unauthorized.json()["code"] != 0


def _cached(
    client: TestClient, headers: dict[str, str], params: dict[str, Any], calls: list[Any]
) -> bytes:
    """The page for `params`, once a repeat of it was answered without the store (a commit
    elsewhere in PostgreSQL's cluster between two requests makes the second a miss, so try
    a few times); fails if the cache never answers."""
    for _ in range(CACHE_TRIES):
        first = client.get(LIST_PATH, params=params, headers=headers)
        before = len(calls)
        again = client.get(LIST_PATH, params=params, headers=headers)
        assert again.content == first.content or len(calls) > before
        if len(calls) == before:
            return again.content
    raise AssertionError(f"no repeat of {params} was answered from the cache")


@pytest.fixture
def other_worker(store: Store) -> Iterator[Store]:
    """A second worker's store: its own connections (and pool) on the same database."""
    other = open_store(db_location(store))
    try:
        yield other
    finally:
        other.close()


def test_a_write_on_one_worker_shows_in_the_next_list_of_every_worker(
    store: Store, other_worker: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = provision(store)
    import_ndjson(store, identity.helpdesk_id, _file(tmp_path / "t.ndjson", [_ticket(1)]))
    calls = _counting(store, monkeypatch), _counting(other_worker, monkeypatch)
    with make_client(store) as one, make_client(other_worker) as two:
        workers = ((one, auth_headers(one, identity)), (two, auth_headers(two, identity)))
        params = {"page_size": 50}
        for (client, headers), called in zip(workers, calls, strict=True):
            assert _statuses(msgspec.json.decode(_cached(client, headers, params, called))) == {
                "9000001": 1
            }
        # Worker one writes: the very next list of each worker, cached a moment ago, shows it.
        client, headers = workers[0]
        put = client.put(f"{LIST_PATH}/9000001", json={"status": 50}, headers=headers)
        assert put.json()["code"] == 0
        for client, headers in reversed(workers):
            after = client.get(LIST_PATH, params=params, headers=headers).json()
            assert _statuses(after) == {"9000001": 50}
        # A write by neither worker's store (an import on a third connection) as well.
        for (client, headers), called in zip(workers, calls, strict=True):
            _cached(client, headers, params, called)
        third = open_store(db_location(store))
        try:
            import_ndjson(third, identity.helpdesk_id, _file(tmp_path / "u.ndjson", [_ticket(2)]))
        finally:
            third.close()
        for client, headers in workers:
            after = client.get(LIST_PATH, params=params, headers=headers).json()
            assert after["data"]["total"] == 2
            assert _statuses(after) == {"9000001": 50, "9000002": 1}


def test_a_write_by_another_process_shows_in_the_next_list(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SQLiteStore(path)
    try:
        identity = provision(store)
        import_ndjson(store, identity.helpdesk_id, _file(tmp_path / "a.ndjson", [_ticket(1)]))
        with make_client(store) as client:
            headers = auth_headers(client, identity)
            before = client.get(LIST_PATH, headers=headers).json()
            assert before["data"]["total"] == 1
            assert client.get(LIST_PATH, headers=headers).json() == before  # cached
            changed = _file(tmp_path / "b.ndjson", [_ticket(1, "Bob"), _ticket(2, "Cy")])
            script = (
                "import sys; from larkdesk.store.sqlite import SQLiteStore;"
                " from larkdesk.transfer.importer import import_ndjson;"
                " from pathlib import Path; s = SQLiteStore(sys.argv[1]);"
                " import_ndjson(s, sys.argv[2], Path(sys.argv[3]))"
            )
            subprocess.run(
                [sys.executable, "-c", script, str(path), identity.helpdesk_id, str(changed)],
                check=True,
                timeout=60,
            )
            after = client.get(LIST_PATH, headers=headers).json()
            assert after["data"]["total"] == 2
            names = [t["guest"]["name"] for t in after["data"]["tickets"]]
            assert names == ["Cy", "Bob"]
    finally:
        store.close()


def test_the_cache_serves_a_page_only_under_the_counter_it_was_read_at() -> None:
    counter = [7]
    cache = PageCache(lambda: counter[0], max_bytes=10)
    version = cache.version()
    counter[0] = 8  # a commit while the query ran
    assert cache.version() == 8
    cache.put("a", version, b"old")  # rendered under 7: never kept
    assert cache.get("a") is None
    cache.put("a", 8, b"new")
    assert cache.version() == 8 and cache.get("a") == b"new"
    cache.put("b", 8, b"12345678")  # over 10 bytes in all: the oldest page goes
    assert cache.get("a") is None and cache.get("b") == b"12345678"
    counter[0] = 9
    assert cache.version() == 9 and cache.get("b") is None
    unknown = PageCache(lambda: None)
    assert unknown.version() is None
    unknown.put("a", None, b"x")
    assert unknown.get("a") is None


def test_an_import_into_an_empty_store_is_all_or_nothing(store: Store, tmp_path: Path) -> None:
    identity = provision(store)
    lines = [msgspec.json.encode(_ticket(n)) for n in range(50)]
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"\n".join([*lines, b'{"ticket_id": 5}']) + b"\n")
    with pytest.raises(ImportFailed, match=":51:"):
        import_ndjson(store, identity.helpdesk_id, bad)
    assert store.count_tickets(identity.helpdesk_id) == 0
    # A repeated ticket_id: the later line wins, as in any import.
    repeated = _file(tmp_path / "r.ndjson", [_ticket(1), _ticket(2), _ticket(1, "Later")])
    assert import_ndjson(store, identity.helpdesk_id, repeated) >= 2
    page = store.list_tickets(identity.helpdesk_id, TicketQuery())
    assert page.total == 2
    names = [msgspec.json.decode(t)["guest"]["name"] for t in page.tickets]
    assert names == ["Ann", "Later"]


def test_a_first_fill_is_only_taken_when_nothing_else_has_the_file_open(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "open.db")
    other = sqlite3.connect(tmp_path / "open.db")  # a server's connection, having read
    other.execute("SELECT count(*) FROM tickets").fetchone()
    try:
        identity = provision(store)
        read: list[int] = []

        def records() -> Any:
            for n in range(3):
                read.append(n)
                yield kept_record(msgspec.json.encode(_ticket(n)), identity.helpdesk_id)

        assert store.first_fill(records(), BY) is None and read == []
        other.close()
        assert store.first_fill(records(), BY) == 3 and read == [0, 1, 2]
        assert store.first_fill(records(), BY) is None  # now it holds tickets
        assert store.count_tickets(identity.helpdesk_id) == 3
    finally:
        other.close()
        store.close()
