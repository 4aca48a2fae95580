"""`larkdesk app create`: a self-built app that calls the API."""

from __future__ import annotations

import click

from ..auth import provision
from .options import cli_store, db_option, emit


@click.group("app")
def app_group() -> None:
    """Manage apps (self-built apps that call the API)."""


@app_group.command("create")
@db_option
@click.option("--name", required=True, help="The app's name.")
@click.option(
    "--tenant", "tenant_key", help="Put the app in this existing tenant (default: a new one)."
)
@click.option(
    "--scope", "scopes", multiple=True, help="Grant this scope (repeatable). Default: helpdesk:all."
)
def app_create(db: str, name: str, tenant_key: str | None, scopes: tuple[str, ...]) -> None:
    """Create an app; print app_id, app_secret and tenant_key."""
    with cli_store(db) as store:
        try:
            creds = provision.create_app(
                store, name, tenant_key, scopes or provision.DEFAULT_SCOPES
            )
        except provision.ProvisionError as exc:
            raise click.ClickException(str(exc)) from None
    emit({"app_id": creds.app_id, "app_secret": creds.app_secret, "tenant_key": creds.tenant_key})
