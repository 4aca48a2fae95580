"""Settings for `larkdesk serve`, from flags or the environment. Secrets never appear here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB = "larkdesk.db"
DEFAULT_FILE_MODE = 0o600
FILE_MODE_ENV = "LARKDESK_FILE_MODE"

RateLimitMode = Literal["feishu", "off"]


def default_db() -> str:
    """`LARKDESK_DB`, or `./larkdesk.db`."""
    return os.environ.get("LARKDESK_DB") or DEFAULT_DB


def file_mode() -> int:
    """`LARKDESK_FILE_MODE` (octal, e.g. 0640), or 0600: the permission bits of the files
    larkdesk creates (the SQLite database and its -wal/-shm, exports, checkpoints), which
    hold guests' names and e-mails and secret hashes."""
    value = os.environ.get(FILE_MODE_ENV, "").strip()
    if not value:
        return DEFAULT_FILE_MODE
    try:
        mode = int(value, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or not mode & 0o600 == 0o600:
        raise ValueError(
            f"{FILE_MODE_ENV} must be octal permission bits with owner read and write"
            f" (e.g. 0600, 0640), got {value!r}"
        )
    return mode


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

    def to_env(self) -> dict[str, str]:
        """The settings as `LARKDESK_*` variables, so worker processes can rebuild them."""
        return {
            "LARKDESK_DB": self.db,
            "LARKDESK_RATE_LIMIT": self.rate_limit,
            "LARKDESK_LOG_LEVEL": self.log_level,
            "LARKDESK_REDIS": self.redis or "",
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
        )
