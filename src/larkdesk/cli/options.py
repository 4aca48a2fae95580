"""The store a CLI command works on: its `--db` option, and opening and closing it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from .settings import default_db
from .store import StoreUnavailable, open_store
from .store.base import Store

db_option = click.option(
    "--db",
    default=default_db,
    show_default="$LARKDESK_DB or ./larkdesk.db",
    help="SQLite file path (sqlite:PATH also accepted), or a postgresql://... URL.",
)


@contextmanager
def cli_store(db: str) -> Iterator[Store]:
    """Open `db` for a command; an unreachable database is one clean error line."""
    try:
        store = open_store(db)
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield store
    finally:
        store.close()
