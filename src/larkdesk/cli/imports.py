"""`larkdesk import`: upsert tickets from an NDJSON file."""

from __future__ import annotations

from pathlib import Path

import click

from ..transfer.importer import ImportFailed, import_ndjson
from .options import cli_store, db_option, emit, rate_bar, say


@click.command("import")
@db_option
@click.option("--helpdesk", "helpdesk_id", required=True, help="The helpdesk to import into.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(db: str, helpdesk_id: str, file: Path) -> None:
    """Import tickets from NDJSON (one ticket per line, the API's JSON shape); upsert by id."""
    with cli_store(db) as store, rate_bar(transient=True) as bar:
        lines = bar.add_task("lines read", total=None)
        steps = bar.add_task("links, indexes", total=None, visible=False, rate=False)

        def finishing(done: int, total: int) -> None:  # a big first fill's last third
            bar.update(lines, total=bar.tasks[lines].completed)
            bar.update(steps, completed=done, total=total, visible=True)

        try:
            count = import_ndjson(
                store,
                helpdesk_id,
                file,
                progress=lambda n: bar.update(lines, completed=n),
                finishing=finishing,
            )
        except ImportFailed as exc:
            raise click.ClickException(str(exc)) from None
    say(f"Imported {count} tickets into helpdesk {helpdesk_id}")
    emit({"imported": count, "helpdesk_id": helpdesk_id})
