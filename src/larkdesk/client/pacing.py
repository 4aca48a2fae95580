"""Client-side pacing: stay under the server's limits instead of running into them.

Feishu allows this API 50 requests/s and 1000/min per app, counted over sliding windows.
`Pacer` keeps the same kind of window on the client: before a request it waits until
every window has room. The defaults (45/s, 950/min) leave a margin for clock jitter.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_PER_SECOND = 45
DEFAULT_PER_MINUTE = 950


@dataclass(frozen=True, slots=True)
class PaceLimit:
    count: int
    window_seconds: float


def default_limits(per_second: int | None = DEFAULT_PER_SECOND) -> tuple[PaceLimit, ...]:
    """45/s and 950/min, or nothing when `per_second` is None or 0 (no pacing)."""
    if not per_second:
        return ()
    per_minute = min(DEFAULT_PER_MINUTE, per_second * 60)
    return (PaceLimit(per_second, 1.0), PaceLimit(per_minute, 60.0))


class Pacer:
    """Wait before each request so that no window holds more than its count."""

    def __init__(
        self,
        limits: Sequence[PaceLimit],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = tuple(limits)
        self._clock = clock
        self._sleep = sleep
        longest = max((limit.count for limit in self._limits), default=0)
        self._sent: deque[float] = deque(maxlen=longest or None)

    def wait(self) -> None:
        """Block until one more request fits every limit, then count it."""
        if not self._limits:
            return
        while (delay := self._delay(self._clock())) > 0:
            self._sleep(delay)
        self._sent.append(self._clock())

    def _delay(self, now: float) -> float:
        delay = 0.0
        for limit in self._limits:
            if len(self._sent) >= limit.count:
                oldest = self._sent[-limit.count]
                delay = max(delay, oldest + limit.window_seconds - now)
        return delay
