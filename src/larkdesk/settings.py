"""Settings for `larkdesk serve`, from flags or the environment. Secrets never appear here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB = "larkdesk.db"

RateLimitMode = Literal["feishu", "off"]
FEISHU_EVENT_RETRY_S = (15.0, 300.0, 3600.0, 21600.0)  # Feishu's: 15 s, 5 min, 1 h, 6 h
EVENT_LEASE_S = 30.0


def parse_seconds(text: str) -> tuple[float, ...]:
    """ "15,300,3600" as seconds (a retry schedule); "" is no retry at all."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected seconds separated by commas, got {text!r}") from None
    if any(not 0 <= v < 10**7 for v in values):
        raise ValueError(f"seconds must be from 0 to 10^7, got {text!r}")
    return values


def default_db() -> str:
    """`LARKDESK_DB`, or `./larkdesk.db`."""
    return os.environ.get("LARKDESK_DB") or DEFAULT_DB


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit: RateLimitMode = "feishu"
    log_level: str = "info"
    # Redis for rate-limit windows and issued tokens shared by every worker; None keeps
    # both in this process. Not in repr: the URL may carry a password.
    redis: str | None = field(default=None, repr=False)
    # Event delivery: the waits after each failed attempt, and how long a worker's claim
    # on an event lasts before another worker may deliver it (docs/events.md).
    event_retry_s: tuple[float, ...] = FEISHU_EVENT_RETRY_S
    event_lease_s: float = EVENT_LEASE_S

    def to_env(self) -> dict[str, str]:
        """The settings as `LARKDESK_*` variables, so worker processes can rebuild them."""
        return {
            "LARKDESK_DB": self.db,
            "LARKDESK_RATE_LIMIT": self.rate_limit,
            "LARKDESK_LOG_LEVEL": self.log_level,
            "LARKDESK_REDIS": self.redis or "",
            "LARKDESK_EVENT_RETRY": ",".join(f"{s:g}" for s in self.event_retry_s),
            "LARKDESK_EVENT_LEASE": f"{self.event_lease_s:g}",
        }

    @classmethod
    def from_env(cls) -> Settings:
        mode = os.environ.get("LARKDESK_RATE_LIMIT", "feishu")
        if mode not in ("feishu", "off"):
            raise ValueError(f"LARKDESK_RATE_LIMIT must be 'feishu' or 'off', got {mode!r}")
        retry = os.environ.get("LARKDESK_EVENT_RETRY")
        return cls(
            db=default_db(),
            rate_limit="off" if mode == "off" else "feishu",
            log_level=os.environ.get("LARKDESK_LOG_LEVEL", "info"),
            redis=os.environ.get("LARKDESK_REDIS") or None,
            event_retry_s=parse_seconds(retry) if retry is not None else FEISHU_EVENT_RETRY_S,
            event_lease_s=float(os.environ.get("LARKDESK_EVENT_LEASE") or EVENT_LEASE_S),
        )
