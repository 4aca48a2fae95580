"""`larkdesk serve`: serve the API, in this process or in worker processes."""

from __future__ import annotations

import json
import os
import sys

import click

from .. import demo
from ..auth.credentials import encode_helpdesk_header
from ..server.limits import HEAD_TIMEOUT_SECONDS, HttpImplementation, WireLimits, WireOptions
from ..server.run import run_server, run_workers
from ..settings import (
    Settings,
    from_environment,
    metrics_token,
    operator_token,
    parse_seconds,
    shown_default,
)
from ..store.base import Store
from ..transfer.publish import recover_at_start
from .options import cli_store, db_option, say


def curl_lines(base_url: str, creds: demo.DemoCredentials) -> str:
    """A ready-to-paste pair of commands: fetch a tenant token, list two tickets."""
    body = json.dumps({"app_id": creds.app_id, "app_secret": creds.app_secret})
    helpdesk = encode_helpdesk_header(creds.helpdesk_id, creds.helpdesk_token)
    return (
        f"TOKEN=$(curl -s -X POST {base_url}/open-apis/auth/v3/tenant_access_token/internal "
        f"-H 'Content-Type: application/json' -d '{body}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"tenant_access_token\"])')\n"
        f"curl -s '{base_url}/open-apis/helpdesk/v1/tickets?page_size=2' "
        f"-H \"Authorization: Bearer $TOKEN\" -H 'X-Lark-Helpdesk-Authorization: {helpdesk}'"
    )


@click.command()
@db_option
@click.option(
    "--host",
    default=from_environment("LARKDESK_HOST"),
    show_default=shown_default("LARKDESK_HOST"),
    help="Address to listen on (not loopback: GET /metrics needs $LARKDESK_METRICS_TOKEN).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--rate-limit",
    type=click.Choice(["feishu", "off"]),
    default=from_environment("LARKDESK_RATE_LIMIT"),
    show_default=shown_default("LARKDESK_RATE_LIMIT"),
    help="feishu: 50/s and 1000/min per app, as Feishu; off: no limit (load tests).",
)
@click.option(
    "--wire",
    "wire_shape",
    type=click.Choice(["documented", "observed"]),
    default=from_environment("LARKDESK_WIRE"),
    show_default=shown_default("LARKDESK_WIRE"),
    help="Ticket shape of list and get: documented (Feishu's document) or observed "
    "(comments and dissatisfaction_reason as arrays, as Feishu's service has sent them).",
)
@click.option(
    "--demo", "with_demo", is_flag=True, help="On an empty database, create demo data first."
)
@click.option(
    "--log-level",
    default=from_environment("LARKDESK_LOG_LEVEL"),
    show_default=shown_default("LARKDESK_LOG_LEVEL"),
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
    default=from_environment("LARKDESK_REDIS"),
    show_default=shown_default("LARKDESK_REDIS"),
    help="redis://... URL: rate limits and issued tokens shared by every worker using it.",
)
@click.option(
    "--http",
    "http_parser",
    type=click.Choice(["httptools", "h11"]),
    default="httptools",
    show_default=True,
    help="uvicorn's HTTP/1.1 parser (both hardened alike; h11 is pure Python).",
)
@click.option(
    "--read-timeout",
    type=click.FloatRange(0.1, 3600),
    default=HEAD_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds a request's headers, and then its body, may take to arrive (slow clients).",
)
@click.option(
    "--event-retry",
    default=from_environment("LARKDESK_EVENT_RETRY"),
    show_default=shown_default("LARKDESK_EVENT_RETRY"),
    help="Seconds to wait after each failed event delivery, comma-separated (Feishu's).",
)
@click.option(
    "--event-lease",
    default=from_environment("LARKDESK_EVENT_LEASE"),
    show_default=shown_default("LARKDESK_EVENT_LEASE"),
    type=click.FloatRange(5, 3600),
    help="Seconds a worker holds an event it is delivering before another may retry it.",
)
@click.option(
    "--event-keep-days",
    default=from_environment("LARKDESK_EVENT_KEEP_DAYS"),
    show_default=shown_default("LARKDESK_EVENT_KEEP_DAYS"),
    type=click.FloatRange(0),
    help="Days delivered events stay in the outbox for `events log` (0: forever).",
)
@click.option(
    "--log-format",
    type=click.Choice(["plain", "json"]),
    default=from_environment("LARKDESK_LOG_FORMAT"),
    show_default=shown_default("LARKDESK_LOG_FORMAT"),
    help="plain: one text line per record; json: one JSON object per line.",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(0, 3600),
    default=from_environment("LARKDESK_GRACEFUL_TIMEOUT"),
    show_default=shown_default("LARKDESK_GRACEFUL_TIMEOUT"),
    help="On SIGTERM, seconds requests and then event deliveries in flight may take.",
)
def serve(
    db: str,
    host: str,
    port: int,
    rate_limit: str,
    wire_shape: str,
    with_demo: bool,
    log_level: str,
    workers: int | None,
    redis_url: str | None,
    http_parser: HttpImplementation,
    read_timeout: float,
    event_retry: str,
    event_lease: float,
    event_keep_days: float,
    log_format: str,
    graceful_timeout: float,
) -> None:
    """Serve the Feishu Helpdesk v1 API."""
    try:
        retry_s = parse_seconds(event_retry)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--event-retry") from None
    wire = WireOptions(
        http_parser, WireLimits(head_timeout=read_timeout, body_timeout=read_timeout)
    )
    settings = Settings(
        db=db,
        host=host,
        port=port,
        rate_limit="off" if rate_limit == "off" else "feishu",
        wire="observed" if wire_shape == "observed" else "documented",
        log_level=log_level,
        redis=redis_url or None,
        operator_token=operator_token(),
        event_retry_s=retry_s,
        event_lease_s=event_lease,
        event_keep_days=event_keep_days,
        log_format="json" if log_format == "json" else "plain",
        graceful_timeout_s=graceful_timeout,
        metrics_token=metrics_token(),
    )
    if workers is None:
        workers = default_workers(settings)
    if workers > 1 and settings.rate_limit != "off" and not settings.redis:
        say(
            f"warning: {workers} workers without --redis: each worker keeps its own rate "
            f"limits, so an app may make up to {workers}x Feishu's limits."
        )
    with cli_store(db) as store:
        undone = recover_at_start(store)
        if undone is not None:
            say(undone)
        creds = ensure_demo(store) if with_demo else None
        if creds is not None:
            base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
            click.echo("Demo credentials: " + json.dumps(creds.as_dict()))
            click.echo("Try it:\n" + curl_lines(base, creds))
            sys.stdout.flush()
        if workers == 1:
            run_server(settings, store, wire)
            return
    run_workers(settings, workers, wire)


def default_workers(settings: Settings) -> int:
    """One worker per core (at most 8) when the rate limits hold across workers (none, or
    kept in Redis); one otherwise, since each worker would keep its own Feishu limits."""
    if settings.rate_limit == "off" or settings.redis:
        return max(1, min(os.cpu_count() or 1, 8))
    return 1


def ensure_demo(store: Store) -> demo.DemoCredentials | None:
    """The demo's credentials, creating the demo first when the database is empty."""
    creds = demo.demo_credentials(0)
    if store.get_helpdesk(creds.helpdesk_id) is not None:
        say(f"Demo helpdesk {creds.helpdesk_id} is already in the database; serving it.")
        demo.seed_catalog(store, creds.helpdesk_id, demo.demo_world(0, creds.tenant_key))
        return creds
    if not store.is_empty():
        say("--demo: the database already holds other data, so no demo data was added.")
        return None
    say("Creating demo data (1000 tickets)...")
    return demo.seed_demo(store, tickets=1000, seed=0)
