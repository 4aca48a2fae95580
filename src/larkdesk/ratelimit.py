"""Per-app, per-API rate limits: Feishu's "50/s and 1000/min", as a sliding window.

`RateLimiter` is the seam: the in-memory limiter serves one process; the Redis one
(`--redis`) holds the same windows for every worker sharing that Redis, with the same
answers. A denied request is not counted, so a client that waits `reset` seconds passes.
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import RateLimited
from .redis_options import redis_options


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window_seconds: float


FEISHU_HELPDESK_LIMITS = (Limit(50, 1.0), Limit(1000, 60.0))
"""The list API's tier in the seed: 50 requests/second and 1000 requests/minute. The
other helpdesk APIs use it too, except start_service (below)."""

TICKET_GET_LIMITS = (Limit(10, 1.0),)
"""Ticket get: 10 requests/second, as Feishu documents it (no per-minute figure)."""

START_SERVICE_LIMITS = (Limit(5, 1.0), Limit(100, 60.0))
"""start_service opens a chat per call: a lower tier, 5 requests/second and 100/minute."""

TOKEN_LIMITS = (Limit(50, 1.0), Limit(1000, 60.0))
"""The token endpoints, per app, both endpoints together: Feishu limits them without
publishing a number; larkdesk uses its common tier. A client needs one request per 90
minutes (the same token is answered while it has more than 30 minutes left)."""


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


# One request against every limit, atomically, in Redis: a sorted set of request times
# (ms) per key. Times are Redis' own clock (TIME) unless the caller passes one (tests), so
# workers on machines with skewed clocks still share one window. Same rules as
# MemoryRateLimiter: drop what left the longest window; for each limit, the count-th newest
# request still inside its window means "denied, retry when it leaves"; else count this one.
# KEYS[1] the key; ARGV[1] a unique member; ARGV[2] now in ms or ""; then (count, window ms)*.
_SLIDING_WINDOW_LUA = """
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local longest = 0
for i = 3, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i + 1])) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
for i = 3, #ARGV, 2 do
  local count, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local nth = redis.call('ZREVRANGE', KEYS[1], count - 1, count - 1, 'WITHSCORES')
  if nth[2] and tonumber(nth[2]) > now - window then
    return {0, count, math.ceil(tonumber(nth[2]) + window - now)}
  end
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(longest) + 1000)
return {1, 0, 0}
"""

REDIS_KEY_PREFIX = "larkdesk:ratelimit:"


class RedisRateLimiter:
    """The sliding window in Redis, shared by every worker on it (`--redis URL`).

    When Redis cannot be reached the request fails (155000) rather than passing
    unlimited: a limit that silently stops holding is worse for an emulator.
    """

    def __init__(self, url: str, clock: Callable[[], float] | None = None) -> None:
        import redis.asyncio

        self._redis: Any = redis.asyncio.Redis.from_url(url, **redis_options(asynchronous=True))
        self._script = self._redis.register_script(_SLIDING_WINDOW_LUA)
        self._clock = clock

    async def acquire(self, key: str, limits: Sequence[Limit]) -> None:
        decision = await self.check(key, limits)
        if not decision.allowed:
            raise RateLimited(decision.limit, decision.reset_seconds)

    async def check(self, key: str, limits: Sequence[Limit]) -> Decision:
        """Admit and count one request if every limit has room; otherwise say when to retry."""
        now = "" if self._clock is None else repr(self._clock() * 1000)
        args: list[str | int] = [os.urandom(8).hex(), now]
        for limit in limits:
            args.extend((limit.count, round(limit.window_seconds * 1000)))
        allowed, limit_count, wait_ms = await self._script(keys=[REDIS_KEY_PREFIX + key], args=args)
        if allowed:
            return Decision(True)
        return Decision(False, int(limit_count), max(1, math.ceil(int(wait_ms) / 1000)))

    async def aclose(self) -> None:
        await self._redis.aclose()
