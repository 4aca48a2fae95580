"""The metrics rollups (store/rollups.py) against the scan they replace (console/metrics.py,
kept as the oracle): random tickets, then random writes through every path that writes
tickets (upserts, the update API's service, messages, an import, an import undone, a sync,
concurrent writers), and after each, every number the Metrics page shows, for several
periods, is the scan's. On both stores."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import threading
import time
from itertools import chain
from pathlib import Path
from typing import Any

from larkdesk.client import FeishuClient
from larkdesk.console.metrics import Metrics, helpdesk_metrics, percentile
from larkdesk.console.rollup_blocks import PATCH_DAYS, Day, day_block, merged
from larkdesk.console.rollup_metrics import (
    SORT_BELOW,
    SORT_UNDER,
    RollupCache,
    percentile_of,
    rollup_metrics,
)
from larkdesk.console.warmup import RollupWarmup
from larkdesk.errors import BadRequest
from larkdesk.helpdesk.stored import kept_record
from larkdesk.helpdesk.tickets.bodies import UpdateTicketBody
from larkdesk.helpdesk.tickets.lifecycle import TicketLifecycle
from larkdesk.store.base import Store, TicketRecord
from larkdesk.store.import_journal import PUBLISHING, ImportMarker
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.store.sqlstore import SqlStore
from larkdesk.transfer import publish as publishing
from larkdesk.transfer.importer import import_ndjson
from larkdesk.transfer.remote import Remote
from larkdesk.transfer.sync import sync_once

from .backends import db_location
from .conftest import ROOT, Identity, make_client, provision
from .wire import serve

DAY, HOUR, MINUTE = 86_400_000, 3_600_000, 60_000
BASE = 1_785_542_400_000  # 2026-08-01T00:00:00Z
DAYS = 40
FIRST = dt.date(2026, 8, 1)
AGENTS = [(f"ou_agent_{n}", f"Agent {n}") for n in range(4)]
CITIES = ["Hangzhou", "杭州", "Sydney", "", None, 7]
TAGS = ["billing", "login", "VPN", "合同"]
REASONS: list[Any] = [
    {"en_us": "slow answer", "zh_cn": "回复慢"},
    {"zh_cn": "没解决"},
    [{"en_us": "rude", "zh_cn": "态度差"}],
    [],
    None,
]


def random_ticket(rng: random.Random, ticket_id: str) -> dict[str, Any]:
    """A ticket of any shape the metrics read: open or closed, bot or human, times that
    never came (0, -1) or came before the agent's entry, repeated durations."""
    created = BASE + rng.randrange(DAYS * DAY)
    status = rng.choice([1, 2, 3, 4, 5, 50, 51, 52])
    ticket: dict[str, Any] = {
        "ticket_id": ticket_id,
        "created_at": created,
        "updated_at": created + HOUR,
        "status": status,
        "ticket_type": rng.choice([1, 2, 2]),
        "channel": rng.choice([0, 1, 13, None]),
        "score": rng.choice([None, 0, 1, 2, 3, 3]),
        "guest": {"id": f"ou_guest_{rng.randrange(9)}", "name": "Guest"},
        "tags": [{"id": str(100 + TAGS.index(t)), "name": t} for t in rng.sample(TAGS, 2)][
            : rng.randrange(3)
        ],
    }
    city = rng.choice(CITIES)
    if city is not None:
        ticket["guest"]["city"] = city
    if rng.random() < 0.7:
        agent_id, name = rng.choice(AGENTS)
        agent = {"id": agent_id, "name": name}
        ticket["agents"] = [agent]
        if rng.random() < 0.8:
            ticket["agent_owner"] = agent
        entry = created + rng.choice([0, MINUTE, 5 * MINUTE])
        ticket["agent_entry_time"] = rng.choice([entry, entry, 0, -1])
        ticket["agent_first_response_time"] = entry + rng.choice(
            [30_000, 60_000, rng.randrange(HOUR), -2 * MINUTE]
        )
        if status >= 50:
            ticket["closed_at"] = entry + rng.choice([HOUR, 2 * HOUR, rng.randrange(DAY)])
    reason = rng.choice(REASONS)
    if reason is not None:
        ticket["dissatisfaction_reason"] = reason
    return ticket


def record(ticket: dict[str, Any], helpdesk_id: str) -> TicketRecord:
    return kept_record(json.dumps(ticket, ensure_ascii=False).encode(), helpdesk_id)


def numbers(m: Metrics) -> dict[str, Any]:
    """Every number and chart element the Metrics page shows."""
    return {
        "created": m.created,
        "ended": m.ended,
        "bot_ended": m.bot_ended,
        "frt": (m.frt(0.5), m.frt(0.9)),
        "resolution": (m.resolution(0.5), m.resolution(0.9)),
        "scores": dict(m.scores),
        "reasons": dict(m.reasons),
        "daily_created": dict(m.daily_created),
        "daily_bot_ended": dict(m.daily_bot_ended),
        "heat": dict(m.heat),
        "tags": dict(m.tags),
        "channels": dict(m.channels),
        "cities": dict(m.cities),
        "busiest": (m.busiest_weekday, m.busiest_hour),
        "agents": {
            a.agent_id: (
                a.name,
                a.tickets,
                a.frt_median,
                a.resolution_median,
                dict(a.scores),
                a.satisfied_share,
            )
            for a in m.agents.values()
        },
    }


PERIODS = [
    (FIRST, FIRST + dt.timedelta(days=DAYS - 1)),
    (dt.date(2026, 7, 1), dt.date(2026, 8, 31)),  # whole months (from the copies' months)
    (dt.date(2026, 7, 20), dt.date(2026, 9, 30)),
    (FIRST + dt.timedelta(days=3), FIRST + dt.timedelta(days=3)),
    (FIRST + dt.timedelta(days=2), FIRST + dt.timedelta(days=8)),
    (FIRST - dt.timedelta(days=30), FIRST - dt.timedelta(days=1)),  # nothing in it
]


CACHE = RollupCache()  # kept across writes: its copies must be renewed as days change


def assert_same(store: Store, helpdesk_id: str) -> None:
    for start, end in PERIODS:
        scan = numbers(helpdesk_metrics(store, helpdesk_id, start, end))
        kept = numbers(rollup_metrics(store, helpdesk_id, start, end))
        assert kept == scan, (start, end)
        assert numbers(CACHE.metrics(store, helpdesk_id, start, end)) == scan, (start, end)
    assert numbers(rollup_metrics(store, helpdesk_id, *PERIODS[0]))["created"] > 0


def write_file(path: Path, tickets: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets))
    return path


def test_rollups_equal_the_scan_after_every_kind_of_write(
    store: Store, identity: Identity, tmp_path: Path
) -> None:
    rng = random.Random(11)
    hd = identity.helpdesk_id
    tickets = {str(7_300_000 + n): random_ticket(rng, str(7_300_000 + n)) for n in range(300)}
    store.upsert_tickets(record(t, hd) for t in tickets.values())
    assert_same(store, hd)
    # upserts of changed tickets (what a sync writes), some unchanged, some new
    ids = sorted(tickets)
    for ticket_id in rng.sample(ids, 80):
        tickets[ticket_id] = random_ticket(rng, ticket_id)
    for n in range(300, 340):
        tickets[str(7_300_000 + n)] = random_ticket(rng, str(7_300_000 + n))
    store.upsert_tickets(record(t, hd) for t in tickets.values())
    assert_same(store, hd)
    # the update API's service: status, tags, type, channel
    lifecycle, updated = TicketLifecycle(store), 0
    for ticket_id in rng.sample(ids, 60):
        change = UpdateTicketBody(
            status=rng.choice([None, 2, 50, 51]),
            tag_names=rng.sample(TAGS, rng.randrange(3)),
            channel=rng.choice([None, 0, 1]),
        )
        try:
            lifecycle.update_ticket(hd, ticket_id, change)
        except BadRequest:  # a random ticket the API would not have stored: left as it is
            continue
        updated += 1
    assert updated >= 10
    assert_same(store, hd)
    # an import (replacing some tickets, adding others), then one undone mid-way
    changed = [random_ticket(rng, i) for i in rng.sample(ids, 50)]
    added = [random_ticket(rng, str(7_400_000 + n)) for n in range(60)]
    assert import_ndjson(store, hd, write_file(tmp_path / "a.ndjson", changed + added)) == 110
    assert_same(store, hd)
    assert isinstance(store, SqlStore)
    before = numbers(rollup_metrics(store, hd, *PERIODS[0]))
    redo = [record(random_ticket(rng, i), hd) for i in rng.sample(ids, 30)]
    redo += [record(random_ticket(rng, str(7_500_000 + n)), hd) for n in range(30)]
    store.begin_import(ImportMarker("dead", hd, "f", PUBLISHING, 1_000, 1_000))
    store.publish_import_chunk("dead", redo, 1_000)
    assert numbers(rollup_metrics(store, hd, *PERIODS[0])) != before
    assert_same(store, hd)
    assert publishing.recover(store) is not None
    assert numbers(rollup_metrics(store, hd, *PERIODS[0])) == before
    assert_same(store, hd)
    # a rebuild from the tickets gives the same rollups as the writes kept
    assert store.rebuild_metric_rollups(hd) == len(tickets) + 60
    assert numbers(rollup_metrics(store, hd, *PERIODS[0])) == before
    assert_same(store, hd)


def test_a_sync_keeps_the_rollups_exact(store: Store, tmp_path: Path) -> None:
    rng = random.Random(5)
    source = SQLiteStore(tmp_path / "source.db")
    try:
        identity = provision(source)
        hd = identity.helpdesk_id
        tickets = [random_ticket(rng, str(7_600_000 + n)) for n in range(150)]
        source.upsert_tickets(record(t, hd) for t in tickets)
        with serve(tmp_path / "source.db", "--rate-limit", "off") as server:
            client = FeishuClient(
                identity.app_id,
                identity.app_secret,
                hd,
                identity.helpdesk_token,
                base_url=server.base_url,
                transport=server.transport,
                per_second=None,
                backoff_seconds=0.01,
            )
            remote = Remote(
                server.base_url, identity.app_id, hd, identity.app_secret, identity.helpdesk_token
            )
            assert sync_once(client, store, remote).stored == 150
            assert_same(store, hd)
            later = BASE + DAYS * DAY
            for ticket in rng.sample(tickets, 40):
                fresh = random_ticket(rng, ticket["ticket_id"])
                fresh["updated_at"] = later
                source.upsert_tickets([record(fresh, hd)])
            sync_once(client, store, remote, overlap_ms=10**13)
            assert_same(store, hd)
            assert numbers(rollup_metrics(store, hd, *PERIODS[0])) == numbers(
                rollup_metrics(source, hd, *PERIODS[0])
            )
    finally:
        source.close()


def test_concurrent_writers_add_up_exactly(store: Store, identity: Identity) -> None:
    """Four threads rewrite overlapping tickets at once (each its own transactions; on
    PostgreSQL, row-locked upserts of the same rollup rows); then every number is the scan's."""
    hd = identity.helpdesk_id
    seed = random.Random(3)
    ids = [str(7_700_000 + n) for n in range(120)]
    store.upsert_tickets(record(random_ticket(seed, i), hd) for i in ids)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(100 + n)
        try:
            for _ in range(25):
                batch = [*rng.sample(ids, 4), str(7_800_000 + n * 1000 + rng.randrange(50))]
                store.upsert_tickets(record(random_ticket(rng, i), hd) for i in batch)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert_same(store, hd)


WRITER = """
import random, sys
from larkdesk.store import open_store
from tests.test_metrics_rollups import random_ticket, record
store = open_store(sys.argv[1])
rng, hd, ids = random.Random(int(sys.argv[3])), sys.argv[2], sys.argv[4].split(",")
for _ in range(30):
    batch = [*rng.sample(ids, 5), str(7_900_000 + int(sys.argv[3]) * 1000 + rng.randrange(40))]
    store.upsert_tickets(record(random_ticket(rng, i), hd) for i in batch)
store.close()
"""


def test_two_writer_processes_add_up_exactly(store: Store, identity: Identity) -> None:
    """Two processes (each its own connections; on PostgreSQL, concurrent transactions
    upserting the same rollup rows) rewrite the same tickets; then every number is the
    scan's."""
    hd = identity.helpdesk_id
    ids = [str(7_850_000 + n) for n in range(60)]
    store.upsert_tickets(record(random_ticket(random.Random(9), i), hd) for i in ids)
    location = db_location(store)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, location, hd, str(n), ",".join(ids)], cwd=ROOT
        )
        for n in (1, 2)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert_same(store, hd)


def test_kth_finds_the_same_value_as_sorting_everything() -> None:
    """The percentiles' search across sorted lists (taken past SORT_UNDER values in all and
    SORT_BELOW values a list) gives the nearest-rank value of all of them, repeated values
    and all."""
    rng = random.Random(2)
    for size in (1, 3, 50, SORT_BELOW + 500, SORT_UNDER // 4):
        lists = [
            sorted(rng.choice([rng.randrange(10**9), rng.randrange(100)]) for _ in range(n))
            for n in (rng.randrange(size + 1) for _ in range(rng.randrange(1, 30)))
        ]
        everything = sorted(chain.from_iterable(lists))
        for share in (0.01, 0.5, 0.9, 1.0):
            assert percentile_of(lists, share) == percentile(everything, share)
    big = [sorted(rng.randrange(10**6) for _ in range(SORT_UNDER // 4)) for _ in range(6)]
    everything = sorted(chain.from_iterable(big))  # past SORT_UNDER: the search by value
    for share in (0.01, 0.5, 0.9, 1.0):
        assert percentile_of(big, share) == percentile(everything, share)
    assert percentile_of([[], []], 0.5) is None


def test_a_first_bulk_load_keeps_the_rollups_too(store: Store, identity: Identity) -> None:
    """`load_tickets` into an empty store (the demo's and a first import's path: SQLite's
    bulk load, which drops and rebuilds indexes) adds the rollups in its transaction."""
    rng = random.Random(21)
    hd = identity.helpdesk_id
    ids = [str(7_950_000 + n) for n in range(400)]
    assert store.load_tickets(record(random_ticket(rng, i), hd) for i in ids) == 400
    assert_same(store, hd)


class SnapshotSpy:
    """The store, counting the rollup rows each metrics snapshot reads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def metric_snapshot(self, *args: Any) -> Any:
        snap = self.store.metric_snapshot(*args)
        self.rows.append(len(snap.counts) + len(snap.durations))
        return snap


def test_copies_warmed_at_start_answer_without_reading_and_stay_exact(
    store: Store, identity: Identity
) -> None:
    """A process's warm-up (`RollupWarmup`, started with the app) reads every day of the
    last year's months once: views then read no rollup rows, and after writes (upserts,
    concurrent writer threads, an import undone) read only the days written and still
    show the scan's numbers."""
    rng = random.Random(31)
    hd = identity.helpdesk_id
    ids = [str(8_100_000 + n) for n in range(250)]
    store.upsert_tickets(record(random_ticket(rng, i), hd) for i in ids)
    spy = SnapshotSpy(store)
    cache = RollupCache()
    warmup = RollupWarmup(spy, cache)
    warmup.start()
    assert warmup.done.wait(60)
    warmup.stop()
    assert sum(spy.rows) > 0
    spy.rows.clear()
    for start, end in PERIODS:
        assert numbers(cache.metrics(spy, hd, start, end)) == numbers(
            helpdesk_metrics(store, hd, start, end)
        )
    assert spy.rows == [0] * len(PERIODS)  # every day was read by the warm-up
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        wrng = random.Random(200 + n)
        try:
            for _ in range(10):
                batch = [*wrng.sample(ids, 4), str(8_200_000 + n * 1000 + wrng.randrange(30))]
                store.upsert_tickets(record(random_ticket(wrng, i), hd) for i in batch)
                cache.metrics(spy, hd, *PERIODS[0])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for start, end in PERIODS:
        scan = numbers(helpdesk_metrics(store, hd, start, end))
        assert numbers(cache.metrics(spy, hd, start, end)) == scan, (start, end)
    assert isinstance(store, SqlStore)
    store.begin_import(ImportMarker("gone", hd, "f", PUBLISHING, 1_000, 1_000))
    store.publish_import_chunk("gone", [record(random_ticket(rng, i), hd) for i in ids[:40]], 1_000)
    assert publishing.recover(store) is not None
    for start, end in PERIODS:
        scan = numbers(helpdesk_metrics(store, hd, start, end))
        assert numbers(cache.metrics(spy, hd, start, end)) == scan, (start, end)


def test_the_app_warms_the_metrics_copies_when_it_starts(
    store: Store, identity: Identity, caplog: Any
) -> None:
    """`larkdesk serve` (the app's lifespan) reads the rollups in the background at start."""
    rng = random.Random(41)
    store.upsert_tickets(
        record(random_ticket(rng, str(8_300_000 + n)), identity.helpdesk_id) for n in range(50)
    )
    caplog.set_level("INFO", logger="larkdesk.console.warmup")
    with make_client(store):
        for _ in range(600):
            if any("read at start" in r.getMessage() for r in caplog.records):
                break
            time.sleep(0.05)
    found = [r.getMessage() for r in caplog.records if "read at start" in r.getMessage()]
    assert found and not found[0].startswith("metrics rollups read at start: 0 days"), found


def test_a_patched_block_is_the_block_merged_anew() -> None:
    """A merged run of days patched with a few newer days (values that came and went,
    counts up and down, lists emptied) holds what merging the days anew gives; the lists
    it did not change are the same objects (their percentiles are taken over)."""
    rng = random.Random(8)

    def day(number: int, version: int) -> Day:
        counts = [("created", "", rng.randrange(1, 9)), ("tag", rng.choice(TAGS), 1)]
        durations = [
            (
                kind,
                rng.choice(["", "ou_a", "ou_b"]),
                rng.choice([5, 60_000, rng.randrange(9**9)]),
                1,
            )
            for kind in ("frt", "res")
            for _ in range(rng.randrange(6))
        ]
        return day_block(number, version, counts, durations)

    parts = {d: day(d, 1) for d in range(20_000, 20_030)}
    block = merged(parts)
    for version in range(2, 12):
        newer = dict(parts)
        for d in rng.sample(sorted(parts), rng.randrange(1, PATCH_DAYS + 1)):
            newer[d] = day(d, version)
        patched, anew = merged(newer, block), merged(newer)
        assert patched.values == anew.values
        assert +patched.counts == +anew.counts and patched.daily == anew.daily
        kept = [
            k for k in block.values if k in patched.values and patched.values[k] is block.values[k]
        ]
        assert all(block.values[k] == anew.values[k] for k in kept)
        block, parts = patched, newer
