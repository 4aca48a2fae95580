"""What `export` and `sync` share: the remote helpdesk's options and credentials, a
client for it, and parsing of times and durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..client import FEISHU, FeishuClient
from ..settings import CONFIG_VARIABLE, REMOTE_VARIABLES, from_environment, shown_default
from ..transfer.remote import Remote, RemoteConfigError, resolve_remote


def _from_environment(
    flag: str, key: str, text: str, fallback: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An option of the remote's settings, defaulting to its `LARKDESK_*` variable (read
    through `settings`, when the command runs); a secret's value is never shown."""
    name = REMOTE_VARIABLES[key]
    shown = shown_default(name) + (f", else {fallback}" if fallback else "")
    return click.option(
        flag, key, default=from_environment(name), show_default=shown, help=text + "."
    )


def remote_options(url_flag: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--base-url/--from, the app and helpdesk credentials, and --config."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        secret = "; prefer the variable or --config (a flag shows in `ps`)"
        options = [
            _from_environment(url_flag, "base_url", "The API's base URL", FEISHU),
            _from_environment("--app-id", "app_id", "App id"),
            _from_environment("--app-secret", "app_secret", "App secret" + secret),
            _from_environment("--helpdesk-id", "helpdesk_id", "Helpdesk id"),
            _from_environment("--helpdesk-token", "helpdesk_token", "Helpdesk token" + secret),
            click.option(
                "--config",
                type=click.Path(dir_okay=False, path_type=Path),
                default=from_environment(CONFIG_VARIABLE),
                show_default=shown_default(CONFIG_VARIABLE),
                help="TOML file with base_url, app_id, app_secret, helpdesk_id,"
                " helpdesk_token (for what no flag or variable gives).",
            ),
            click.option(
                "--max-rps",
                default=45,
                show_default=True,
                type=click.IntRange(0, 1000),
                help="Requests per second at most (and 950/min); 0: no pacing.",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def remote_from(kwargs: dict[str, Any]) -> Remote:
    """The remote helpdesk the flags, the environment and the config file name."""
    names = ("base_url", "app_id", "app_secret", "helpdesk_id", "helpdesk_token")
    warnings: list[str] = []
    try:
        remote = resolve_remote({n: kwargs.get(n) for n in names}, kwargs.get("config"), warnings)
    except RemoteConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    return remote


def client_for(remote: Remote, max_rps: int) -> FeishuClient:
    """A client of the remote helpdesk, paced to `max_rps` (0: unpaced)."""
    return FeishuClient(
        remote.app_id,
        remote.app_secret,
        remote.helpdesk_id,
        remote.helpdesk_token,
        base_url=remote.base_url,
        per_second=max_rps or None,
    )


def parse_time(value: str, end_of_day: bool = False) -> int:
    """Milliseconds since the epoch, or an ISO date / date-time (UTC unless it says)."""
    if value.isascii() and value.isdigit():  # not "²": int() refuses it
        return int(value)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            moment = day + timedelta(days=1, milliseconds=-1) if end_of_day else day
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither milliseconds nor an ISO date") from None
    return int(moment.timestamp() * 1000)


def parse_duration(value: str) -> int:
    """Seconds from `90`, `90s`, `5m`, `2h` or `1d`."""
    found = re.fullmatch(r"(\d+)\s*([smhd]?)", value.strip())
    if not found or int(found.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a duration like 30s, 5m, 1h")
    return int(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]
