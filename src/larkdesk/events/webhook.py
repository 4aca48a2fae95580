"""The webhook transport: one POST per attempt to the app's request URL, answered with
HTTP 200 within the timeout (Feishu's 3 s) or failed."""

from __future__ import annotations

import asyncio
import time

import httpx

from ..store.event_records import WEBHOOK, Attempt, Delivery
from .envelope import delivery_request

DEFAULT_TIMEOUT_S = 3.0
ERROR_CHARS = 300


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class WebhookTransport:
    """Sends deliveries over one pooled `httpx.AsyncClient` (no proxies from the
    environment, no redirects: a receiver answers where it was configured)."""

    mode = WEBHOOK

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, max_connections: int = 64) -> None:
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections),
        )

    async def send(self, delivery: Delivery) -> Attempt:
        request = delivery_request(delivery)
        at, started = now_ms(), time.perf_counter()
        status, error = 0, ""
        try:
            # The whole exchange within the timeout, not each phase of it.
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.post(
                    delivery.url, content=request.body, headers=request.headers
                )
            status = response.status_code
            if status != 200:
                error = f"HTTP {status}: {response.text[:ERROR_CHARS]}"
        except TimeoutError:
            error = f"no answer within {self._timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        latency = round((time.perf_counter() - started) * 1000)
        return Attempt(delivery.outbox_id, delivery.attempt, at, status, latency, error)

    async def aclose(self) -> None:
        await self._client.aclose()
