"""A serving process moves the metrics copies it read at start out of the garbage
collector's sight (console/warmup.py): a year of rollups at a million tickets is millions
of lists, and each full collection walked them — 100–200 ms pauses at random in the list
and ticket pages (bench/README.md). Test processes leave them tracked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import larkdesk

WARM = """
import gc, sys
from larkdesk.console.rollup_metrics import RollupCache
from larkdesk.console.warmup import RollupWarmup, freeze_when_warm
from larkdesk.store import open_store

store = open_store(sys.argv[1])


def warm():
    cache = RollupCache()
    warmup = RollupWarmup(store, cache)
    warmup.start()
    assert warmup.done.wait(60)
    warmup.stop()
    return cache


gc.collect()
before = gc.get_freeze_count()
kept = [warm()]
as_a_test = gc.get_freeze_count()
if sys.argv[2] == "serving":
    freeze_when_warm()
kept.append(warm())
print(before, as_a_test, gc.get_freeze_count())
"""


def frozen_counts(db: Path, mode: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", WARM, str(db), mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return [int(n) for n in done.stdout.split()]


def test_a_serving_process_freezes_what_the_warm_up_read(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    larkdesk("demo", "--tickets", "400", db=db)
    before, as_a_test, serving = frozen_counts(db, "serving")
    assert before == as_a_test == 0  # the warm-up alone freezes nothing
    assert serving > 1000  # the copies read, and what the process had built before
    assert frozen_counts(db, "test")[2] == 0
