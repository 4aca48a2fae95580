"""`larkdesk migrate`: copy a whole database from SQLite to PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..settings import default_db, shown_default
from ..store import PostgresLocation, SqliteLocation, StoreUnavailable
from .options import count_bar, emit, location_of, say

if TYPE_CHECKING:
    from ..transfer.migrate import CopyReport


@click.command("migrate")
@click.option(
    "--from",
    "--db",
    "source",
    default=default_db,
    show_default=shown_default("LARKDESK_DB"),
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
    origin, destination = location_of(source, "--from"), location_of(target, "--to")
    if not isinstance(origin, SqliteLocation) or not Path(origin.path).is_file():
        raise click.ClickException(f"--from must name an existing SQLite file, got {source!r}")
    if not isinstance(destination, PostgresLocation):
        raise click.ClickException("--to must be a postgresql://... URL")
    # Deferred: the copy needs psycopg, which no other command should pay for at start-up.
    from ..transfer.migrate import CopyFailed, copy_database

    with count_bar() as bar:
        task = bar.add_task("tickets", total=None)
        try:
            report = copy_database(
                origin,
                destination,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                chunk_tickets=chunk,
            )
        except (CopyFailed, StoreUnavailable) as exc:
            raise click.ClickException(str(exc)) from None
    _print_report(report)
    if not report.verified:
        raise click.ClickException("the copy did not verify: counts differ (see above)")


def _print_report(report: CopyReport) -> None:
    for table, (ours, theirs) in report.counts.items():
        say(f"{'ok' if ours == theirs else 'MISMATCH':>8}  {table}: {ours} -> {theirs}")
    emit(
        {
            "verified": report.verified,
            "tickets_copied": report.tickets_copied,
            "resumed_after_seq": report.resumed_after_seq,
            "counts": {table: list(pair) for table, pair in report.counts.items()},
        }
    )
