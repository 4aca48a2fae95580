"""The long-connection transport: one attempt sends the event to one live connection of
the app held by this worker, picked at random, and waits for the app's ack (Feishu's 3 s).

The payload is the plain schema 2.0 envelope, as Feishu sends it over the long connection
(no encryption, no signature: the SDKs hand it to their dispatchers unchecked). An ack
with `code` 200 is a delivery; another code, no ack in time, a connection that closed,
or no connection at all is a failed attempt, retried on the webhook's schedule. The
attempt's `status` is the ack's code (0 when none came).
"""

from __future__ import annotations

import asyncio
import time

from ..helpdesk.ids import now_ms
from ..store.event_records import LONG_CONNECTION, Attempt, Delivery
from .connections import ConnectionGone, ConnectionHub, ack_code
from .dispatcher import DELIVERY_TIMEOUT_S
from .envelope import envelope

# While this worker holds connections, rows for them written by another worker are found
# by polling: this often (a write wakes only its own worker's dispatchers).
HOLDING_POLL_S = 0.05


class LongConnectionTransport:
    mode = LONG_CONNECTION

    def __init__(self, hub: ConnectionHub, timeout_s: float = DELIVERY_TIMEOUT_S) -> None:
        self._hub = hub
        self._timeout_s = timeout_s
        self.holder = hub.worker_id  # claims only rows this worker can send (or nobody can)

    @property
    def poll_s(self) -> float | None:
        return HOLDING_POLL_S if self._hub.holding else None

    async def send(self, delivery: Delivery) -> Attempt:
        at, started = now_ms(), time.perf_counter()
        code, error = 0, ""
        conn = self._hub.pick(delivery.app_id)
        if conn is None:
            error = "no live long connection"
        else:
            try:
                async with asyncio.timeout(self._timeout_s):
                    payload = await conn.deliver(envelope(delivery), self._hub.fragment_bytes)
                code = ack_code(payload)
                if code != 200:
                    error = f"the app acked with code {code}: {payload[:200]!r}"
            except TimeoutError:
                error = f"no ack within {self._timeout_s:g} s"
            except ConnectionGone as exc:
                error = str(exc)
            except Exception as exc:  # the socket failed under the send
                error = f"sending failed: {type(exc).__name__}: {exc}"[:300]
        latency = round((time.perf_counter() - started) * 1000)
        return Attempt(delivery.outbox_id, delivery.attempt, at, code, latency, error)

    async def aclose(self) -> None:
        pass
