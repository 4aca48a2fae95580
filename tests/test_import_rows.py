"""An import's rows do not depend on where they were built: worker processes
(`decode_pool`, one decode per line, rows as plain tuples, links and history derived in
SQL) write the same rows as one process, and the same link rows as the triggers of a
ticket-by-ticket write."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from larkdesk.helpdesk.stored import UnstorableTicket, kept_record, kept_record_facts
from larkdesk.store import body_codec
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.store.ticket_facts import decode_facts, plain
from larkdesk.transfer import decode_pool, importer
from larkdesk.transfer.importer import import_ndjson

from .conftest import provision

T0 = 1_700_000_000_000
_TABLES = {  # each table's rows, in an order that does not depend on how they were written
    "tickets": "SELECT * FROM tickets ORDER BY seq",
    "ticket_bodies": "SELECT seq, body FROM ticket_bodies ORDER BY seq",
    "ticket_agents": "SELECT * FROM ticket_agents ORDER BY seq, agent_id",
    "ticket_tags": "SELECT * FROM ticket_tags ORDER BY seq, tag_name",
    "agent_tickets": "SELECT * FROM agent_tickets ORDER BY 1, 2, 3, 4",
    "tag_tickets": "SELECT * FROM tag_tickets ORDER BY 1, 2, 3, 4",
    "history": "SELECT * FROM ticket_status_history ORDER BY id",
    "metric_counts": "SELECT * FROM metric_counts ORDER BY 1, 2, 3, 4",
    "metric_durations": "SELECT * FROM metric_durations ORDER BY 1, 2, 3, 4, 5",
    "metric_agents": "SELECT * FROM metric_agents ORDER BY 1, 2",
    "metric_day_versions": "SELECT helpdesk_id, day FROM metric_day_versions ORDER BY 1, 2",
    "guest_names": "SELECT * FROM guest_names ORDER BY 1, 2",
    "counts": "SELECT * FROM helpdesk_ticket_counts ORDER BY 1",
}


def _person(n: int) -> dict[str, Any]:
    return {"id": f"ou_{n % 7}", "name": f"Agent {n % 7}", "city": ("武汉", "Berlin", "")[n % 3]}


def _ticket(n: int) -> dict[str, Any]:
    """Tickets in Feishu's documented shapes and in its odd ones (0 / -1 times, a list of
    dissatisfaction reasons, repeated tags, no owner, values of the wrong type)."""
    created = T0 - n * 37_000  # newest first, as an export lists them
    t: dict[str, Any] = {
        "ticket_id": str(7_400_000_000_000_000_000 - n),
        "created_at": created,
        "updated_at": created + 500 if n % 5 else 0,
        "status": (1, 2, 50, 51, 52)[n % 5],
        "ticket_type": n % 3,
        "channel": n % 4 if n % 6 else None,
        "solve": n % 3,
        "score": n % 4,
        "guest": {"id": f"ou_guest{n % 11}", "name": f"Gäst {n % 11}", "city": "Lisboa"},
        "agents": [_person(n), _person(n + 1)][: n % 3],
        "tags": [{"id": "1", "name": f"tag{n % 4}"}, {"id": "2", "name": f"tag{n % 4}"}][: n % 3],
        "agent_entry_time": created + 1000 if n % 4 else -1,
        "agent_first_response_time": created + 5000 + n if n % 3 else 0,
        "closed_at": created + 90_000 + n,
        "dissatisfaction_reason": [{"en_us": "slow"}] if n % 9 == 1 else None,
    }
    if n % 2:
        t["agent_owner"] = _person(n + 3)
    if n % 13 == 5:
        t["score"] = "3"  # the wrong type: its column NULL, the lenient reading
    if n % 17 == 3:
        t["guest"] = {"id": "ou_nul\x00", "name": None}
    if n % 19 == 7:
        t["closed_at"] = True
    return t


def _lines(count: int) -> list[bytes]:
    return [json.dumps(_ticket(n), ensure_ascii=n % 2 == 0).encode() for n in range(count)]


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    store = SQLiteStore(path)
    try:
        conn = store._writer
        found = {name: conn.execute(sql).fetchall() for name, sql in _TABLES.items()}
        found["ticket_bodies"] = [
            (seq, body_codec.unpack(body, conn)) for seq, body in found["ticket_bodies"]
        ]
        return found
    finally:
        store.close()


@pytest.fixture
def empty(tmp_path: Path) -> tuple[Path, str]:
    """An empty SQLite file with a helpdesk, to copy for each way of importing."""
    path = tmp_path / "empty.db"
    store = SQLiteStore(path)
    store.migrate()
    helpdesk_id = provision(store).helpdesk_id
    store.close()
    return path, helpdesk_id


def _import(empty: tuple[Path, str], to: Path, source: Path) -> None:
    shutil.copy(empty[0], to)
    store = SQLiteStore(to)
    try:
        import_ndjson(store, empty[1], source)
    finally:
        store.close()


def test_a_pooled_import_writes_the_rows_of_one_process_and_of_the_triggers(
    empty: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _lines(700)
    source = tmp_path / "tickets.ndjson"
    source.write_bytes(b"\n \n".join(raw[:300]) + b"\n\n" + b"\n".join(raw[300:]) + b"\n")

    monkeypatch.setattr(importer, "MIN_BYTES", 1 << 40)  # decoded in this process
    _import(empty, tmp_path / "one.db", source)
    monkeypatch.setattr(importer, "MIN_BYTES", 0)  # every file through the pool
    monkeypatch.setattr(decode_pool, "BLOCK_LINES", 64)
    _import(empty, tmp_path / "pooled.db", source)

    one, pooled = _rows(tmp_path / "one.db"), _rows(tmp_path / "pooled.db")
    assert pooled == one
    assert len(pooled["tickets"]) == 700
    assert [body for _, body in pooled["ticket_bodies"]] == raw
    assert len(pooled["agent_tickets"]) == len(pooled["ticket_agents"]) > 0
    assert len(pooled["tag_tickets"]) == len(pooled["ticket_tags"]) > 0
    helpdesk_id = empty[1]
    by_seq = {row[0]: row for row in pooled["tickets"]}
    assert [h[1:] for h in pooled["history"]] == [  # history.moved's first entry
        (seq, t[4] if t[4] > 0 else t[3], None, t[9], None, t[5], "import", "", "", str(source))
        for seq, t in sorted(by_seq.items())
    ]

    # The triggers' rows when the same tickets are written one upsert at a time.
    shutil.copy(empty[0], tmp_path / "upserts.db")
    store = SQLiteStore(tmp_path / "upserts.db")
    for line in raw:
        store.upsert_tickets([kept_record(line, helpdesk_id)])
    store.close()
    upserted = _rows(tmp_path / "upserts.db")
    for name in ("tickets", "ticket_agents", "ticket_tags", "agent_tickets", "tag_tickets"):
        assert upserted[name] == pooled[name], name
    for name in ("metric_counts", "metric_durations", "metric_agents", "guest_names"):
        assert upserted[name] == pooled[name], name


def test_a_pooled_import_says_how_far_it_is_through_the_lines_and_then_the_indexes(
    empty: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MIN_BYTES", 0)
    monkeypatch.setattr(decode_pool, "BLOCK_LINES", 50)
    source = tmp_path / "tickets.ndjson"
    source.write_bytes(b"\n".join(_lines(420)) + b"\n")
    shutil.copy(empty[0], tmp_path / "told.db")
    store = SQLiteStore(tmp_path / "told.db")
    heard: list[tuple[str, int, int]] = []
    try:
        import_ndjson(
            store,
            empty[1],
            source,
            progress=lambda n: heard.append(("lines", n, 0)),
            finishing=lambda done, total: heard.append(("step", done, total)),
        )
        indexes = store._writer.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('tickets', 'ticket_agents', 'ticket_tags', 'tag_tickets')"
        ).fetchone()[0]
    finally:
        store.close()
    lines = [n for what, n, _ in heard if what == "lines"]
    steps = [(done, total) for what, done, total in heard if what == "step"]
    assert lines == sorted(lines) and lines[-1] == 420  # every block, in order
    assert heard.index(("lines", 420, 0)) < heard.index(("step", *steps[0]))
    total = steps[0][1]
    assert steps == [(done, total) for done in range(total + 1)]  # 0 .. total, each once
    assert total >= indexes + 3  # each index rebuilt, the two link tables, ticket_id's


@pytest.mark.parametrize("pooled", [False, True])
@pytest.mark.parametrize("late", [2**63, 2**64 - 1, 2**64, 2**70])
def test_a_time_no_bigint_holds_is_kept_as_sent_and_counts_as_never(
    empty: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pooled: bool,
    late: int,
) -> None:
    monkeypatch.setattr(importer, "MIN_BYTES", 0 if pooled else 1 << 40)
    monkeypatch.setattr(decode_pool, "BLOCK_LINES", 16)
    raw = _lines(60)
    odd = json.loads(raw[37])
    odd.update(agent_first_response_time=late, closed_at=late, status=50)
    raw[37] = json.dumps(odd).encode()
    never = {**odd, "agent_first_response_time": 0, "closed_at": 0}
    source = tmp_path / "late.ndjson"
    source.write_bytes(b"\n".join(raw) + b"\n")
    _import(empty, tmp_path / "late.db", source)
    # The same tickets with that ticket's times "never" (Feishu's 0), for its rollups.
    twin = tmp_path / "never.ndjson"
    twin.write_bytes(b"\n".join([*raw[:37], json.dumps(never).encode(), *raw[38:]]) + b"\n")
    _import(empty, tmp_path / "never.db", twin)

    found, expected = _rows(tmp_path / "late.db"), _rows(tmp_path / "never.db")
    assert [body for _, body in found["ticket_bodies"]] == raw  # kept as sent
    for name in ("metric_counts", "metric_durations", "metric_agents"):
        assert found[name] == expected[name], name


def test_an_import_stops_at_its_first_bad_line_whichever_block(
    empty: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MIN_BYTES", 0)
    monkeypatch.setattr(decode_pool, "BLOCK_LINES", 50)
    raw = _lines(400)
    at = random.Random(3).randrange(120, 380)
    lines = [*raw[:at], b'{"ticket_id": "x", "created_at": "soon"}', *raw[at:]]
    source = tmp_path / "bad.ndjson"
    source.write_bytes(b"\n".join(lines) + b"\n")
    shutil.copy(empty[0], tmp_path / "bad.db")
    store = SQLiteStore(tmp_path / "bad.db")
    with pytest.raises(
        importer.ImportFailed, match=rf"bad.ndjson:{at + 1}: .*nothing was imported"
    ):
        import_ndjson(store, empty[1], source)
    store.close()
    found = _rows(tmp_path / "bad.db")
    assert found["tickets"] == found["history"] == found["metric_counts"] == []


_odd = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.sampled_from(["", "x", "ou_1", "\x00", "3", "登录"])
    | st.floats(allow_nan=False, allow_infinity=False)
)
_person_odd = st.one_of(
    _odd, st.fixed_dictionaries({}, optional={"id": _odd, "name": _odd, "city": _odd})
)
_field = st.sampled_from(
    [
        "ticket_id", "created_at", "updated_at", "status", "ticket_type", "channel", "solve",
        "score", "closed_at", "agent_entry_time", "agent_first_response_time",
        "dissatisfaction_reason",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=0, max_value=200),
    changes=st.dictionaries(_field, _odd, max_size=3),
    people=st.dictionaries(
        st.sampled_from(["guest", "agent_owner", "closed_by"]), _person_odd, max_size=2
    ),
    lists=st.dictionaries(st.sampled_from(["agents", "tags"]), st.lists(_person_odd, max_size=3)),
)
def test_one_decode_reads_as_the_record_and_the_facts_decoded_apart(
    n: int, changes: dict[str, Any], people: dict[str, Any], lists: dict[str, Any]
) -> None:
    ticket = {**_ticket(n), **changes, **people, **lists}
    body = msgspec.json.encode(ticket)
    try:
        expected = kept_record(body, "h")
    except UnstorableTicket:
        with pytest.raises(UnstorableTicket):
            kept_record_facts(body, "h")
        return
    assert kept_record_facts(body, "h") == (expected, plain(decode_facts(body)))
