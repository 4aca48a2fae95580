"""`larkdesk ticket say`: speak in a ticket's conversation as its guest, an agent or the
bot, as a person would in Feishu's chat (larkdesk has no chat). The same rules as the
operator API (`helpdesk.messages.speak`); prints each message written as one JSON line.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import FeishuError
from ..helpdesk.messages.content import IMAGE, TEXT, StoredMessage
from ..helpdesk.messages.service import ROLES, TicketMessages
from ..helpdesk.messages.speak import Speaker, Utterance, parse_role
from .options import cli_store, db_option


def _printed(message: StoredMessage) -> str:
    return json.dumps(
        {
            "message_id": message.message_id,
            "ticket_message_id": message.ticket_message_id,
            "position": message.position,
            "msg_type": message.msg_type,
            "created_at": message.created_at,
        }
    )


@click.command("say")
@db_option
@click.option("--helpdesk", "helpdesk_id", help="Only a ticket of this helpdesk (default: any).")
@click.option(
    "--as", "role", type=click.Choice(ROLES), required=True, help="Who speaks in the ticket."
)
@click.option("--agent", "agent_id", help="Which of the ticket's agents (default: its owner).")
@click.option(
    "--image",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send this image file (PNG, JPEG, GIF, WebP, BMP, TIFF; up to 10 MiB) first.",
)
@click.argument("ticket_id")
@click.argument("text", required=False)
def say_command(
    db: str,
    helpdesk_id: str | None,
    role: str,
    agent_id: str | None,
    image: Path | None,
    ticket_id: str,
    text: str | None,
) -> None:
    """Say TEXT (and/or send --image) in the ticket's conversation; print each message."""
    if text is None and image is None:
        raise click.UsageError("give TEXT, --image FILE, or both")
    speaking = parse_role(role)
    said = []
    if image is not None:
        said.append(Utterance(speaking, IMAGE, image=image.read_bytes(), agent_id=agent_id))
    if text is not None:
        said.append(Utterance(speaking, TEXT, text, agent_id=agent_id))
    with cli_store(db) as store:
        speaker = Speaker(TicketMessages(store))
        for utterance in said:
            try:
                message = speaker.say(ticket_id, utterance, helpdesk_id)
            except FeishuError as exc:
                raise click.ClickException(exc.message) from None
            click.echo(_printed(message))
