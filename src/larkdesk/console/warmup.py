"""Reading the metrics rollups into a process's copies when the server starts
(`RollupCache.warm`), so that no one's view of a period is the one that reads its days.

One thread per process, started by the app's lifespan: for each helpdesk, the calendar
months of the last year of its rollups (a few seconds of one core at a million tickets;
bench/README.md). It only reads (a few days per read transaction, checked by versions as
a view's read; `RollupCache.warm`), with a small page cache (`Store.read_once`), and stops
between months when the server stops. A view that comes first reads what it lacks itself,
as without the thread; what either read, the other does not read again.

A serving process (`server.run`) also asks for the copies to be frozen once read
(`freeze_when_warm`): when the days were dicts of tuples, a year of a million tickets'
rollups was millions of objects, and every full collection of the garbage collector walked
them (100–200 ms pauses in the list and ticket pages at random, bench/README.md). Days are
packed now (~35,000 objects in the process after the warm-up), and freezing still spares
the collector what the warm-up and the app made; frozen, they are left to reference
counting, which frees them as before when a newer copy replaces them.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

from ..store.base import Store
from .rollup_metrics import RollupCache

log = logging.getLogger(__name__)
STOP_WAIT_S = 10.0  # how long a stopping server waits for the month being read
_freeze = threading.Event()


def freeze_when_warm() -> None:
    """In this process, move what the warm-up read out of the collector's sight."""
    _freeze.set()


class RollupWarmup:
    """The thread that warms `cache` from `store` (start, stop)."""

    def __init__(self, store: Store, cache: RollupCache) -> None:
        self.store = store
        self.cache = cache
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="metrics-warmup", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)

    def run(self) -> None:
        """Warm every helpdesk's copies (a failure is logged: views read for themselves)."""
        began, days = time.monotonic(), 0
        try:
            self.store.read_once()
            for helpdesk in self.store.list_helpdesks(None):
                if self._stop.is_set():
                    break
                days += self.cache.warm(self.store, helpdesk.helpdesk_id, self._stop)
        except Exception:
            log.exception("reading the metrics rollups at start failed")
        finally:
            if _freeze.is_set() and days:
                gc.freeze()
            self.done.set()
        log.info("metrics rollups read at start: %d days in %.1f s", days, time.monotonic() - began)
