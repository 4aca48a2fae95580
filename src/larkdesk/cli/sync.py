"""`larkdesk sync`: mirror a Feishu (or larkdesk) helpdesk into a local store,
incrementally, once or every so often."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from ..client import (
    AuthenticationFailed,
    ClientError,
    FeishuClient,
    InvalidRequest,
    PermissionDenied,
)
from ..settings import default_db, shown_default
from ..store.base import Store
from ..transfer.remote import Remote
from ..transfer.sync import SyncFailed, SyncReport, sync_once
from .options import cli_store, rate_bar
from .remote import client_for, parse_duration, remote_from, remote_options


@click.command("sync")
@remote_options("--from")
@click.option(
    "--db",
    default=default_db,
    show_default=shown_default("LARKDESK_DB"),
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
    remote = remote_from(kwargs)
    every = parse_duration(kwargs["every"]) if kwargs["every"] else None
    overlap_ms = parse_duration(kwargs["overlap"]) * 1000
    with cli_store(kwargs["db"]) as store, client_for(remote, kwargs["max_rps"]) as client:
        try:
            _sync_runs(client, store, remote, overlap_ms, every)
        except KeyboardInterrupt:
            click.echo("\ninterrupted: what was stored stays; the next run goes on", err=True)
            raise SystemExit(130) from None


def _sync_runs(
    client: FeishuClient, store: Store, remote: Remote, overlap_ms: int, every: int | None
) -> None:
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
    with rate_bar(transient=True) as bar:
        task = bar.add_task("synced", total=None)
        return sync_once(client, store, remote, overlap_ms, lambda n: bar.update(task, advance=n))


def _fatal(exc: ClientError) -> bool:
    return isinstance(exc, AuthenticationFailed | PermissionDenied | InvalidRequest)
