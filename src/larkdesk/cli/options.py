"""What every command shares: the `--db` option and opening its store, how results and
messages are printed, and progress bars on stderr.

Machine-readable results (credentials, counts) go to stdout as one JSON object; everything
meant for people goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
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

from ..settings import default_db, shown_default
from ..store import InvalidLocation, Location, StoreUnavailable, open_store, parse_location
from ..store.base import Store

db_option = click.option(
    "--db",
    default=default_db,
    show_default=shown_default("LARKDESK_DB"),
    help="SQLite file path (sqlite:PATH also accepted), or a postgresql://... URL.",
)


def location_of(text: str, flag: str = "--db") -> Location:
    """The database `text` names; anything else is one clean error line."""
    try:
        return parse_location(text)
    except InvalidLocation as exc:
        raise click.ClickException(f"{flag}: {exc}") from None


@contextmanager
def cli_store(db: str | Location) -> Iterator[Store]:
    """Open `db` for a command; a bad or unreachable database is one clean error line."""
    try:
        store = open_store(location_of(db) if isinstance(db, str) else db)
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield store
    finally:
        store.close()


def emit(fields: dict[str, Any]) -> None:
    """The command's result: one JSON object on stdout."""
    click.echo(json.dumps(fields, ensure_ascii=False))


def say(text: str) -> None:
    """A line for people, on stderr."""
    click.echo(text, err=True)


class _Rate(ProgressColumn):
    """Tickets a second; nothing for a task added with `rate=False` (steps, not tickets)."""

    def render(self, task: Any) -> Text:
        if not task.fields.get("rate", True):
            return Text("")
        return Text(f"{task.finished_speed or task.speed or 0:,.0f} tickets/s")


def count_bar(transient: bool = False) -> Progress:
    """A progress bar on stderr: count of total and time left."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )


def rate_bar(transient: bool = False) -> Progress:
    """A progress bar on stderr with the rate (tickets/s) and the time taken so far."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=transient,
    )
