"""The message event: `helpdesk.ticket_message.created_v1` for every posted message,
written to the outbox in the message's own transaction (`TicketMessages.announce`)."""

from __future__ import annotations

from functools import partial

from ...events.wire import TicketMessage, message_created
from ...store import outbox
from ...store.base import InTransaction
from .service import PostedMessage


def message_events(posted: PostedMessage) -> list[InTransaction]:
    """The outbox write of the message's event (nothing is sent if no app listens)."""
    message = posted.message
    sender = message.sender
    event = message_created(
        posted.ticket,
        posted.helpdesk_id,
        TicketMessage(
            ticket_message_id=message.ticket_message_id,
            message_id=message.message_id,
            position=str(message.position),
            sender_type=message.sender_type,
            text=message.text,
            content=message.content,
            msg_type=message.msg_type,
            sender_open_id=sender.open_id if sender else None,
        ),
        message.created_at,
    )
    return [partial(outbox.add_events, events=[event])]
