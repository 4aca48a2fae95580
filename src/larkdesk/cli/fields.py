"""`larkdesk field create`: a custom field for a helpdesk, which tickets'
`customized_fields` can then set. Prints the definition as `ticket_customized_fields`
lists it.
"""

from __future__ import annotations

import click

from ..errors import FeishuError
from ..helpdesk.fields.bodies import encode_definition
from ..helpdesk.fields.rules import FIELD_TYPES
from ..helpdesk.fields.service import define_field
from .options import cli_store, db_option


@click.group("field")
def field_group() -> None:
    """Define a helpdesk's custom fields (what tickets' customized_fields hold)."""


@field_group.command("create")
@db_option
@click.option("--helpdesk", "helpdesk_id", required=True, help="The helpdesk to add it to.")
@click.option("--key-name", required=True, help="The field's key, unique in the helpdesk.")
@click.option("--display-name", required=True, help="The name people see.")
@click.option(
    "--type",
    "field_type",
    type=click.Choice(FIELD_TYPES),
    default="text",
    show_default=True,
    help="Free text, or a dropdown of --option values.",
)
@click.option("--option", "options", multiple=True, help="A dropdown value (repeatable).")
@click.option("--required", is_flag=True, help="Mark the field required.")
@click.option("--read-only", is_flag=True, help="Not editable: updates may not set it.")
def field_create(
    db: str,
    helpdesk_id: str,
    key_name: str,
    display_name: str,
    field_type: str,
    options: tuple[str, ...],
    required: bool,
    read_only: bool,
) -> None:
    """Add a custom field to the helpdesk; print its definition's JSON."""
    with cli_store(db) as store:
        try:
            definition = define_field(
                store,
                helpdesk_id,
                key_name,
                display_name,
                field_type,
                options,
                required,
                editable=not read_only,
            )
        except FeishuError as exc:
            raise click.ClickException(exc.detail or exc.message) from None
    click.echo(encode_definition(definition).decode("utf-8"))
