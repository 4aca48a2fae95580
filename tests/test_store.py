"""The store contract: what every backend must do (run on each store larkdesk ships)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from larkdesk.auth import provision
from larkdesk.helpdesk.models import Ticket, TicketTag, TicketUser, decode_ticket, to_record
from larkdesk.store.base import (
    CommentRecord,
    ConflictError,
    CustomizedFieldRecord,
    IssuedToken,
    Rewrite,
    Store,
    TagRecord,
    TicketQuery,
    TicketRecord,
    TicketWrite,
    User,
    Window,
)
from larkdesk.store.sqlite import SQLiteStore

from .backends import BACKEND_NAMES, open_backend

T0 = 1_700_000_000_000
BACKENDS: dict[str, Callable[[Path], AbstractContextManager[Store]]] = {
    name: functools.partial(open_backend, name) for name in BACKEND_NAMES
}


@pytest.fixture(params=sorted(BACKENDS))
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with BACKENDS[request.param](tmp_path) as store:
        yield store


def desk(store: Store, tenant_key: str | None = None) -> str:
    app = provision.create_app(store, "t", tenant_key=tenant_key)
    return provision.create_helpdesk(store, app.app_id, "d").helpdesk_id


def ticket(tid: str, at: int, agents: tuple[str, ...] = (), tags: tuple[str, ...] = ()) -> Ticket:
    return Ticket(
        ticket_id=tid,
        created_at=at,
        status=2,
        agents=[TicketUser(id=a) for a in agents] or None,
        tags=[TicketTag(id=t, name=t) for t in tags] or None,
    )


def test_empty_then_not(any_store: Store) -> None:
    assert any_store.is_empty()
    desk(any_store)
    assert not any_store.is_empty()


def test_upsert_replaces_the_ticket_and_its_links(any_store: Store) -> None:
    hd = desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0, ("ou_a",), ("x",)), hd)])
    any_store.upsert_tickets([to_record(ticket("1", T0 + 5, ("ou_b",), ("y",)), hd)])
    assert any_store.count_tickets(hd) == 1
    assert any_store.list_tickets(hd, TicketQuery(agent_id="ou_a")).total == 0
    assert any_store.list_tickets(hd, TicketQuery(agent_id="ou_b")).total == 1
    assert any_store.list_tickets(hd, TicketQuery(tags=("x",))).total == 0
    page = any_store.list_tickets(hd, TicketQuery(tags=("y",)))
    assert page.total == 1 and b'"created_at":%d' % (T0 + 5) in page.tickets[0]


def test_a_ticket_of_another_helpdesk_is_refused_and_the_batch_rolled_back(
    any_store: Store,
) -> None:
    first, second = desk(any_store), desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0), first)])
    with pytest.raises(ConflictError):
        any_store.upsert_tickets(
            [to_record(ticket("2", T0), second), to_record(ticket("1", T0), second)]
        )
    assert any_store.count_tickets(second) == 0
    assert any_store.count_tickets(first) == 1


def test_a_failing_batch_writes_nothing(any_store: Store) -> None:
    hd = desk(any_store)

    def records() -> Iterator[object]:
        yield to_record(ticket("1", T0), hd)
        raise ValueError("bad line")

    with pytest.raises(ValueError):
        any_store.upsert_tickets(records())  # type: ignore[arg-type]
    assert any_store.count_tickets(hd) == 0


def test_paging_past_the_end_keeps_the_total(any_store: Store) -> None:
    hd = desk(any_store)
    any_store.upsert_tickets(to_record(ticket(str(i), T0 + i), hd) for i in range(5))
    page = any_store.list_tickets(hd, TicketQuery(page=3, page_size=2))
    assert page.total == 5 and len(page.tickets) == 1
    assert any_store.list_tickets(hd, TicketQuery(page=4, page_size=2)).tickets == ()


def test_tokens_are_found_by_hash_and_purged_after_expiry(any_store: Store) -> None:
    any_store.save_token(IssuedToken("h1", "cli_x", "tenant", 1000))
    any_store.save_token(IssuedToken("h2", "cli_x", "tenant", 3000))
    assert any_store.find_token("h1") == IssuedToken("h1", "cli_x", "tenant", 1000)
    assert any_store.purge_tokens(2000) == 1
    assert any_store.find_token("h1") is None and any_store.find_token("h2") is not None


def test_sqlite_migrations_are_versioned_and_reopening_keeps_data(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    hd = desk(store)
    store.upsert_tickets([to_record(ticket("1", T0), hd)])
    version = store.schema_version()
    store.close()
    reopened = SQLiteStore(tmp_path / "m.db")
    assert reopened.migrate() == []  # nothing left to apply
    assert reopened.schema_version() == version >= 1
    assert reopened.count_tickets(hd) == 1
    reopened.close()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "w.db")
    mode = store._writer.execute("PRAGMA journal_mode").fetchone()[0]
    store.close()
    assert mode == "wal"


def test_postgres_migrations_are_versioned_and_a_read_only_copy_is_served() -> None:
    """A read-only database (a replica) is served as it is once the primary is migrated."""
    from larkdesk.store import StoreUnavailable, open_store
    from larkdesk.store.postgres import PostgresStore

    from .backends import postgres_schema

    with postgres_schema() as url:
        assert "options=" in url  # the options value ends the URL: extend it
        read_only = url + "%20-c%20default_transaction_read_only%3Don"
        with pytest.raises(StoreUnavailable, match="read-only"):  # nothing migrated yet
            open_store(read_only)
        store = PostgresStore(url)
        hd = desk(store)
        store.upsert_tickets([to_record(ticket("1", T0), hd)])
        version = store.schema_version()
        store.close()
        reopened = PostgresStore(url)
        assert reopened.migrate() == [] and reopened.schema_version() == version >= 1
        reopened.close()
        replica = open_store(read_only)
        assert replica.list_tickets(hd, TicketQuery()).total == 1
        replica.close()


def test_guest_name_matches_like_metacharacters_literally(any_store: Store) -> None:
    hd = desk(any_store)
    names = ["50% off", "5000 off", "a_b", "axb", "back\\slash", "backslash", "Ünïcödé ß"]
    any_store.upsert_tickets(
        to_record(Ticket(ticket_id=str(i), created_at=T0 + i, guest=TicketUser(name=n)), hd)
        for i, n in enumerate(names)
    )

    def matches(needle: str) -> int:
        return any_store.list_tickets(hd, TicketQuery(guest_name=needle)).total

    assert (matches("0%"), matches("%"), matches("a_b"), matches("_")) == (1, 1, 1, 1)
    assert (matches("k\\s"), matches("\\"), matches("ünïcödé ss"), matches("SS")) == (1, 1, 1, 1)
    assert matches("") == len(names)


# -- the ticket lifecycle ---------------------------------------------------------------


def _add_tag(name: str) -> Rewrite:
    """A rewrite that appends a tag to what is stored (a lost update would lose a tag)."""

    def rewrite(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
        current = decode_ticket(body)
        current.tags = [*(current.tags or ()), TicketTag(id=name, name=name)]
        return TicketWrite(to_record(current, current.helpdesk_id or ""))

    return rewrite


def test_get_ticket_answers_only_for_its_helpdesk(any_store: Store) -> None:
    first, second = desk(any_store), desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0), first)])
    body = any_store.get_ticket("1", first)
    assert body is not None and decode_ticket(body).ticket_id == "1"
    assert any_store.get_ticket("1") == body
    assert any_store.get_ticket("1", second) is None
    assert any_store.get_ticket("2", first) is None
    assert any_store.get_ticket("1\x00", first) is None


def test_create_ticket_refuses_a_taken_id(any_store: Store) -> None:
    first, second = desk(any_store), desk(any_store)
    assert any_store.create_ticket(to_record(ticket("1", T0), first))
    assert not any_store.create_ticket(to_record(ticket("1", T0 + 1), second))
    assert any_store.count_tickets(first) == 1 and any_store.count_tickets(second) == 0
    assert any_store.list_tickets(first, TicketQuery()).total == 1


def test_update_ticket_rewrites_columns_links_tags_and_comments(any_store: Store) -> None:
    hd, other = desk(any_store), desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0, ("ou_a",), ("x",)), hd)])
    any_store.save_tags(hd, [TagRecord("100", "old")])
    seen: list[list[TagRecord]] = []

    def rewrite(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
        seen.append(list(tags))
        current = decode_ticket(body)
        current.status, current.updated_at = 51, T0 + 9
        current.tags = [TicketTag(id=t.tag_id, name=t.name) for t in tags]
        comment = CommentRecord(7, T0 + 9, b'{"id":7}')
        return TicketWrite(to_record(current, hd), (comment,))

    proposed = [TagRecord("200", "new"), TagRecord("300", "old")]
    assert any_store.update_ticket(other, "1", proposed, rewrite) is None  # not its ticket
    assert seen == [] and any_store.list_tags(other) == []
    record = any_store.update_ticket(hd, "1", proposed, rewrite)
    assert record is not None and seen == [[TagRecord("200", "new"), TagRecord("100", "old")]]
    assert any_store.list_tags(hd) == [TagRecord("200", "new"), TagRecord("100", "old")]
    window = Window(T0 + 9, T0 + 9)
    assert any_store.list_tickets(hd, TicketQuery(statuses=(51,), updated=window)).total == 1
    assert any_store.list_tickets(hd, TicketQuery(tags=("x",))).total == 0
    assert any_store.list_tickets(hd, TicketQuery(tags=("new",))).total == 1
    assert any_store.get_ticket("1", hd) == record.body
    assert any_store.list_comments("1") == [b'{"id":7}']


def test_a_failing_rewrite_changes_nothing(any_store: Store) -> None:
    hd = desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0), hd)])
    before = any_store.get_ticket("1", hd)

    def refuse(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
        raise ValueError("no")

    with pytest.raises(ValueError):
        any_store.update_ticket(hd, "1", [TagRecord("1", "fresh")], refuse)
    assert any_store.get_ticket("1", hd) == before and any_store.list_tags(hd) == []


def test_concurrent_updates_of_one_ticket_all_take_effect(any_store: Store) -> None:
    hd = desk(any_store)
    any_store.upsert_tickets([to_record(ticket("1", T0), hd)])
    names = [f"t{n}" for n in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        done = list(pool.map(lambda n: any_store.update_ticket(hd, "1", [], _add_tag(n)), names))
    assert all(done)
    body = any_store.get_ticket("1", hd)
    assert body is not None
    assert sorted(t.name or "" for t in decode_ticket(body).tags or ()) == sorted(names)
    assert any_store.list_tickets(hd, TicketQuery(tags=("t0", "t23"))).total == 1


def test_users_and_customized_fields(any_store: Store) -> None:
    hd = desk(any_store)
    any_store.upsert_users([User("ou_1", "tk", "Ann", email="a@x")])
    assert any_store.get_user("ou_1") == User("ou_1", "tk", "Ann", email="a@x")
    assert any_store.get_user("ou_2") is None
    fields = [CustomizedFieldRecord(hd, "f2", 2, b"{}"), CustomizedFieldRecord(hd, "f1", 1, b"[]")]
    any_store.save_customized_fields(fields)
    any_store.save_customized_fields([CustomizedFieldRecord(hd, "f2", 0, b'{"x":1}')])
    assert [(f.field_id, f.position, f.body) for f in any_store.list_customized_fields(hd)] == [
        ("f2", 0, b'{"x":1}'),
        ("f1", 1, b"[]"),
    ]


def test_a_customized_field_is_deleted_only_from_its_helpdesk(any_store: Store) -> None:
    hd = desk(any_store)
    other = desk(any_store)
    any_store.save_customized_fields(
        [CustomizedFieldRecord(hd, "f1", 1, b"{}"), CustomizedFieldRecord(hd, "f2", 2, b"{}")]
    )
    assert any_store.delete_customized_field(other, "f1") is False
    assert any_store.delete_customized_field(hd, "f1") is True
    assert any_store.delete_customized_field(hd, "f1") is False
    assert [f.field_id for f in any_store.list_customized_fields(hd)] == ["f2"]


def test_scan_pages_every_ticket_in_list_order_past_any_cap(any_store: Store) -> None:
    from larkdesk.store.base import ScannedTicket, Window

    hd, other = desk(any_store), desk(any_store)
    # ties on created_at (five share T0 + 3) so the key must include ticket_id
    times = [T0 + i // 5 if i // 5 == 3 else T0 + i for i in range(40)]
    any_store.upsert_tickets(
        to_record(ticket(f"{i:03d}", at, tags=("even",) if i % 2 == 0 else ()), hd)
        for i, at in enumerate(times)
    )
    any_store.upsert_tickets([to_record(ticket("x1", T0 + 1), other)])

    def scan_all(query: TicketQuery, limit: int) -> list[ScannedTicket]:
        found: list[ScannedTicket] = []
        while page := any_store.scan_tickets(hd, query, found[-1].key if found else None, limit):
            found.extend(page)
        return found

    listed = any_store.list_tickets(hd, TicketQuery(page_size=200)).tickets
    scanned = scan_all(TicketQuery(page=7, page_size=3), limit=7)  # page is ignored
    assert [s.body for s in scanned] == list(listed)
    assert len({s.ticket_id for s in scanned}) == 40
    assert [s.key for s in scanned] == sorted((s.key for s in scanned), reverse=True)
    evens = scan_all(TicketQuery(tags=("even",), created=Window(T0, T0 + 30)), limit=4)
    assert {s.ticket_id for s in evens} == {f"{i:03d}" for i in range(0, 31, 2)}
    assert any_store.scan_tickets(hd, TicketQuery(), (T0, "000"), 10) == []


def test_sync_state_is_saved_and_replaced(any_store: Store) -> None:
    from larkdesk.store.base import SyncState

    hd = desk(any_store)
    assert any_store.get_sync_state(hd) is None
    first = SyncState(hd, "https://open.feishu.cn", -1, T0, T0 - 5)
    any_store.save_sync_state(first)
    assert any_store.get_sync_state(hd) == first
    later = SyncState(hd, "https://open.feishu.cn", T0 + 9, T0, T0)
    any_store.save_sync_state(later)
    assert any_store.get_sync_state(hd) == later


def _load_batch(hd: str, count: int = 300) -> list[TicketRecord]:
    agents, tags = ("ou_a", "ou_b", "ou_c"), ("x", "y", "z", "w")
    return [
        to_record(
            Ticket(
                ticket_id=str(10_000 - i),
                created_at=T0 - i // 3 * 1000,  # some tickets share a millisecond
                status=(1, 2, 50)[i % 3],
                guest=TicketUser(id=f"ou_g{i % 7}", name=f"Guest {i % 7}"),
                agents=[TicketUser(id=agents[i % 3]), TicketUser(id=agents[i % 2])],
                tags=[TicketTag(id=tags[i % 4], name=tags[i % 4])] if i % 5 else None,
            ),
            hd,
        )
        for i in range(count)
    ]


def test_load_tickets_stores_what_upsert_stores(any_store: Store) -> None:
    hd = desk(any_store)
    batch = _load_batch(hd)
    assert any_store.load_tickets(iter(batch)) == len(batch)  # an empty store: the bulk path
    assert any_store.count_tickets(hd) == len(batch)
    queries = [
        TicketQuery(page_size=200),
        TicketQuery(page=2, page_size=200),
        TicketQuery(agent_id="ou_b", page_size=50),
        TicketQuery(tags=("y", "w"), statuses=(1, 50)),
        TicketQuery(guest_name="st 3", created=Window(T0 - 40_000, T0 - 10_000)),
        TicketQuery(guest_id="ou_g5", page=2, page_size=5),
    ]
    expected = {}
    for query in queries:
        keep = [r for r in batch if _matches(r, query)]
        keep.sort(key=lambda r: (r.created_at, r.ticket_id), reverse=True)
        expected[query] = (len(keep), [r.body for r in keep][query.offset :][: query.page_size])
    for query in queries:
        page = any_store.list_tickets(hd, query)
        assert (page.total, list(page.tickets)) == expected[query], query
    # A store that holds tickets: the same as upsert (replace by ticket_id, keep the count).
    changed = batch[0]._replace(status=3, body=batch[0].body.replace(b'"status":1', b'"status":3'))
    assert any_store.load_tickets([changed]) == 1
    assert any_store.count_tickets(hd) == len(batch)
    assert list(any_store.list_tickets(hd, TicketQuery(statuses=(3,))).tickets) == [changed.body]


def _matches(r: TicketRecord, q: TicketQuery) -> bool:
    return (
        (q.agent_id is None or q.agent_id in r.agent_ids)
        and (not q.tags or bool(set(q.tags) & set(r.tag_names)))
        and (not q.statuses or r.status in q.statuses)
        and (q.guest_name is None or q.guest_name in (r.guest_name or ""))
        and (q.guest_id is None or q.guest_id == r.guest_id)
        and (q.created is None or q.created.start <= r.created_at <= q.created.end)
    )


def test_load_tickets_refuses_a_repeated_id_and_writes_nothing(any_store: Store) -> None:
    hd = desk(any_store)
    batch = _load_batch(hd, 50)
    with pytest.raises(ConflictError):
        any_store.load_tickets([*batch, batch[10]])
    assert any_store.count_tickets(hd) == 0
    assert any_store.list_tickets(hd, TicketQuery()).total == 0
    assert any_store.load_tickets(batch) == 50  # and the store is usable afterwards
    with_a = sum("ou_a" in r.agent_ids for r in batch)
    assert any_store.list_tickets(hd, TicketQuery(agent_id="ou_a")).total == with_a > 0


def test_agent_and_tag_filters_follow_every_change_of_a_ticket(any_store: Store) -> None:
    hd, other = desk(any_store), desk(any_store)

    def put(tid: str, at: int, agents: tuple[str, ...], tags: tuple[str, ...], upd: int) -> None:
        record = to_record(ticket(tid, at, agents, tags), hd)._replace(updated_at=upd)
        any_store.upsert_tickets([record])

    def ids(query: TicketQuery) -> tuple[int, list[str]]:
        page = any_store.list_tickets(hd, query)
        return page.total, [decode_ticket(b).ticket_id for b in page.tickets]

    put("1", T0, ("ou_a",), ("x",), T0 + 10)
    put("2", T0 + 1, ("ou_a", "ou_b"), ("x", "y"), T0 + 20)
    any_store.upsert_tickets([to_record(ticket("3", T0 + 2, ("ou_a",), ("x",)), other)])
    assert ids(TicketQuery(agent_id="ou_a")) == (2, ["2", "1"])
    assert ids(TicketQuery(tags=("x", "y"))) == (2, ["2", "1"])
    put("1", T0 + 5, ("ou_a",), ("x",), T0 + 30)  # newer now, and updated later
    assert ids(TicketQuery(agent_id="ou_a")) == (2, ["1", "2"])
    assert ids(TicketQuery(tags=("x", "y"), updated=Window(T0 + 25, T0 + 35))) == (1, ["1"])
    assert ids(TicketQuery(tags=("x",), updated=Window(T0 + 25, T0 + 35))) == (1, ["1"])
    assert ids(TicketQuery(tags=("x",), created=Window(T0 + 3, T0 + 9))) == (1, ["1"])
    assert ids(TicketQuery(agent_id="ou_a", created=Window(T0, T0 + 2))) == (1, ["2"])
    put("2", T0 + 1, ("ou_b",), ("y",), T0 + 20)  # ou_a and x taken away
    assert ids(TicketQuery(agent_id="ou_a")) == (1, ["1"])
    assert ids(TicketQuery(tags=("x",))) == (1, ["1"])
    assert ids(TicketQuery(tags=("x", "y"), page=2, page_size=1)) == (2, ["2"])
    assert ids(TicketQuery(tags=("y",), updated=Window(T0 + 15, T0 + 25))) == (1, ["2"])
    assert ids(TicketQuery(agent_id="ou_b", page=2, page_size=1)) == (1, [])


def test_a_sqlite_bulk_load_leaves_the_file_in_wal_mode_with_its_indexes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "bulk.db")
    hd = desk(store)
    store.list_tickets(hd, TicketQuery())  # a reader connection is open: it gets reopened
    schema = "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY 2"
    before = store._writer.execute(schema).fetchall()
    assert store.load_tickets(_load_batch(hd, 40)) == 40
    assert store._writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._writer.execute(schema).fetchall() == before
    assert store.list_tickets(hd, TicketQuery(agent_id="ou_c")).total == sum(
        "ou_c" in r.agent_ids for r in _load_batch(hd, 40)
    )
    store.close()
