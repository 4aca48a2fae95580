"""`larkdesk import`: upsert tickets from an NDJSON file."""

from __future__ import annotations

from pathlib import Path

import click

from ..transfer.importer import ImportFailed, import_ndjson
from .options import cli_store, db_option, emit, say


@click.command("import")
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
    say(f"Imported {count} tickets into helpdesk {helpdesk_id}")
    emit({"imported": count, "helpdesk_id": helpdesk_id})
