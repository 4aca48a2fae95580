"""`larkdesk metrics rebuild`: recompute the console's metrics rollups from the tickets."""

from __future__ import annotations

import time

import click

from .options import cli_store, db_option, emit


@click.group("metrics")
def metrics_group() -> None:
    """The console's metrics rollups (docs/metrics.md)."""


@metrics_group.command("rebuild")
@db_option
@click.option("--helpdesk", "helpdesk_id", default=None, help="Only this helpdesk's rollups.")
def metrics_rebuild(db: str, helpdesk_id: str | None) -> None:
    """Recompute the metrics rollups from the stored tickets, in one transaction (writers
    wait for it). They are kept by every ticket write: this is for a database written by
    something else, or to check them."""
    with cli_store(db) as store:
        started = time.monotonic()
        tickets = store.rebuild_metric_rollups(helpdesk_id)
    emit({"tickets": tickets, "seconds": round(time.monotonic() - started, 3)})
