"""The store a CLI command works on, opened and closed around it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from .store import StoreUnavailable, open_store
from .store.base import Store


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
