"""`larkdesk export` and `larkdesk sync`: thin wrappers over larkdesk.export and .sync."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli_store import cli_store
from .client import ClientError, FeishuClient
from .client.http import ParamValue
from .errors import FeishuError
from .export.runner import ExportFailed, ExportJob, Progress, store_query
from .export.sinks import FORMATS, Format
from .remote import CONFIG_ENV, ENV, Remote, RemoteConfigError, resolve_remote
from .settings import default_db
from .store.base import Store

if TYPE_CHECKING:
    from .sync import SyncReport

FILTERS: tuple[tuple[str, str, Any, bool, str], ...] = (
    ("--ticket-id", "ticket_id", str, False, "exact ticket id"),
    ("--agent-id", "agent_id", str, False, "has this agent"),
    ("--closed-by-id", "closed_by_id", str, False, "closed by this user"),
    ("--type", "type", int, False, "ticket_type: 1 bot, 2 human"),
    ("--channel", "channel", int, False, "channel"),
    ("--solved", "solved", int, False, "1 unsolved, 2 solved"),
    ("--score", "score", int, False, "1 unsatisfied, 2 neutral, 3 satisfied"),
    ("--status", "status_list", int, True, "status (repeatable: any of them)"),
    ("--guest-name", "guest_name", str, False, "guest name contains (case-insensitive)"),
    ("--guest-id", "guest_id", str, False, "guest id"),
    ("--tag", "tags", str, True, "carries this tag (repeatable: any of them)"),
)


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


def _remote(kwargs: dict[str, Any]) -> Remote:
    names = ("base_url", "app_id", "app_secret", "helpdesk_id", "helpdesk_token")
    warnings: list[str] = []
    try:
        remote = resolve_remote({n: kwargs.get(n) for n in names}, kwargs.get("config"), warnings)
    except RemoteConfigError as exc:
        raise click.UsageError(str(exc)) from None
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    return remote


def _client(remote: Remote, max_rps: int) -> FeishuClient:
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


def _rich_progress(transient: bool = False) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:,.0f} tickets/s")

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def _format_of(out: Path, fmt: str | None) -> Format:
    if fmt is not None:
        return fmt  # type: ignore[return-value]  # click.Choice(FORMATS)
    suffix = out.suffix.lower().lstrip(".")
    return suffix if suffix in ("csv", "parquet") else "ndjson"  # type: ignore[return-value]


def _filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for flag, _name, kind, many, text in reversed(FILTERS):
        command = click.option(flag, type=kind, multiple=many, help=f"Filter: {text}.")(command)
    return command


def filters_from(kwargs: dict[str, Any]) -> dict[str, ParamValue]:
    """The list API's query parameters from the filter flags that were given."""
    found: dict[str, ParamValue] = {}
    for flag, name, _kind, many, _text in FILTERS:
        value = kwargs.get(flag.lstrip("-").replace("-", "_"))
        if value is not None and value != ():
            found[name] = list(value) if many else value
    return found


@click.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (its checkpoint goes beside it).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="ndjson, csv or parquet [default: from --out's suffix, else ndjson].",
)
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (for Excel).")
@click.option("--restart", is_flag=True, help="Ignore a checkpoint and start over.")
@click.option("--since", help="From this time (ms, or ISO date/date-time, UTC) [default: 0].")
@click.option("--until", help="Up to this time, inclusive; a date means its end [default: now].")
@click.option(
    "--by",
    type=click.Choice(["create", "update"]),
    default="create",
    show_default=True,
    help="Which time --since/--until and the windows use.",
)
@_filter_options
@remote_options("--base-url")
@click.option("--db", help="Read this local store (PATH or postgresql://...) instead of an API.")
@click.option("--helpdesk", "local_helpdesk", help="With --db: the helpdesk to export.")
def export_command(**kwargs: Any) -> None:
    """Export every matching ticket (no 10,000 cap) to NDJSON, CSV or Parquet; resumable."""
    from .export.runner import export_from_api, export_from_store

    out: Path = kwargs["out"]
    job_fields = {
        "out": out,
        "fmt": _format_of(out, kwargs["fmt"]),
        "bom": kwargs["bom"],
        "filters": filters_from(kwargs),
        "since": parse_time(kwargs["since"]) if kwargs["since"] else 0,
        "until": parse_time(kwargs["until"], end_of_day=True) if kwargs["until"] else None,
        "by": kwargs["by"],
    }
    with _rich_progress() as bar, _export_errors(out):
        task = bar.add_task("tickets", total=None)
        progress = Progress(
            total=lambda n: bar.update(task, total=n),
            advance=lambda n: bar.update(task, advance=n),
        )
        if kwargs["db"]:
            helpdesk = kwargs["local_helpdesk"] or kwargs["helpdesk_id"]
            if not helpdesk:
                raise click.UsageError("--db needs --helpdesk ID")
            job = ExportJob(source=_redacted(kwargs["db"]), helpdesk_id=helpdesk, **job_fields)
            store_query(job)  # bad filters: the list API's message, before anything is written
            with cli_store(kwargs["db"]) as store:
                result = export_from_store(store, job, progress, kwargs["restart"])
        else:
            remote = _remote(kwargs)
            job = ExportJob(source=remote.base_url, helpdesk_id=remote.helpdesk_id, **job_fields)
            store_query(job)
            with _client(remote, kwargs["max_rps"]) as client:
                result = export_from_api(client, job, progress, kwargs["restart"])
    click.echo(f"Exported {result.rows} tickets to {out}", err=True)
    click.echo(
        json.dumps(
            {"exported": result.rows, "out": str(out), "format": job.fmt, "resumed": result.resumed}
        )
    )


def _redacted(db: str) -> str:
    from .store import is_postgres_url

    if is_postgres_url(db):
        from .store.postgres import redact

        return redact(db)
    return db


@contextmanager
def _export_errors(out: Path) -> Iterator[None]:
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: run the same command again to resume {out}", err=True)
        raise SystemExit(130) from None
    except (ClientError, ExportFailed, OSError, FeishuError) as exc:
        message = exc.message if isinstance(exc, FeishuError) else str(exc)
        raise click.ClickException(message) from None


@click.command("sync")
@remote_options("--from")
@click.option(
    "--db",
    default=default_db,
    show_default="$LARKDESK_DB or ./larkdesk.db",
    help="The local store to mirror into (PATH or postgresql://...).",
)
@click.option("--every", help="Run again after this long (30s, 5m, 1h) until Ctrl-C.")
@click.option(
    "--overlap",
    default="5m",
    show_default=True,
    help="Each run re-reads this much before the last one began.",
)
def sync_command(**kwargs: Any) -> None:
    """Mirror a Feishu (or larkdesk) helpdesk into a local store, incrementally."""
    remote = _remote(kwargs)
    every = parse_duration(kwargs["every"]) if kwargs["every"] else None
    overlap_ms = parse_duration(kwargs["overlap"]) * 1000
    with cli_store(kwargs["db"]) as store, _client(remote, kwargs["max_rps"]) as client:
        try:
            _sync_runs(client, store, remote, overlap_ms, every)
        except KeyboardInterrupt:
            click.echo("\ninterrupted: what was stored stays; the next run goes on", err=True)
            raise SystemExit(130) from None


def _sync_runs(
    client: FeishuClient, store: Store, remote: Remote, overlap_ms: int, every: int | None
) -> None:
    from .sync import SyncFailed

    while True:
        try:
            report = _sync_with_bar(client, store, remote, overlap_ms)
        except (ClientError, SyncFailed) as exc:
            if every is None or (isinstance(exc, ClientError) and _fatal(exc)):
                raise click.ClickException(str(exc)) from None
            click.echo(f"sync failed, next run in {every}s: {exc}", err=True)
        else:
            summary = {
                "helpdesk_id": remote.helpdesk_id,
                "first_pass": report.first_pass,
                "fetched": report.fetched,
                "stored": report.stored,
                "skipped": report.skipped,
                "high_water_ms": report.high_water_ms,
                "fields": report.fields,
            }
            click.echo(json.dumps(summary))
        if every is None:
            return
        time.sleep(every)


def _sync_with_bar(
    client: FeishuClient, store: Store, remote: Remote, overlap_ms: int
) -> SyncReport:
    from .sync import sync_once

    with _rich_progress(transient=True) as bar:
        task = bar.add_task("synced", total=None)
        return sync_once(client, store, remote, overlap_ms, lambda n: bar.update(task, advance=n))


def _fatal(exc: ClientError) -> bool:
    from .client import AuthenticationFailed, InvalidRequest, PermissionDenied

    return isinstance(exc, AuthenticationFailed | PermissionDenied | InvalidRequest)
