"""How long delivered events are kept. Finished outbox rows (delivered or given up) and
their attempts older than the retention are removed a bounded step at a time, so a purge
never holds the write lock for long: hourly by every server, and by `larkdesk events
purge`. Pending events are never removed, whatever their age."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import anyio.to_thread

from ..helpdesk.ids import now_ms
from ..store.base import Store

log = logging.getLogger("larkdesk.events")
DAY_MS = 86_400_000
PURGE_EVERY_S = 3600.0
STEP = 1000  # outbox rows looked at per write transaction


def purge_events(store: Store, keep_days: float, now: int | None = None) -> int:
    """Remove finished events created more than `keep_days` ago; how many were removed."""
    before = (now_ms() if now is None else now) - round(keep_days * DAY_MS)
    removed, after, done = 0, 0, False
    while not done:
        step, after, done = store.purge_events(before, after, STEP)
        removed += step
    return removed


class Retention:
    """Purges once at start, then every `every_s`; `keep_days` 0 keeps everything."""

    def __init__(self, store: Store, keep_days: float, every_s: float = PURGE_EVERY_S) -> None:
        self._store = store
        self._keep_days = keep_days
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._keep_days > 0:
            self._task = asyncio.create_task(self._run(), name="larkdesk-event-retention")

    async def _run(self) -> None:
        while True:
            try:
                removed = await anyio.to_thread.run_sync(purge_events, self._store, self._keep_days)
                if removed:
                    log.info(
                        "removed %d delivered events older than %g days", removed, self._keep_days
                    )
            except Exception as exc:  # the next round tries again; serving goes on
                log.warning("could not remove old events: %s", exc)
            await asyncio.sleep(self._every_s)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
