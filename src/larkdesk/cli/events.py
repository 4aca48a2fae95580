"""`larkdesk app events`: an app's event settings (request URL, verification token, encrypt
key, mode, enabled types); `larkdesk events log`: every delivery attempt; `larkdesk
events purge`: remove delivered events past their retention.

`app events` prints the settings as one JSON object on stdout (the verification token
included: the receiver needs it; the encrypt key never, as the user gave it); a URL that
fails the challenge is an error saying why.
"""

from __future__ import annotations

import dataclasses
import datetime
import json

import click

from ..events.apps import EventChange, EventSettingsError, configure_events
from ..events.retention import purge_events
from ..events.types import EVENT_TYPES
from ..store.event_records import LONG_CONNECTION, WEBHOOK, EventLogEntry, EventSettings
from .options import cli_store, db_option

_MODES = {"webhook": WEBHOOK, "long-connection": LONG_CONNECTION}


@click.command("events")
@db_option
@click.argument("app_id")
@click.option("--url", help="Request URL; it must pass the challenge (answer within 1 s).")
@click.option("--encrypt-key", help='Encrypt deliveries with this key ("" for none).')
@click.option("--mode", type=click.Choice(sorted(_MODES)), help="Delivery mode.")
@click.option(
    "--event",
    "event_types",
    multiple=True,
    type=click.Choice(EVENT_TYPES),
    help="Enable this event type (repeatable; replaces the list). Default: all.",
)
@click.option("--verification-token", help="Use this token (default: one made for the app).")
def app_events(
    db: str,
    app_id: str,
    url: str | None,
    encrypt_key: str | None,
    mode: str | None,
    event_types: tuple[str, ...],
    verification_token: str | None,
) -> None:
    """Show or change an app's event settings; print them (with the verification token)."""
    change = EventChange(
        url=url,
        encrypt_key=encrypt_key,
        mode=_MODES[mode] if mode else None,
        event_types=event_types or None,
        verification_token=verification_token,
    )
    with cli_store(db) as store:
        try:
            settings = configure_events(store, app_id, change)
        except EventSettingsError as exc:
            saved = store.get_event_settings(app_id)
            token = f" (verification token: {saved.verification_token})" if saved else ""
            raise click.ClickException(f"{exc}{token}") from None
    click.echo(json.dumps(_shown(settings)))


def _shown(settings: EventSettings) -> dict[str, object]:
    shown = dataclasses.asdict(settings)
    shown["encrypt_key"] = bool(settings.encrypt_key)  # set or not; never the key itself
    shown["mode"] = next(name for name, mode in _MODES.items() if mode == settings.mode)
    shown["event_types"] = list(settings.event_types)
    return shown


@click.group("events")
def events_group() -> None:
    """Helpdesk event deliveries."""


@events_group.command("log")
@db_option
@click.option("--app", "app_id", help="Only deliveries to this app.")
@click.option("--failed", is_flag=True, help="Only failing ones: given up, or retrying.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event.")
def events_log(db: str, app_id: str | None, failed: bool, limit: int, as_json: bool) -> None:
    """Recent deliveries, newest first: each attempt's time, HTTP status and latency."""
    with cli_store(db) as store:
        entries = store.event_log(app_id, failed, limit)
    for entry in entries:
        click.echo(json.dumps(dataclasses.asdict(entry)) if as_json else _text(entry))


@events_group.command("purge")
@db_option
@click.option(
    "--keep-days",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Keep events created within this many days.",
)
def events_purge(db: str, keep_days: float) -> None:
    """Remove delivered (or given-up) events older than --keep-days, with their attempts;
    pending ones stay. `serve` does this hourly (--event-keep-days). Prints {"removed": N}."""
    with cli_store(db) as store:
        removed = purge_events(store, keep_days)
    click.echo(json.dumps({"removed": removed}))


def _when(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _text(entry: EventLogEntry) -> str:
    lines = [
        f"{entry.event_id}  {entry.event_type}  app {entry.app_id}  helpdesk"
        f" {entry.helpdesk_id}  {entry.state}  created {_when(entry.created_at)}"
    ]
    for a in entry.attempts:
        status = str(a.status) if a.status else "---"
        error = f"  {a.error}" if a.error else ""
        lines.append(f"  #{a.attempt}  {_when(a.at)}  HTTP {status}  {a.latency_ms} ms{error}")
    return "\n".join(lines)
