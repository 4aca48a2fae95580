"""What a process's metrics copies cost (console/rollup_blocks.py): a day is kept packed and
gives back exactly the rows it was made of; a month of days and their merged block hold a
few bytes per duration row, not the Python objects the rows were read as; the warm-up
reads a few days at a time (each read's rows are Python objects for a moment, and a
process keeps the memory they took), with a small page cache on SQLite (its thread ends,
its connection's cache would stay)."""

from __future__ import annotations

import datetime as dt
import gc
import random
import tracemalloc
from collections import Counter
from typing import Any

from larkdesk.console.rollup_blocks import EPOCH, Day, Keys, day_block, merged
from larkdesk.console.rollup_metrics import WARM_READ_DAYS, RollupCache
from larkdesk.console.warmup import RollupWarmup
from larkdesk.store.base import Store
from larkdesk.store.sqlite import READ_ONCE_CACHE_KIB, READER_CACHE_KIB, SQLiteStore

from .conftest import Identity
from .test_metrics_rollups import random_ticket, record

AGENTS = 200  # as the 1M demo: ~1,400 duration rows and ~500 count rows a day


def rows(rng: random.Random, day: int) -> tuple[list[Any], list[Any]]:
    """One day's rollup rows as SQLite gives them: a new string object in every row."""
    counts: list[Any] = [("created", "", 1_400), ("bot_ended", "", 40), ("ended", "", 900)]
    counts += [("hour", str(h), rng.randrange(1, 99)) for h in range(24)]
    counts += [("tag", f"tag {t}", rng.randrange(1, 60)) for t in range(50)]
    counts += [("agent", f"ou_{a:017d}", rng.randrange(1, 9)) for a in range(AGENTS)]
    counts += [("agent_score", f"{s}:ou_{a:017d}", 1) for a in range(AGENTS) for s in (1, 3)]
    durations = [
        (
            kind,
            f"ou_{rng.randrange(AGENTS):017d}" if rng.random() < 0.9 else "",
            rng.randrange(1, 9 * 86_400_000),
            rng.choice([1, 1, 1, 2]),
        )
        for kind in ("frt", "res")
        for _ in range(700)
    ]
    return counts, durations


def test_a_packed_day_gives_back_its_rows() -> None:
    rng = random.Random(3)
    day = 20_400
    counts, durations = rows(rng, day)
    block = day_block(day, 7, counts, durations, Keys())
    weekday = (EPOCH + dt.timedelta(days=day)).weekday()
    want: Counter[tuple[str, Any]] = Counter()
    for dim, key, n in counts:
        want[("heat", (weekday, int(key))) if dim == "hour" else (dim, key)] += n
    assert block.counts == want and block.version == 7
    assert block.daily == {day: (1_400, 40)}
    lists: dict[tuple[str, str], list[int]] = {}
    for kind, agent, value, n in durations:
        for pair in [(kind, "*"), (kind, agent)] if agent else [(kind, "*")]:
            lists.setdefault(pair, []).extend([value] * n)
    assert {k: list(v) for k, v in block.values.items()} == {k: sorted(v) for k, v in lists.items()}
    assert day_block(day, 1, [], [], Keys()).values == {}


def test_a_month_of_copies_holds_a_few_bytes_per_duration_row() -> None:
    """~45 bytes a duration row for the days and the month merged from them (each value
    once in its day, twice in the month: overall and the agent's; the counts as two
    numbers); as dicts of tuples, strings and arrays per day they took ~130 here."""
    rng = random.Random(5)
    read = [rows(rng, 20_400 + d) for d in range(30)]
    gc.collect()
    tracemalloc.start()
    try:
        keys = Keys()
        days: dict[int, Day] = {
            20_400 + d: day_block(20_400 + d, 1, counts, durations, keys)
            for d, (counts, durations) in enumerate(read)
        }
        month = merged(days)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    duration_rows = sum(len(durations) for _, durations in read)
    assert month.counts[("created", "")] == 30 * 1_400
    assert held / duration_rows < 56, held / duration_rows


class RangeSpy:
    """The store, recording the days each metrics snapshot reads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ranges: list[tuple[int, int]] = []
        self.caches: set[int] = set()  # SQLite: the page cache of the reading connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def metric_snapshot(self, helpdesk_id: str, first: int, last: int, known: Any) -> Any:
        self.ranges.append((first, last))
        if isinstance(self.store, SQLiteStore):
            self.caches.add(self.store._reader().execute("PRAGMA cache_size").fetchone()[0])
        return self.store.metric_snapshot(helpdesk_id, first, last, known)


def test_the_warm_up_reads_a_few_days_at_a_time(store: Store, identity: Identity) -> None:
    rng = random.Random(13)
    hd = identity.helpdesk_id
    store.upsert_tickets(record(random_ticket(rng, str(8_400_000 + n)), hd) for n in range(120))
    spy = RangeSpy(store)
    cache = RollupCache()
    warmup = RollupWarmup(spy, cache)  # type: ignore[arg-type]
    warmup.start()
    assert warmup.done.wait(60)
    warmup.stop()
    assert spy.ranges and all(0 <= last - first < WARM_READ_DAYS for first, last in spy.ranges)
    newest = store.metric_last_day(hd)
    assert newest is not None
    read = {d for first, last in spy.ranges for d in range(first, last + 1)}
    assert newest in read and len(read) >= 365  # 13 calendar months, each day once
    assert len(read) == sum(last - first + 1 for first, last in spy.ranges)
    if isinstance(store, SQLiteStore):  # a small page cache, not a reader's 16 MiB
        assert spy.caches == {READ_ONCE_CACHE_KIB}
        assert store._reader().execute("PRAGMA cache_size").fetchone()[0] == READER_CACHE_KIB
