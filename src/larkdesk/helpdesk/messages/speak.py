"""Speaking in a ticket's conversation as its guest, one of its agents or the bot: what
Feishu gets from its chat, which larkdesk has not. Used by the operator API
(`POST /larkdesk/v1/tickets/:ticket_id/messages`) and `larkdesk ticket say`.

A guest or agent message goes through `TicketMessages.post` like any other, so it moves
the ticket's response times and `updated_at`, and is announced like the Open API's.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import msgspec

from ...errors import BadRequest, ResourceNotFound
from ..stored import read_stored
from .content import IMAGE, POST, TEXT, StoredMessage, image_content, parse_post, parse_text
from .images import new_image
from .service import ROLES, Draft, Role, TicketMessages

SPOKEN_TYPES = (TEXT, POST, IMAGE)


class SpeakBody(msgspec.Struct):
    """The operator API's body: who speaks, and the message (an image as base64)."""

    as_: str | None = msgspec.field(default=None, name="as")
    msg_type: str | None = None
    content: str | dict[str, Any] | None = None
    image: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Utterance:
    role: Role
    msg_type: str
    content: str | dict[str, Any] | None = None
    image: bytes | None = None
    agent_id: str | None = None


def utterance_of(body: SpeakBody) -> Utterance:
    """Check the operator API's body; the image decoded from base64."""
    role = parse_role(body.as_)
    msg_type = body.msg_type or (IMAGE if body.image is not None else TEXT)
    image = None
    if body.image is not None:
        try:
            image = base64.b64decode(body.image, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("image must be base64 (the image's bytes)") from None
    return Utterance(role, msg_type, body.content, image, body.agent_id)


def parse_role(value: str | None) -> Role:
    """`guest`, `agent` or `bot`; anything else is a `BadRequest` naming `as`."""
    for role in ROLES:
        if value == role:
            return role
    raise BadRequest(f"as must be one of {', '.join(ROLES)}, got {value!r}")


@dataclass
class Speaker:
    """Say something in a ticket's conversation, as a person would in Feishu's chat."""

    messages: TicketMessages

    def say(self, ticket_id: str, said: Utterance, helpdesk_id: str | None = None) -> StoredMessage:
        """Post the utterance into the ticket (of any helpdesk unless one is named)."""
        helpdesk_id = helpdesk_id or self._helpdesk_of(ticket_id)
        if said.msg_type not in SPOKEN_TYPES:
            raise BadRequest(f"msg_type must be one of {', '.join(SPOKEN_TYPES)}")
        if said.msg_type == IMAGE:
            if said.image is None:
                raise BadRequest("image is required for an image message")
            image = new_image(helpdesk_id, said.image)
            draft = Draft(said.role, image_content(image.image_key), (image,), said.agent_id)
        else:
            if said.image is not None:
                raise BadRequest("image goes with msg_type 'image' only")
            if said.content is None:
                raise BadRequest("content is required")
            parse = parse_text if said.msg_type == TEXT else parse_post
            draft = Draft(said.role, parse(said.content), agent_id=said.agent_id)
        return self.messages.post(helpdesk_id, ticket_id, draft)

    def _helpdesk_of(self, ticket_id: str) -> str:
        body = self.messages.store.get_ticket(ticket_id)
        if body is None:
            raise ResourceNotFound(f"there is no ticket {ticket_id!r}")
        return read_stored(body).helpdesk_id or ""
