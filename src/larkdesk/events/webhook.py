"""The webhook transport: one POST per attempt to the app's request URL, answered with
HTTP 200 within the timeout (Feishu's 3 s) or failed."""

from __future__ import annotations

import time

import aiohttp

from ..helpdesk.ids import now_ms
from ..store.event_records import WEBHOOK, Attempt, Delivery
from .dispatcher import DELIVERY_TIMEOUT_S
from .envelope import delivery_request

ERROR_CHARS = 300


class WebhookTransport:
    """Sends deliveries through one `aiohttp.ClientSession` (keep-alive connections, no
    proxies from the environment, no redirects: a receiver answers where it was
    configured).

    Why aiohttp rather than httpx, which the rest of larkdesk uses as a client: measured on
    loopback to a receiver that answers at once, httpx did 150–240 POSTs/s (16 clients of
    4 connections; httpcore's pool does work in proportion to requests x connections) and
    aiohttp 730–1,260/s on the same box, one at a time to 64 concurrent (bench/README.md)."""

    mode = WEBHOOK
    holder = ""  # any worker sends any webhook delivery
    poll_s = None

    def __init__(self, timeout_s: float = DELIVERY_TIMEOUT_S, max_connections: int = 64) -> None:
        self._timeout_s = timeout_s
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_connections),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            trust_env=False,
            auto_decompress=False,
        )

    async def send(self, delivery: Delivery) -> Attempt:
        request = delivery_request(delivery)
        at, started = now_ms(), time.perf_counter()
        status, error = 0, ""
        try:
            # The whole exchange within the timeout (ClientTimeout.total), not each phase.
            async with self._session.post(
                delivery.url,
                data=request.body,
                headers=request.headers,
                allow_redirects=False,
            ) as response:
                status = response.status
                text = await response.read()
            if status != 200:
                shown = text[: ERROR_CHARS * 4].decode("utf-8", "replace")[:ERROR_CHARS]
                error = f"HTTP {status}: {shown}"
        except TimeoutError:
            error = f"no answer within {self._timeout_s:g} s"
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        latency = round((time.perf_counter() - started) * 1000)
        return Attempt(delivery.outbox_id, delivery.attempt, at, status, latency, error)

    async def aclose(self) -> None:
        await self._session.close()
