"""The long connections this worker process holds (EVENTS.md §3.7), and what they share
with every other worker through the store (table `event_connections`).

A connection is admitted only while its app has fewer than `cap` (Feishu's 50) live
connections on all workers; while it lives, the worker refreshes its row every
`refresh_s`, so a row whose worker died expires after `ttl_s` and stops counting. An event
goes to one connection of its app, picked at random among this worker's (the outbox claim
gives a worker only rows of apps it holds, see `store/outbox.claim`); the app's ack comes
back on the same connection and is matched to the send by its `message_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio.to_thread

from .. import metrics
from ..helpdesk.ids import now_ms
from ..store.base import Store
from . import pbbp2

log = logging.getLogger("larkdesk.events")

MAX_CONNECTIONS = 50  # per app, on all workers (Feishu: code 1000040350 past it)
FRAGMENT_BYTES = 32 * 1024  # an event payload longer than this goes in several frames
# Feishu's ClientConfig (seconds), sent with the endpoint and with every pong.
CLIENT_CONFIG = {
    "ReconnectCount": -1,
    "ReconnectInterval": 120,
    "ReconnectNonce": 30,
    "PingInterval": 120,
}

SendBytes = Callable[[bytes], Awaitable[None]]


class ConnectionGone(Exception):
    """The connection closed before the app acked."""


@dataclass(eq=False)
class LiveConnection:
    conn_id: str
    app_id: str
    service_id: int
    _send: SendBytes
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _acks: dict[str, asyncio.Future[bytes]] = field(default_factory=dict)
    closed: bool = False
    # Closes the WebSocket itself (set by the route that holds it).
    closer: Callable[[], Awaitable[None]] | None = None

    async def send_frame(self, frame: pbbp2.Frame) -> None:
        if self.closed:
            raise ConnectionGone("the connection has closed")
        async with self._lock:
            await self._send(frame.encode())

    async def deliver(self, payload: bytes, fragment_bytes: int) -> bytes:
        """Send one event (in fragments past `fragment_bytes`) and wait for its ack;
        returns the ack's payload. The caller bounds the wait."""
        message_id = uuid.uuid4().hex
        trace_id = uuid.uuid4().hex
        chunks = [
            payload[i : i + fragment_bytes] for i in range(0, max(len(payload), 1), fragment_bytes)
        ]
        ack: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._acks[message_id] = ack
        try:
            for seq, chunk in enumerate(chunks):
                headers = [
                    (pbbp2.TYPE, pbbp2.EVENT),
                    (pbbp2.MESSAGE_ID, message_id),
                    (pbbp2.SUM, str(len(chunks))),
                    (pbbp2.SEQ, str(seq)),
                    (pbbp2.TRACE_ID, trace_id),
                    ("timestamp", str(now_ms())),
                ]
                frame = pbbp2.Frame(pbbp2.DATA, self.service_id, headers, chunk)
                frame.seq_id = seq
                await self.send_frame(frame)
            return await ack
        finally:
            self._acks.pop(message_id, None)

    def acked(self, frame: pbbp2.Frame) -> None:
        """A data frame from the app: the ack of the event with its message_id."""
        ack = self._acks.get(frame.header(pbbp2.MESSAGE_ID))
        if ack is not None and not ack.done():
            ack.set_result(frame.payload)

    def close(self) -> None:
        self.closed = True
        for ack in self._acks.values():
            if not ack.done():
                ack.set_exception(ConnectionGone("the connection closed before the ack"))


def ack_code(payload: bytes) -> int:
    """The `code` of an ack's JSON payload (`{"code":200}`), 0 when there is none."""
    try:
        body = json.loads(payload)
    except ValueError:
        return 0
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


# What a stopping server tells its clients before it closes their sockets: come back soon
# (the SDKs wait random(0..ReconnectNonce) s, then retry every ReconnectInterval s), to
# whichever instance then answers the endpoint, rather than after up to 30 s.
RECONNECT_SOON = {**CLIENT_CONFIG, "ReconnectInterval": 5, "ReconnectNonce": 2}


def pong(frame: pbbp2.Frame) -> pbbp2.Frame:
    """The answer to a ping: a control frame `type=pong` carrying the ClientConfig."""
    payload = json.dumps(CLIENT_CONFIG, separators=(",", ":")).encode()
    return pbbp2.Frame(pbbp2.CONTROL, frame.service, [(pbbp2.TYPE, pbbp2.PONG)], payload)


class ConnectionHub:
    """This worker's live connections, by app."""

    def __init__(
        self,
        store: Store,
        cap: int = MAX_CONNECTIONS,
        ttl_s: float = 30.0,
        refresh_s: float = 10.0,
        fragment_bytes: int = FRAGMENT_BYTES,
    ) -> None:
        self.store = store
        self.worker_id = secrets.token_hex(8)
        self.cap = cap
        self.fragment_bytes = fragment_bytes
        self._ttl_ms = round(ttl_s * 1000)
        self._refresh_s = refresh_s
        self._by_app: dict[str, list[LiveConnection]] = {}
        self._task: asyncio.Task[None] | None = None
        self.running = False
        self.on_connect: Callable[[], None] = lambda: None  # the dispatcher's wake

    def pick(self, app_id: str) -> LiveConnection | None:
        """One live connection of the app held here, at random (Feishu's cluster mode)."""
        live = self._by_app.get(app_id)
        return random.choice(live) if live else None

    @property
    def holding(self) -> bool:
        """Whether this worker holds any live connection."""
        return bool(self._by_app)

    async def admit(
        self, conn_id: str, app_id: str, service_id: int, send: SendBytes
    ) -> LiveConnection | None:
        """Record a new connection (None: the app has `cap` live ones already)."""
        now = now_ms()
        admitted = await anyio.to_thread.run_sync(
            self.store.open_event_connection,
            conn_id,
            app_id,
            self.worker_id,
            now,
            now + self._ttl_ms,
            self.cap,
        )
        if not admitted:
            return None
        conn = LiveConnection(conn_id, app_id, service_id, send)
        self._by_app.setdefault(app_id, []).append(conn)
        metrics.long_connections.inc()
        self.on_connect()
        return conn

    async def leave(self, conn: LiveConnection) -> None:
        conn.close()
        live = self._by_app.get(conn.app_id, [])
        if conn in live:
            live.remove(conn)
            metrics.long_connections.dec()
            if not live:
                del self._by_app[conn.app_id]
        with contextlib.suppress(Exception):  # the row expires anyway
            await anyio.to_thread.run_sync(self.store.close_event_connections, [conn.conn_id])

    async def start(self) -> None:
        self.running = True
        self._task = asyncio.create_task(self._refresh(), name="events-connections")

    async def stop(self) -> None:
        """Stop admitting; the WebSocket handlers close their connections as the server
        shuts down, and this worker's rows go."""
        self.running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        conns = [c for live in self._by_app.values() for c in live]
        for conn in conns:
            conn.close()
        metrics.long_connections.dec(len(conns))
        self._by_app.clear()
        with contextlib.suppress(Exception):
            await anyio.to_thread.run_sync(
                self.store.close_event_connections, [c.conn_id for c in conns]
            )

    async def hand_over(self) -> None:
        """The server is stopping (SIGTERM; a shutdown hook): admit no one, tell every
        client to reconnect soon (a pong carrying `RECONNECT_SOON`, the ClientConfig the
        SDKs adopt) and close its socket, so the SDKs come back to the next instance."""
        self.running = False
        payload = json.dumps(RECONNECT_SOON, separators=(",", ":")).encode()

        async def part(conn: LiveConnection) -> None:
            with contextlib.suppress(Exception):  # a socket already gone
                hint = pbbp2.Frame(
                    pbbp2.CONTROL, conn.service_id, [(pbbp2.TYPE, pbbp2.PONG)], payload
                )
                await conn.send_frame(hint)
                if conn.closer is not None:
                    await conn.closer()

        await asyncio.gather(*(part(c) for live in list(self._by_app.values()) for c in live))

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            now = now_ms()
            try:
                await anyio.to_thread.run_sync(
                    self.store.refresh_event_connections, self.worker_id, now, now + self._ttl_ms
                )
            except Exception:  # a database hiccup: the next refresh comes before expiry
                log.exception("refreshing the long connections failed")
