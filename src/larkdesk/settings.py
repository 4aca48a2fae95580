"""Settings for `larkdesk serve`, from flags or the environment. Secrets never appear here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB = "larkdesk.db"

RateLimitMode = Literal["feishu", "off"]


def default_db() -> str:
    """`LARKDESK_DB`, or `./larkdesk.db`."""
    return os.environ.get("LARKDESK_DB") or DEFAULT_DB


def operator_token() -> str | None:
    """`LARKDESK_OPERATOR_TOKEN`: the operator API's bearer token (unset: the API is off)."""
    return os.environ.get("LARKDESK_OPERATOR_TOKEN") or None


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
    # The bearer token of the operator API (/larkdesk/v1/...); None turns that API off.
    # A secret: never in repr.
    operator_token: str | None = field(default=None, repr=False)

    def to_env(self) -> dict[str, str]:
        """The settings as `LARKDESK_*` variables, so worker processes can rebuild them."""
        return {
            "LARKDESK_DB": self.db,
            "LARKDESK_RATE_LIMIT": self.rate_limit,
            "LARKDESK_LOG_LEVEL": self.log_level,
            "LARKDESK_REDIS": self.redis or "",
            "LARKDESK_OPERATOR_TOKEN": self.operator_token or "",
        }

    @classmethod
    def from_env(cls) -> Settings:
        mode = os.environ.get("LARKDESK_RATE_LIMIT", "feishu")
        if mode not in ("feishu", "off"):
            raise ValueError(f"LARKDESK_RATE_LIMIT must be 'feishu' or 'off', got {mode!r}")
        return cls(
            db=default_db(),
            rate_limit="off" if mode == "off" else "feishu",
            log_level=os.environ.get("LARKDESK_LOG_LEVEL", "info"),
            redis=os.environ.get("LARKDESK_REDIS") or None,
            operator_token=operator_token(),
        )
