"""Clocks and ids shared by the helpdesk resources."""

from __future__ import annotations

import secrets
import time


def now_ms() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def snowflake(at_ms: int) -> int:
    """A 19-digit id like Feishu's: the millisecond in the high bits, 22 random low bits."""
    return at_ms << 22 | secrets.randbits(22)
