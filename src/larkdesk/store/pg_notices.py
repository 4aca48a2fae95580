"""Outbox notices on PostgreSQL: every worker LISTENs on its schema's channel, and each
commit that wrote deliveries NOTIFYs it (store/outbox.py), so a worker's dispatchers wake
within milliseconds of another worker's write instead of at their next poll.

One dedicated connection per worker, in the server's event loop. If it fails (the server
restarted, a network blip) the listener reconnects after a pause; meanwhile, and for any
notice lost in between, the dispatchers' poll finds the rows: notices only make delivery
sooner, never decide whether it happens. After each (re)connection the dispatchers are
woken once, for whatever was written while nobody listened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from .outbox import CHANNEL_SQL

log = logging.getLogger("larkdesk.events")
RECONNECT_S = 1.0  # the pause after a failed or lost listening connection


class EventNotices:
    """Calls `wake` (from the event loop) for every outbox notice on the database at
    `url`, between `start` and `stop`."""

    def __init__(self, url: str, wake: Callable[[], None]) -> None:
        self._url = url
        self._wake = wake
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()  # set while LISTEN is in place (tests wait on it)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="events-notices")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as exc:
                log.warning("listening for event notices failed (%s); polling meanwhile", exc)
            self.listening.clear()
            await asyncio.sleep(RECONNECT_S)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, connect_timeout=10
        ) as conn:
            row = await (await conn.execute(f"SELECT {CHANNEL_SQL}")).fetchone()
            channel = str(row[0]) if row else ""
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            self._wake()  # rows written while nobody listened
            # The writer's own process was woken at its commit already; this second wake
            # mostly lands before its dispatcher looks, and costs at most one empty claim.
            async for _ in conn.notifies():
                self._wake()
