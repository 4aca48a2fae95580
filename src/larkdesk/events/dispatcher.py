"""The delivery loop: claim due outbox rows, send each through a transport with bounded
concurrency, record the attempts in batches.

One `Dispatcher` per transport (webhook, long connection) per worker process.
A write that added events wakes it at once (`wake`, callable from any thread), so an
event usually leaves within milliseconds of its commit; events written by other processes
are found through the store's notices (PostgreSQL) or by polling. Claims come before
recording finished attempts, and the dispatcher's store calls run on a thread of its own
(not the pool request handlers queue for), so a woken dispatcher claims at once. A
receiver that hangs holds at most `per_app` sends at a time (rows
of its app past that are handed back, and later claims skip the app while it is full), so
other apps' events keep flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, Protocol, TypeVar

from .. import metrics
from ..helpdesk.ids import now_ms
from ..settings import EVENT_LEASE_S, FEISHU_EVENT_RETRY_S
from ..store.base import Store
from ..store.event_records import Attempt, Delivery
from ..store.outbox_claims import InlineClaim

T = TypeVar("T")
P = ParamSpec("P")
log = logging.getLogger("larkdesk.events")
DELIVERY_TIMEOUT_S = 3.0  # Feishu's: a receiver answers (or acks) within 3 s
FLUSH_AFTER_S = 0.1  # the longest a finished attempt waits to be recorded (see _flush_due)


class Transport(Protocol):
    """How deliveries of one mode reach apps: `send` makes one attempt and never raises."""

    mode: str
    holder: str  # "" claims every due row of the mode; a worker's id, see outbox.claim

    @property
    def poll_s(self) -> float | None:
        """How often to look for rows written by other processes (None: the config's)."""
        ...

    async def send(self, delivery: Delivery) -> Attempt: ...
    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    retry_s: tuple[float, ...] = FEISHU_EVENT_RETRY_S  # waits after each failed attempt
    lease_s: float = EVENT_LEASE_S  # a claimed row is due again after this, should its worker die
    poll_s: float = 0.5  # how often to look for rows written by other processes
    # Rows claimed and not yet finished, per worker; sends in flight to one app, per
    # worker. Measured (bench/README.md, 2026-11-30): 16 per app held one busy app to
    # ~750 events/s on loopback, 64 gave 1,600-1,800; a hanging app holds 64 of the 256.
    concurrency: int = 256
    per_app: int = 64
    batch: int = 100  # rows per claim
    drain_s: float = 15.0  # on stop, the longest sends in flight may take (and lease_s / 2)

    @property
    def retry_ms(self) -> tuple[int, ...]:
        return tuple(round(s * 1000) for s in self.retry_s)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        config: DeliveryConfig | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._transport = transport
        self._config = config or DeliveryConfig()
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup = asyncio.Event()
        self._maybe_due = True  # a claim may find rows: at start, on wake, after a full one
        # The last claim left due rows behind (it was full, or skipped or handed back rows
        # of apps at their cap): a finished send, freeing a slot, is worth a claim.
        self._left_rows = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[int, tuple[str, str, asyncio.Task[None]]] = {}  # id: claim, app
        self._per_app: dict[str, int] = {}
        # Apps at `per_app` in flight, for writers' inline claims on other threads (a new
        # tuple is assigned, never changed in place).
        self._busy: tuple[str, ...] = ()
        # The claim id of rows claimed by this process's writes (`inline_claim`): one for
        # the dispatcher's life, so their attempts are recorded in one transaction.
        self._inline_id = uuid.uuid4().hex
        self._releasing: set[asyncio.Task[None]] = set()
        self._app_slots: dict[str, asyncio.Semaphore] = {}
        self._done: list[tuple[str, Attempt]] = []
        self._first_done_at = 0.0  # monotonic: when the oldest unrecorded attempt finished
        # The loop's store calls are awaited one at a time: one thread serves them.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"events-{transport.mode}")

    # -- control --------------------------------------------------------------

    def wake(self) -> None:
        """Events were committed: look for due rows now. Safe from any thread."""
        loop = self._loop
        if loop is None or self._stopping:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
            loop.call_soon_threadsafe(self._poke)

    @property
    def claims_inline(self) -> bool:
        """Whether writes may claim rows for it: a transport that sends any row of its
        mode (the webhook's; the long connection's rows depend on who holds a socket)."""
        return not self._transport.holder

    def inline_claim(self) -> InlineClaim | None:
        """An offer for a write about to commit events (any thread): its rows of this
        dispatcher's mode are claimed in its transaction and handed over by `adopt` after
        the commit. None while not running, stopping, or with no free slot."""
        if self._loop is None or self._stopping or self._task is None or self._task.done():
            return None
        room = self._config.concurrency - len(self._inflight)
        if room <= 0:
            return None
        due_at = self._clock() + round(self._config.lease_s * 1000)
        return InlineClaim(self._transport.mode, self._inline_id, due_at, room, self._busy)

    def adopt(self, claim: InlineClaim) -> None:
        """The write with `claim` committed: send the rows it took. Safe from any thread."""
        loop = self._loop
        if loop is None or not claim.deliveries:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: the lease ends it
            loop.call_soon_threadsafe(self._adopt, claim.claim_id, list(claim.deliveries))

    def _adopt(self, claim_id: str, deliveries: list[Delivery]) -> None:
        if self._stopping:  # the drain may have looked already: hand them back
            ids = [d.outbox_id for d in deliveries]
            task = asyncio.create_task(self._release_quietly(claim_id, ids))
            self._releasing.add(task)
            task.add_done_callback(self._releasing.discard)
            return
        for delivery in deliveries:
            self._start(claim_id, delivery)

    async def _release_quietly(self, claim_id: str, ids: list[int]) -> None:
        with contextlib.suppress(Exception):  # else the lease ends the claim
            await self._call(self._store.release_deliveries, claim_id, ids, self._clock())

    def _start(self, claim_id: str, delivery: Delivery) -> None:
        task = asyncio.create_task(self._send(claim_id, delivery))
        self._inflight[delivery.outbox_id] = (claim_id, delivery.app_id, task)
        count = self._per_app.get(delivery.app_id, 0) + 1
        self._per_app[delivery.app_id] = count
        if count == self._config.per_app:
            self._busy = (*self._busy, delivery.app_id)

    def _poke(self) -> None:
        self._maybe_due = True
        self._wakeup.set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name=f"events-{self._transport.mode}")

    async def stop(self) -> None:
        """Finish what is in flight (up to the lease), hand back the rest, close."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        self._thread.shutdown(wait=False)
        await self._transport.aclose()

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A store call on the dispatcher's own thread (a slow database holds up only
        delivery, and delivery never waits behind request handlers for a thread)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(fn, *args, **kwargs))

    # -- the loop ---------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if self._maybe_due and self._has_room():
                    await self._claim()  # first: a woken dispatcher sends before it records
                if self._flush_due():
                    await self._flush()
                if not (self._maybe_due and self._has_room()):
                    await self._sleep()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("event delivery loop failed; retrying")
                await asyncio.sleep(self._config.poll_s)
        await self._drain()

    def _has_room(self) -> bool:
        """Room for a claim: any when idle; under load, a quarter of the slots, so claims
        (write transactions) come in batches rather than one per finished send."""
        free = self._config.concurrency - len(self._inflight)
        return free > 0 and (not self._inflight or free >= max(1, self._config.concurrency // 4))

    def _flush_due(self) -> bool:
        """Attempts are recorded in batches: once a quarter-batch has finished or the
        oldest has waited FLUSH_AFTER_S (at 200 events/s, a transaction per ~20 events
        rather than per event: fewer turns at SQLite's write lock, and fewer syncs of
        its log, for everyone; each one delays the writes queued behind it). A record
        lost with its process costs a second send after the lease, never an event."""
        if not self._done:
            return False
        waited = time.monotonic() - self._first_done_at
        return len(self._done) >= max(1, self._config.batch // 4) or waited >= FLUSH_AFTER_S

    async def _claim(self) -> None:
        config = self._config
        free = config.concurrency - len(self._inflight)
        if free <= 0:
            return
        busy = sorted(app for app, n in self._per_app.items() if n >= config.per_app)
        claim_id = uuid.uuid4().hex
        limit = min(free, config.batch)
        claimed = await self._call(
            self._store.claim_deliveries,
            self._transport.mode,
            claim_id,
            self._clock(),
            round(config.lease_s * 1000),
            limit,
            busy,
            self._transport.holder,
        )
        self._maybe_due = len(claimed) == limit
        surplus: list[int] = []
        for delivery in claimed:
            if self._per_app.get(delivery.app_id, 0) >= config.per_app:
                surplus.append(delivery.outbox_id)
                continue
            self._start(claim_id, delivery)
        self._left_rows = self._maybe_due or bool(busy) or bool(surplus)
        if surplus:
            # One app's backlog must not fill every slot (its receiver may hang): rows past
            # its cap go back at once, and the next claim skips the app while it is busy.
            await self._call(self._store.release_deliveries, claim_id, surplus, self._clock())

    async def _send(self, claim_id: str, delivery: Delivery) -> None:
        slots = self._app_slots.setdefault(delivery.app_id, asyncio.Semaphore(self._config.per_app))
        try:
            async with slots:
                attempt = await self._attempt(delivery)
        finally:
            del self._inflight[delivery.outbox_id]
            left = self._per_app.pop(delivery.app_id) - 1
            if left:
                self._per_app[delivery.app_id] = left
            else:
                self._app_slots.pop(delivery.app_id, None)
            if left == self._config.per_app - 1:
                self._busy = tuple(app for app in self._busy if app != delivery.app_id)
        first = not self._done
        if first:
            self._first_done_at = time.monotonic()
        self._done.append((claim_id, attempt))
        if self._left_rows:
            self._maybe_due = True  # a slot is free again for rows the last claim left
        # The first unrecorded attempt: the loop's sleep (up to the poll) must end by
        # FLUSH_AFTER_S to record it.
        if first or self._flush_due() or (self._maybe_due and self._has_room()):
            self._wakeup.set()

    async def _attempt(self, delivery: Delivery) -> Attempt:
        try:
            attempt = await self._transport.send(delivery)
        except Exception as exc:  # a transport bug still counts as a failed attempt
            log.exception(
                "event %s: the %s transport failed", delivery.event_id, self._transport.mode
            )
            attempt = Attempt(delivery.outbox_id, delivery.attempt, self._clock(), 0, 0, repr(exc))
        done_at = attempt.at + attempt.latency_ms
        metrics.delivery_attempted(self._transport.mode, attempt.ok, delivery.created_at, done_at)
        if not attempt.ok:
            log.info(
                "event %s to %s: attempt %d failed: %s",
                delivery.event_id,
                delivery.app_id,
                attempt.attempt,
                attempt.error,
            )
        return attempt

    async def _flush(self) -> None:
        """Record every finished attempt, one transaction per claim."""
        while self._done:
            claim_id = self._done[0][0]
            attempts = [a for c, a in self._done if c == claim_id]
            await self._call(
                self._store.finish_deliveries, claim_id, attempts, self._config.retry_ms
            )
            # Dropped only once written: a failed write keeps them for the next flush.
            self._done = [(c, a) for c, a in self._done if c != claim_id or a not in attempts]

    async def _sleep(self) -> None:
        """Wait for a wake-up, a finished send, the next due row, the next flush or the
        poll interval."""
        timeout = self._transport.poll_s or self._config.poll_s
        if not self._inflight and not self._done:
            due = await self._call(
                self._store.next_event_due,
                self._transport.mode,
                self._transport.holder,
                self._clock(),
            )
            if due is not None:
                timeout = min(timeout, (due - self._clock()) / 1000)
        if self._done:
            timeout = min(timeout, FLUSH_AFTER_S - (time.monotonic() - self._first_done_at))
        woken = False
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    woken = await self._wakeup.wait()
        self._wakeup.clear()
        if not woken and (self._inflight or (timeout <= 0 and not self._done)):
            # A row came due, or (while sending) the poll came round; else the next
            # sleep looks for due rows first.
            self._maybe_due = True

    async def _drain(self) -> None:
        """On stop: let sends finish within a lease, cancel the rest and make their rows
        due again at once (the next start, or another worker, sends them)."""
        tasks = [task for _, _, task in self._inflight.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=min(self._config.lease_s / 2, self._config.drain_s))
        unsent: dict[str, list[int]] = {}
        for outbox_id, (claim_id, _, task) in list(self._inflight.items()):
            task.cancel()
            unsent.setdefault(claim_id, []).append(outbox_id)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._flush()
        for claim_id, ids in unsent.items():
            await self._call(self._store.release_deliveries, claim_id, ids, self._clock())
