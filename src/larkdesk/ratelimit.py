"""Per-app, per-API rate limits: Feishu's "50/s and 1000/min", as a sliding window.

`RateLimiter` is the seam: the in-memory limiter here serves one process; a
Redis-backed one can take its place (same `acquire`) without touching the routes.
A denied request is not counted, so a client that waits `reset` seconds passes.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .errors import RateLimited


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_seconds: float


FEISHU_HELPDESK_LIMITS = (Limit(50, 1.0), Limit(1000, 60.0))
"""The list API's tier in the seed: 50 requests/second and 1000 requests/minute."""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int = 0
    reset_seconds: int = 0


class RateLimiter(Protocol):
    async def acquire(self, key: str, limits: Sequence[Limit]) -> None:
        """Count one request under `key`, or raise `RateLimited` without counting it."""
        ...


class NoRateLimiter:
    """`--rate-limit off`: every request passes."""

    async def acquire(self, key: str, limits: Sequence[Limit]) -> None:
        return None


class MemoryRateLimiter:
    """A sliding-window log per key, in this process's memory; the clock is injected."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    async def acquire(self, key: str, limits: Sequence[Limit]) -> None:
        decision = self.check(key, limits)
        if not decision.allowed:
            raise RateLimited(decision.limit, decision.reset_seconds)

    def check(self, key: str, limits: Sequence[Limit]) -> Decision:
        """Admit and count one request if every limit has room; otherwise say when to retry."""
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        horizon = now - max(limit.window_seconds for limit in limits)
        while hits and hits[0] <= horizon:
            hits.popleft()
        for limit in limits:
            if len(hits) >= limit.count:
                oldest_in_window = hits[-limit.count]
                if oldest_in_window > now - limit.window_seconds:
                    wait = oldest_in_window + limit.window_seconds - now
                    return Decision(False, limit.count, max(1, math.ceil(wait)))
        hits.append(now)
        return Decision(True)
