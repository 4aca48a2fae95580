"""What `export` and `sync` share: the remote helpdesk's options and credentials, a
client for it, and parsing of times and durations."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..client import FeishuClient
from ..transfer.remote import CONFIG_ENV, ENV, Remote, RemoteConfigError, resolve_remote


def remote_options(url_flag: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--base-url/--from, the app and helpdesk credentials, and --config."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        secret = "; prefer the variable or --config (a flag shows in `ps`)"
        options = [
            click.option(
                url_flag,
                "base_url",
                envvar=ENV["base_url"],
                show_envvar=True,
                help="The API's base URL [default: https://open.feishu.cn].",
            ),
            click.option("--app-id", envvar=ENV["app_id"], show_envvar=True, help="App id."),
            click.option(
                "--app-secret",
                envvar=ENV["app_secret"],
                show_envvar=True,
                help="App secret" + secret,
            ),
            click.option(
                "--helpdesk-id", envvar=ENV["helpdesk_id"], show_envvar=True, help="Helpdesk id."
            ),
            click.option(
                "--helpdesk-token",
                envvar=ENV["helpdesk_token"],
                show_envvar=True,
                help="Helpdesk token" + secret,
            ),
            click.option(
                "--config",
                type=click.Path(dir_okay=False, path_type=Path),
                envvar=CONFIG_ENV,
                show_envvar=True,
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
    if value.isdigit():
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
