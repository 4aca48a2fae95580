"""The `larkdesk` command line: thin wrappers over admin, demo, transfer and the server.

Machine-readable results (credentials) go to stdout as one JSON object; everything
meant for people goes to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__, admin, demo
from .cli_store import cli_store, db_option
from .events_cli import app_events, events_group
from .settings import EVENT_LEASE_S, FEISHU_EVENT_RETRY_S, Settings, default_db, parse_seconds
from .store import StoreUnavailable
from .store.base import Store
from .ticket_cli import field_group, ticket_group
from .transfer import ImportFailed, import_ndjson
from .transfer_cli import export_command, sync_command


def _emit(fields: dict[str, Any]) -> None:
    click.echo(json.dumps(fields, ensure_ascii=False))


def _say(text: str) -> None:
    click.echo(text, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="larkdesk")
def main() -> None:
    """larkdesk: a Feishu (Lark) Helpdesk-compatible ticket service you run yourself."""


# -- serve ---------------------------------------------------------------------


def curl_lines(base_url: str, creds: demo.DemoCredentials) -> str:
    """A ready-to-paste pair of commands: fetch a tenant token, list two tickets."""
    from .auth.credentials import encode_helpdesk_header

    body = json.dumps({"app_id": creds.app_id, "app_secret": creds.app_secret})
    helpdesk = encode_helpdesk_header(creds.helpdesk_id, creds.helpdesk_token)
    return (
        f"TOKEN=$(curl -s -X POST {base_url}/open-apis/auth/v3/tenant_access_token/internal "
        f"-H 'Content-Type: application/json' -d '{body}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"tenant_access_token\"])')\n"
        f"curl -s '{base_url}/open-apis/helpdesk/v1/tickets?page_size=2' "
        f"-H \"Authorization: Bearer $TOKEN\" -H 'X-Lark-Helpdesk-Authorization: {helpdesk}'"
    )


def _logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"}
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "larkdesk": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--rate-limit",
    type=click.Choice(["feishu", "off"]),
    default="feishu",
    show_default=True,
    help="feishu: 50/s and 1000/min per app, as Feishu; off: no limit (load tests).",
)
@click.option(
    "--demo", "with_demo", is_flag=True, help="On an empty database, create demo data first."
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    show_default="one per core with --rate-limit off or --redis, else 1",
    help="Worker processes serving the port. Over 1, use --redis so limits hold across them.",
)
@click.option(
    "--redis",
    "redis_url",
    default=lambda: os.environ.get("LARKDESK_REDIS") or None,
    show_default="$LARKDESK_REDIS",
    help="redis://... URL: rate limits and issued tokens shared by every worker using it.",
)
@click.option(
    "--event-retry",
    default=",".join(f"{s:g}" for s in FEISHU_EVENT_RETRY_S),
    show_default=True,
    help="Seconds to wait after each failed event delivery, comma-separated (Feishu's).",
)
@click.option(
    "--event-lease",
    default=EVENT_LEASE_S,
    show_default=True,
    type=click.FloatRange(5, 3600),
    help="Seconds a worker holds an event it is delivering before another may retry it.",
)
def serve(
    db: str,
    host: str,
    port: int,
    rate_limit: str,
    with_demo: bool,
    log_level: str,
    workers: int | None,
    redis_url: str | None,
    event_retry: str,
    event_lease: float,
) -> None:
    """Serve the Feishu Helpdesk v1 API."""
    try:
        retry_s = parse_seconds(event_retry)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--event-retry") from None
    settings = Settings(
        db=db,
        host=host,
        port=port,
        rate_limit="off" if rate_limit == "off" else "feishu",
        log_level=log_level,
        redis=redis_url or None,
        event_retry_s=retry_s,
        event_lease_s=event_lease,
    )
    if workers is None:
        workers = default_workers(settings)
    if workers > 1 and settings.rate_limit != "off" and not settings.redis:
        _say(
            f"warning: {workers} workers without --redis: each worker keeps its own rate "
            f"limits, so an app may make up to {workers}x Feishu's limits."
        )
    with cli_store(db) as store:
        creds = _ensure_demo(store) if with_demo else None
        if creds is not None:
            base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
            click.echo("Demo credentials: " + json.dumps(creds.as_dict()))
            click.echo("Try it:\n" + curl_lines(base, creds))
            sys.stdout.flush()
        if workers == 1:
            _run_server(settings, store)
            return
    _run_workers(settings, workers)


def default_workers(settings: Settings) -> int:
    """One worker per core (at most 8) when the rate limits hold across workers (none, or
    kept in Redis); one otherwise, since each worker would keep its own Feishu limits."""
    if settings.rate_limit == "off" or settings.redis:
        return max(1, min(os.cpu_count() or 1, 8))
    return 1


def _run_server(settings: Settings, store: Store) -> None:
    """Serve in this process, on `store` (already open and migrated)."""
    import uvicorn

    from .app import create_app

    uvicorn.run(
        create_app(settings, store),
        host=settings.host,
        port=settings.port,
        log_config=_logging_config(settings.log_level),
        access_log=False,
        server_header=False,
    )


def _run_workers(settings: Settings, workers: int) -> None:
    """Serve from `workers` processes sharing the port; each rebuilds its settings from env."""
    import uvicorn

    os.environ.update(settings.to_env())
    uvicorn.run(
        "larkdesk.app:create_app_from_env",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=_logging_config(settings.log_level),
        access_log=False,
        server_header=False,
    )


def _ensure_demo(store: Store) -> demo.DemoCredentials | None:
    """The demo's credentials, creating the demo first when the database is empty."""
    creds = demo.demo_credentials(0)
    if store.get_helpdesk(creds.helpdesk_id) is not None:
        _say(f"Demo helpdesk {creds.helpdesk_id} is already in the database; serving it.")
        demo.seed_catalog(store, creds.helpdesk_id, demo.demo_world(0, creds.tenant_key))
        return creds
    if not store.is_empty():
        _say("--demo: the database already holds other data, so no demo data was added.")
        return None
    _say("Creating demo data (1000 tickets)...")
    return demo.seed_demo(store, tickets=1000, seed=0)


# -- demo ------------------------------------------------------------------------


@main.command("demo")
@db_option
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(0, 50_000_000))
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same data.")
def demo_command(db: str, tickets: int, seed: int) -> None:
    """Create a tenant, an app, a helpdesk and N realistic tickets; print the credentials."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with (
        cli_store(db) as store,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_stderr_console(),
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("tickets", total=tickets)
        creds = demo.seed_demo(
            store, tickets=tickets, seed=seed, progress=lambda n: bar.update(task, completed=n)
        )
    _say(f"Demo helpdesk {creds.helpdesk_id} with {tickets} tickets in {db}")
    _emit(creds.as_dict())


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


# -- app / helpdesk -------------------------------------------------------------------


@main.group("app")
def app_group() -> None:
    """Manage apps (self-built apps that call the API)."""


@app_group.command("create")
@db_option
@click.option("--name", required=True, help="The app's name.")
@click.option(
    "--tenant", "tenant_key", help="Put the app in this existing tenant (default: a new one)."
)
@click.option(
    "--scope", "scopes", multiple=True, help="Grant this scope (repeatable). Default: helpdesk:all."
)
def app_create(db: str, name: str, tenant_key: str | None, scopes: tuple[str, ...]) -> None:
    """Create an app; print app_id, app_secret and tenant_key."""
    with cli_store(db) as store:
        try:
            creds = admin.create_app(store, name, tenant_key, scopes or admin.DEFAULT_SCOPES)
        except admin.AdminError as exc:
            raise click.ClickException(str(exc)) from None
    _emit({"app_id": creds.app_id, "app_secret": creds.app_secret, "tenant_key": creds.tenant_key})


@main.group("helpdesk")
def helpdesk_group() -> None:
    """Manage helpdesks."""


@helpdesk_group.command("create")
@db_option
@click.option("--app", "app_id", required=True, help="An app of the tenant the helpdesk joins.")
@click.option("--name", required=True, help="The helpdesk's name.")
def helpdesk_create(db: str, app_id: str, name: str) -> None:
    """Create a helpdesk in the app's tenant; print helpdesk_id and helpdesk_token."""
    with cli_store(db) as store:
        try:
            creds = admin.create_helpdesk(store, app_id, name)
        except admin.AdminError as exc:
            raise click.ClickException(str(exc)) from None
    _emit({"helpdesk_id": creds.helpdesk_id, "helpdesk_token": creds.helpdesk_token})


# -- import -------------------------------------------------------------------------


@main.command("import")
@db_option
@click.option("--helpdesk", "helpdesk_id", required=True, help="The helpdesk to import into.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(db: str, helpdesk_id: str, file: Path) -> None:
    """Import tickets from NDJSON (one ticket per line, the API's JSON shape); upsert by id."""
    with cli_store(db) as store:
        try:
            count = import_ndjson(store, helpdesk_id, file, progress=None)
        except ImportFailed as exc:
            raise click.ClickException(str(exc)) from None
    _say(f"Imported {count} tickets into helpdesk {helpdesk_id}")
    _emit({"imported": count, "helpdesk_id": helpdesk_id})


# -- migrate ------------------------------------------------------------------------


@main.command("migrate")
@click.option(
    "--from",
    "--db",
    "source",
    default=default_db,
    show_default="$LARKDESK_DB or ./larkdesk.db",
    help="The SQLite database to copy (PATH or sqlite:PATH); --db is the same.",
)
@click.option("--to", "target", required=True, help="The postgresql://... database to fill.")
@click.option(
    "--chunk",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Tickets per transaction (a rerun resumes after the last one committed).",
)
def migrate_command(source: str, target: str, chunk: int) -> None:
    """Copy a whole database from SQLite to PostgreSQL; resumable; verifies counts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from .copydb import CopyFailed, copy_database
    from .store import is_postgres_url

    source_path = source.removeprefix("sqlite:")
    if is_postgres_url(source_path) or not Path(source_path).is_file():
        raise click.ClickException(f"--from must name an existing SQLite file, got {source!r}")
    if not is_postgres_url(target):
        raise click.ClickException("--to must be a postgresql://... URL")
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task("tickets", total=None)
        try:
            report = copy_database(
                source_path,
                target,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                chunk_tickets=chunk,
            )
        except (CopyFailed, StoreUnavailable) as exc:
            raise click.ClickException(str(exc)) from None
    for table, (ours, theirs) in report.counts.items():
        _say(f"{'ok' if ours == theirs else 'MISMATCH':>8}  {table}: {ours} -> {theirs}")
    _emit(
        {
            "verified": report.verified,
            "tickets_copied": report.tickets_copied,
            "resumed_after_seq": report.resumed_after_seq,
            "counts": {table: list(pair) for table, pair in report.counts.items()},
        }
    )
    if not report.verified:
        raise click.ClickException("the copy did not verify: counts differ (see above)")


main.add_command(ticket_group)
main.add_command(events_group)
app_group.add_command(app_events)
main.add_command(field_group)
main.add_command(export_command)
main.add_command(sync_command)

logging.getLogger("larkdesk").addHandler(logging.NullHandler())
