"""`larkdesk ticket get|update`: one ticket, for people without an API client at hand.

Both print the ticket's JSON (the API's shape, exactly as `GET .../tickets/:id` answers
`data.ticket`) on stdout; an update goes through the same rules as `PUT`.
"""

from __future__ import annotations

import click

from ..errors import FeishuError
from ..helpdesk.models import CustomizedFieldDisplayItem
from ..helpdesk.tickets.bodies import UpdateTicketBody, check_update
from ..helpdesk.tickets.lifecycle import TicketLifecycle
from ..store.base import Actor
from .options import cli_store, db_option

_helpdesk = click.option(
    "--helpdesk", "helpdesk_id", help="Only a ticket of this helpdesk (default: any)."
)


def _field(text: str) -> CustomizedFieldDisplayItem:
    field_id, sep, value = text.partition("=")
    if not sep or not field_id:
        raise click.BadParameter(f"expected FIELD_ID=VALUE, got {text!r}", param_hint="--field")
    return CustomizedFieldDisplayItem(id=field_id, value=value)


def _run(db: str, ticket_id: str, helpdesk_id: str | None, change: UpdateTicketBody | None) -> None:
    with cli_store(db) as store:
        lifecycle = TicketLifecycle(store)
        try:
            helpdesk_id = helpdesk_id or lifecycle.helpdesk_of(ticket_id)
            if change is None:
                body = lifecycle.get_ticket(helpdesk_id, ticket_id)
            else:
                by = Actor("operator", source="cli")
                body = lifecycle.update_ticket(
                    helpdesk_id, ticket_id, check_update(change), None, by
                )
        except FeishuError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(body.decode("utf-8"))


@click.group("ticket")
def ticket_group() -> None:
    """Read or change one ticket."""


@ticket_group.command("get")
@db_option
@_helpdesk
@click.argument("ticket_id")
def ticket_get(db: str, helpdesk_id: str | None, ticket_id: str) -> None:
    """Print the ticket's JSON."""
    _run(db, ticket_id, helpdesk_id, None)


@ticket_group.command("update")
@db_option
@_helpdesk
@click.option("--status", type=int, help="1-5 open; closed: 50 bot, 51 agent, 52 user.")
@click.option("--tag", "tags", multiple=True, help="Set the tags to these names (repeatable).")
@click.option("--clear-tags", is_flag=True, help="Remove every tag.")
@click.option("--comment", help="Add a comment (the ticket shows the latest).")
@click.option("--field", "fields", multiple=True, help="FIELD_ID=VALUE (repeatable; empty clears).")
@click.option("--type", "ticket_type", type=int, help="1 bot, 2 human.")
@click.option("--solved", type=int, help="1 unsolved, 2 solved.")
@click.option("--channel", type=int, help="The channel number.")
@click.argument("ticket_id")
def ticket_update(
    db: str,
    helpdesk_id: str | None,
    status: int | None,
    tags: tuple[str, ...],
    clear_tags: bool,
    comment: str | None,
    fields: tuple[str, ...],
    ticket_type: int | None,
    solved: int | None,
    channel: int | None,
    ticket_id: str,
) -> None:
    """Change the ticket as PUT /open-apis/helpdesk/v1/tickets/:id does; print its JSON."""
    if tags and clear_tags:
        raise click.UsageError("--tag and --clear-tags exclude each other")
    change = UpdateTicketBody(
        status=status,
        tag_names=[] if clear_tags else list(tags) or None,
        comment=comment,
        customized_fields=[_field(f) for f in fields] or None,
        ticket_type=ticket_type,
        solved=solved,
        channel=channel,
    )
    _run(db, ticket_id, helpdesk_id, change)
