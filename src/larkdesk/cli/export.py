"""`larkdesk export`: every matching ticket, past the list API's 10,000 cap, from an API
or a local store, into NDJSON, CSV or Parquet; resumable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..client import ClientError
from ..client.http import ParamValue
from ..errors import FeishuError
from ..transfer.export.runner import (
    ExportFailed,
    ExportJob,
    Progress,
    export_from_api,
    export_from_store,
    store_query,
)
from ..transfer.export.sinks import FORMATS, Format
from .options import cli_store, location_of, rate_bar
from .remote import client_for, parse_time, remote_from, remote_options

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
@click.option(
    "--db", help="Read this local store (PATH, sqlite:PATH or postgresql://...), not an API."
)
@click.option("--helpdesk", "local_helpdesk", help="With --db: the helpdesk to export.")
def export_command(**kwargs: Any) -> None:
    """Export every matching ticket (no 10,000 cap) to NDJSON, CSV or Parquet; resumable."""
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
    with rate_bar() as bar, _export_errors(out):
        task = bar.add_task("tickets", total=None)
        progress = Progress(
            total=lambda n: bar.update(task, total=n),
            advance=lambda n: bar.update(task, advance=n),
        )
        if kwargs["db"]:
            helpdesk = kwargs["local_helpdesk"] or kwargs["helpdesk_id"]
            if not helpdesk:
                raise click.UsageError("--db needs --helpdesk ID")
            location = location_of(kwargs["db"])
            job = ExportJob(source=str(location), helpdesk_id=helpdesk, **job_fields)
            store_query(job)  # bad filters: the list API's message, before anything is written
            with cli_store(location) as store:
                result = export_from_store(store, job, progress, kwargs["restart"])
        else:
            remote = remote_from(kwargs)
            job = ExportJob(source=remote.base_url, helpdesk_id=remote.helpdesk_id, **job_fields)
            store_query(job)
            with client_for(remote, kwargs["max_rps"]) as client:
                result = export_from_api(client, job, progress, kwargs["restart"])
    click.echo(f"Exported {result.rows} tickets to {out}", err=True)
    click.echo(
        json.dumps(
            {"exported": result.rows, "out": str(out), "format": job.fmt, "resumed": result.resumed}
        )
    )


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
