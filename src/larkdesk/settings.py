"""Every `LARKDESK_*` setting, read here and nowhere else, with its help text.

As Starlette's `Config`: one table of the variables, their defaults and what they mean
(the README's "Settings" section lists the same, and tests/test_docs.py checks both ways);
a secret's value comes wrapped in `Secret`, which never shows in a repr or a message.
Other modules ask this one (`read`, `read_secret`, `default_db`, `Settings.from_env`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_DB = "larkdesk.db"
DEFAULT_FILE_MODE = 0o600
FILE_MODE_ENV = "LARKDESK_FILE_MODE"

RateLimitMode = Literal["feishu", "off"]
FEISHU_EVENT_RETRY_S = (15.0, 300.0, 3600.0, 21600.0)  # Feishu's: 15 s, 5 min, 1 h, 6 h
EVENT_LEASE_S = 30.0
EVENT_KEEP_DAYS = 30.0
GRACEFUL_TIMEOUT_S = 30.0
LogFormat = Literal["plain", "json"]


def parse_seconds(text: str) -> tuple[float, ...]:
    """ "15,300,3600" as seconds (a retry schedule); "" is no retry at all."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected seconds separated by commas, got {text!r}") from None
    if any(not 0 <= v < 10**7 for v in values):
        raise ValueError(f"seconds must be from 0 to 10^7, got {text!r}")
    return values


WireMode = Literal["documented", "observed"]  # as helpdesk.tickets.shapes.WireShape


@dataclass(frozen=True, slots=True)
class Variable:
    """One `LARKDESK_*` variable: its default (None: unset) and what it means."""

    name: str
    default: str | None
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "LARKDESK_DB",
        DEFAULT_DB,
        "the database of every command (`--db`): a SQLite file path, `sqlite:PATH` or "
        "`:memory:`, or a `postgresql://...` URL",
    ),
    Variable(
        "LARKDESK_RATE_LIMIT",
        "feishu",
        "`serve --rate-limit`: `feishu` (Feishu's per-app limits) or `off` (none)",
    ),
    Variable(
        "LARKDESK_WIRE",
        "documented",
        "`serve --wire`: the ticket shape of list and get answers: `documented` (Feishu's"
        " document, lark-oapi's TicketV2) or `observed` (`comments` and"
        " `dissatisfaction_reason` as arrays, as Feishu's service has sent them)",
    ),
    Variable(
        "LARKDESK_LOG_LEVEL",
        "info",
        "`serve --log-level`: `debug`, `info`, `warning` or `error`",
    ),
    Variable(
        "LARKDESK_REDIS",
        None,
        "`serve --redis`: a `redis://...` URL where workers share rate limits and tokens",
        secret=True,
    ),
    Variable(
        "LARKDESK_BASE_URL",
        None,
        "`export`/`sync`: the API's base URL (else https://open.feishu.cn)",
    ),
    Variable("LARKDESK_APP_ID", None, "`export`/`sync`: the app's id"),
    Variable("LARKDESK_APP_SECRET", None, "`export`/`sync`: the app's secret", secret=True),
    Variable("LARKDESK_HELPDESK_ID", None, "`export`/`sync`: the helpdesk's id"),
    Variable("LARKDESK_HELPDESK_TOKEN", None, "`export`/`sync`: the helpdesk's token", secret=True),
    Variable(
        "LARKDESK_OPERATOR_TOKEN",
        None,
        "`serve`: the bearer token of the operator API (`/larkdesk/v1/...`); unset, it is off",
        secret=True,
    ),
    Variable(
        "LARKDESK_FILE_MODE",
        "0600",
        "the mode, in octal, of files larkdesk creates (the SQLite database, exports,"
        " checkpoints); owner read and write are required",
    ),
    Variable(
        "LARKDESK_EVENT_RETRY",
        "15,300,3600,21600",
        "`serve --event-retry`: seconds to wait after each failed event delivery,"
        " comma-separated (Feishu's: 15 s, 5 min, 1 h, 6 h)",
    ),
    Variable(
        "LARKDESK_EVENT_LEASE",
        "30",
        "`serve --event-lease`: seconds a worker holds an event it is delivering before"
        " another may retry it",
    ),
    Variable("LARKDESK_HOST", "127.0.0.1", "`serve --host`: the address to listen on"),
    Variable(
        "LARKDESK_LOG_FORMAT",
        "plain",
        "`serve --log-format`: `plain` (one text line per record) or `json` (one JSON"
        " object per line: a request's log id, app, API, status, duration)",
    ),
    Variable(
        "LARKDESK_GRACEFUL_TIMEOUT",
        "30",
        "`serve --graceful-timeout`: seconds a stopping server (SIGTERM) waits for requests"
        " in flight, and then for event deliveries in flight, before cutting them off",
    ),
    Variable(
        "LARKDESK_METRICS_TOKEN",
        None,
        "`serve`: the bearer token `GET /metrics` requires; unset, `/metrics` answers only"
        " when `--host` is a loopback address",
        secret=True,
    ),
    Variable(
        "LARKDESK_EVENT_KEEP_DAYS",
        "30",
        "`serve --event-keep-days`: days delivered (or given-up) events and their attempts"
        " stay in the outbox for `events log`; 0 keeps them forever",
    ),
    Variable(
        "LARKDESK_CONFIG",
        None,
        "`export`/`sync`: a TOML file with what no flag or variable gives",
    ),
)
BY_NAME = {variable.name: variable for variable in VARIABLES}
# The remote helpdesk's settings of `export` and `sync`, by their config-file key.
REMOTE_VARIABLES = {
    "base_url": "LARKDESK_BASE_URL",
    "app_id": "LARKDESK_APP_ID",
    "app_secret": "LARKDESK_APP_SECRET",
    "helpdesk_id": "LARKDESK_HELPDESK_ID",
    "helpdesk_token": "LARKDESK_HELPDESK_TOKEN",
}
CONFIG_VARIABLE = "LARKDESK_CONFIG"


class Secret:
    """A secret value: `str()` gives it, `repr()` never does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _declared(name: str, secret: bool) -> Variable:
    variable = BY_NAME.get(name)
    if variable is None:
        raise KeyError(f"{name} is not a larkdesk setting: declare it in settings.VARIABLES")
    if variable.secret != secret:
        how = "read_secret" if variable.secret else "read"
        raise KeyError(f"{name} is read with settings.{how}")
    return variable


def read(name: str) -> str | None:
    """A non-secret variable's value; unset or empty is None (its default is the caller's)."""
    _declared(name, secret=False)
    return os.environ.get(name) or None


def read_secret(name: str) -> Secret | None:
    """A secret variable's value, wrapped; unset or empty is None."""
    _declared(name, secret=True)
    value = os.environ.get(name)
    return Secret(value) if value else None


def from_environment(name: str) -> Callable[[], str | None]:
    """A click `default=`: the variable when the command runs, else its default (a secret
    is revealed only to the option that takes it)."""
    variable = BY_NAME[name]
    if variable.secret:
        return lambda: _revealed(read_secret(name)) or variable.default
    return lambda: read(name) or variable.default


def shown_default(name: str) -> str:
    """What `--help` shows as the default of an option the variable sets."""
    default = BY_NAME[name].default
    return f"${name} or {default}" if default else f"${name}"


def default_db() -> str:
    """`LARKDESK_DB`, or `./larkdesk.db`."""
    return read("LARKDESK_DB") or DEFAULT_DB


def default_of(name: str) -> str:
    """The variable's default, for what has one."""
    default = BY_NAME[name].default
    if default is None:
        raise KeyError(f"{name} has no default")
    return default


def _revealed(secret: Secret | None) -> str | None:
    return None if secret is None else str(secret)


def operator_token() -> str | None:
    """`LARKDESK_OPERATOR_TOKEN`: the operator API's bearer token (unset: the API is off)."""
    return _revealed(read_secret("LARKDESK_OPERATOR_TOKEN"))


# prometheus_client's own variable: set by `serve --workers N` for its workers (a private
# temporary folder), read by prometheus_client when a process first imports it.
METRICS_FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def metrics_folder() -> str | None:
    """Where the workers' metric files are (prometheus_client's multiprocess mode), if any."""
    return os.environ.get(METRICS_FOLDER_VARIABLE) or None


def hand_metrics_folder(folder: str) -> None:
    """Name `folder` to the worker processes started after this (their environment)."""
    os.environ[METRICS_FOLDER_VARIABLE] = folder


def metrics_token() -> str | None:
    """`LARKDESK_METRICS_TOKEN`: the bearer token `GET /metrics` asks for."""
    return _revealed(read_secret("LARKDESK_METRICS_TOKEN"))


def log_format_from_env() -> LogFormat:
    """`LARKDESK_LOG_FORMAT`: `plain` or `json`."""
    value = read("LARKDESK_LOG_FORMAT") or default_of("LARKDESK_LOG_FORMAT")
    if value not in ("plain", "json"):
        raise ValueError(f"LARKDESK_LOG_FORMAT must be 'plain' or 'json', got {value!r}")
    return "json" if value == "json" else "plain"


def file_mode() -> int:
    """`LARKDESK_FILE_MODE` (octal, e.g. 0640), or 0600: the permission bits of the files
    larkdesk creates (the SQLite database and its -wal/-shm, exports, checkpoints), which
    hold guests' names and e-mails and secret hashes."""
    value = (read(FILE_MODE_ENV) or "").strip()
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
    """What `larkdesk serve` runs with, from its flags or (in workers) the environment."""

    db: str = DEFAULT_DB
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limit: RateLimitMode = "feishu"
    log_level: str = "info"
    wire: WireMode = "documented"
    # Redis for rate-limit windows and issued tokens shared by every worker; None keeps
    # both in this process. Not in repr: the URL may carry a password.
    redis: str | None = field(default=None, repr=False)
    # The bearer token of the operator API (/larkdesk/v1/...); None turns that API off.
    # A secret: never in repr.
    operator_token: str | None = field(default=None, repr=False)
    # Event delivery: the waits after each failed attempt, and how long a worker's claim
    # on an event lasts before another worker may deliver it (docs/events.md).
    event_retry_s: tuple[float, ...] = FEISHU_EVENT_RETRY_S
    event_lease_s: float = EVENT_LEASE_S
    event_keep_days: float = EVENT_KEEP_DAYS
    log_format: LogFormat = "plain"
    # SIGTERM: how long requests, then event deliveries, in flight may take to finish.
    graceful_timeout_s: float = GRACEFUL_TIMEOUT_S
    # The bearer token of GET /metrics; None: /metrics only on a loopback --host. A secret.
    metrics_token: str | None = field(default=None, repr=False)

    def to_env(self) -> dict[str, str]:
        """The settings as `LARKDESK_*` variables, so worker processes can rebuild them."""
        return {
            "LARKDESK_DB": self.db,
            "LARKDESK_RATE_LIMIT": self.rate_limit,
            "LARKDESK_LOG_LEVEL": self.log_level,
            "LARKDESK_WIRE": self.wire,
            "LARKDESK_REDIS": self.redis or "",
            "LARKDESK_OPERATOR_TOKEN": self.operator_token or "",
            "LARKDESK_EVENT_RETRY": ",".join(f"{s:g}" for s in self.event_retry_s),
            "LARKDESK_EVENT_LEASE": f"{self.event_lease_s:g}",
            "LARKDESK_EVENT_KEEP_DAYS": f"{self.event_keep_days:g}",
            "LARKDESK_LOG_FORMAT": self.log_format,
            "LARKDESK_GRACEFUL_TIMEOUT": f"{self.graceful_timeout_s:g}",
            "LARKDESK_METRICS_TOKEN": self.metrics_token or "",
            "LARKDESK_HOST": self.host,
        }

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a worker process was handed (see `to_env`)."""
        mode = read("LARKDESK_RATE_LIMIT") or default_of("LARKDESK_RATE_LIMIT")
        if mode not in ("feishu", "off"):
            raise ValueError(f"LARKDESK_RATE_LIMIT must be 'feishu' or 'off', got {mode!r}")
        retry = os.environ.get("LARKDESK_EVENT_RETRY")  # "" is a schedule: no retry
        wire = read("LARKDESK_WIRE") or default_of("LARKDESK_WIRE")
        if wire not in ("documented", "observed"):
            raise ValueError(f"LARKDESK_WIRE must be 'documented' or 'observed', got {wire!r}")
        return cls(
            db=default_db(),
            rate_limit="off" if mode == "off" else "feishu",
            wire="observed" if wire == "observed" else "documented",
            log_level=read("LARKDESK_LOG_LEVEL") or default_of("LARKDESK_LOG_LEVEL"),
            redis=_revealed(read_secret("LARKDESK_REDIS")),
            operator_token=operator_token(),
            event_retry_s=parse_seconds(retry) if retry is not None else FEISHU_EVENT_RETRY_S,
            event_lease_s=float(read("LARKDESK_EVENT_LEASE") or EVENT_LEASE_S),
            event_keep_days=float(read("LARKDESK_EVENT_KEEP_DAYS") or EVENT_KEEP_DAYS),
            log_format=log_format_from_env(),
            graceful_timeout_s=float(read("LARKDESK_GRACEFUL_TIMEOUT") or GRACEFUL_TIMEOUT_S),
            metrics_token=metrics_token(),
            host=read("LARKDESK_HOST") or default_of("LARKDESK_HOST"),
        )
