"""`larkdesk console token`: an operator token for signing in to the web console."""

from __future__ import annotations

import click

from ..console.session import Signer
from .options import cli_store, db_option, emit


@click.group("console")
def console_group() -> None:
    """The web console at /console."""


@console_group.command("token")
@db_option
@click.option(
    "--hours",
    type=click.FloatRange(min=0.01, max=24 * 366),
    default=24.0,
    show_default=True,
    help="How long the token signs in.",
)
def console_token(db: str, hours: float) -> None:
    """Print an operator token: it signs in to the console of this database's server and
    sees every helpdesk. Keep it secret; it expires after --hours."""
    with cli_store(db) as store:
        token = Signer(store).operator_token(hours)
    emit({"operator_token": token, "expires_in_hours": hours})
