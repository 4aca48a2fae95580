"""The sliding-window limiter, on an injected clock."""

from __future__ import annotations

import anyio
import pytest

from larkdesk.errors import RateLimited
from larkdesk.ratelimit import FEISHU_HELPDESK_LIMITS, MemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fifty_per_second_then_denied_with_reset() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    for _ in range(50):
        assert limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed
        clock.now += 0.001
    denied = limiter.check("app", FEISHU_HELPDESK_LIMITS)
    assert (denied.allowed, denied.limit, denied.reset_seconds) == (False, 50, 1)
    clock.now += 0.96  # the first request has left the window
    assert limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed


def test_denied_requests_are_not_counted() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    for _ in range(50):
        limiter.check("app", FEISHU_HELPDESK_LIMITS)
    for _ in range(500):
        assert not limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed
    clock.now += 1.0
    assert limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed


def test_thousand_per_minute_trips_even_at_a_slow_pace() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    for _ in range(1000):  # 20 per second: never near the per-second limit
        assert limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed
        clock.now += 0.05
    denied = limiter.check("app", FEISHU_HELPDESK_LIMITS)
    assert (denied.allowed, denied.limit) == (False, 1000)
    assert 10 <= denied.reset_seconds <= 11  # the first hit leaves the window in ~10 s
    clock.now += denied.reset_seconds
    assert limiter.check("app", FEISHU_HELPDESK_LIMITS).allowed


def test_apps_are_limited_separately() -> None:
    limiter = MemoryRateLimiter(Clock())
    for _ in range(50):
        limiter.check("a", FEISHU_HELPDESK_LIMITS)
    assert not limiter.check("a", FEISHU_HELPDESK_LIMITS).allowed
    assert limiter.check("b", FEISHU_HELPDESK_LIMITS).allowed


def test_acquire_raises_feishu_429() -> None:
    limiter = MemoryRateLimiter(Clock())

    async def burst() -> None:
        for _ in range(51):
            await limiter.acquire("a", FEISHU_HELPDESK_LIMITS)

    with pytest.raises(RateLimited) as caught:
        anyio.run(burst)
    assert (caught.value.http_status, caught.value.code) == (429, 99991400)
    assert caught.value.headers() == {
        "X-Ogw-Ratelimit-Limit": "50",
        "X-Ogw-Ratelimit-Reset": "1",
        "Retry-After": "1",
    }
