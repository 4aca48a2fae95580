"""`larkdesk helpdesk create`: a helpdesk in an app's tenant."""

from __future__ import annotations

import click

from ..auth import provision
from .options import cli_store, db_option, emit


@click.group("helpdesk")
def helpdesk_group() -> None:
    """Manage helpdesks."""


@helpdesk_group.command("create")
@db_option
@click.option("--app", "app_id", required=True, help="An app of the tenant the helpdesk joins.")
@click.option("--name", required=True, help="The helpdesk's name.")
def helpdesk_create(db: str, app_id: str, name: str) -> None:
    """Create a helpdesk in the app's tenant; print helpdesk_id and helpdesk_token."""
    with cli_store(db) as store:
        try:
            creds = provision.create_helpdesk(store, app_id, name)
        except provision.ProvisionError as exc:
            raise click.ClickException(str(exc)) from None
    emit({"helpdesk_id": creds.helpdesk_id, "helpdesk_token": creds.helpdesk_token})
