"""What a ticket update does to a ticket, as pure functions on the wire model.

Decisions where Feishu's documents are silent (docs/api.md repeats them):
- closing (50, 51, 52) from an open status sets `closed_at` to the update's time; moving
  between closed statuses keeps it; an open status reopens (no `closed_at`, `closed_by`);
- `closed_by`: 51 (closed by an agent) is the user acting through a user access token
  (`u-`), else the ticket's `agent_owner`, else its first agent (none when no agent ever
  entered); 52 (closed by the user) is the guest; 50 (closed by the bot) has none;
- a comment is written in the name of the same person (the acting user, else that
  agent), or anonymously when there is none;
- `tag_names` replaces the ticket's tags; `customized_fields` sets the fields it names and
  keeps the others (an empty value clears one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ...store.base import TagRecord
from ..fields.rules import merged
from ..models import CLOSED_STATUSES, Comments, CustomizedFieldDisplayItem, Ticket, TicketTag
from ..models import TicketUser as User
from .bodies import UpdateTicketBody

CLOSED_BY_AGENT, CLOSED_BY_USER = 51, 52


def numeric_user_id(open_id: str) -> int:
    """A stable 19-digit numeric user id for an open_id (comments carry numeric ids)."""
    digest = int.from_bytes(hashlib.sha256(open_id.encode("utf-8")).digest()[:8], "big")
    return digest >> 2 | 1 << 62


def acting_agent(ticket: Ticket, actor: User | None = None) -> User | None:
    """Who an update acts as: the user of a user access token, else the ticket's owner,
    else its first agent."""
    if actor is not None:
        return actor
    if ticket.agent_owner is not None:
        return ticket.agent_owner
    return ticket.agents[0] if ticket.agents else None


def set_status(ticket: Ticket, status: int, now: int, actor: User | None = None) -> None:
    """Move the ticket to `status`, keeping `closed_at` and `closed_by` consistent."""
    if status in CLOSED_STATUSES:
        if ticket.status not in CLOSED_STATUSES or ticket.closed_at is None:
            ticket.closed_at = now
        if status == CLOSED_BY_AGENT:
            ticket.closed_by = acting_agent(ticket, actor)
        elif status == CLOSED_BY_USER:
            ticket.closed_by = ticket.guest
        else:
            ticket.closed_by = None
    else:
        ticket.closed_at = None
        ticket.closed_by = None
    ticket.status = status


def new_comment(
    ticket: Ticket, content: str, now: int, comment_id: int, actor: User | None = None
) -> Comments:
    author = acting_agent(ticket, actor)
    if author is None or author.id is None:
        return Comments(content=content, created_at=now, id=comment_id)
    return Comments(
        content=content,
        created_at=now,
        id=comment_id,
        user_avatar_url=author.avatar_url,
        user_name=author.name,
        user_id=numeric_user_id(author.id),
    )


def apply_update(
    ticket: Ticket,
    change: UpdateTicketBody,
    tags: Sequence[TagRecord],
    fields: dict[str, CustomizedFieldDisplayItem | None],
    now: int,
    comment_id: int,
    actor: User | None = None,
) -> list[Comments]:
    """Apply `change` to `ticket` in place at time `now`; return the comments to keep in
    its history (the one it showed until now, if any, and the new one)."""
    history: list[Comments] = []
    if change.status is not None and change.status != ticket.status:
        set_status(ticket, change.status, now, actor)
    if change.tag_names is not None:
        ticket.tags = [TicketTag(id=t.tag_id, name=t.name) for t in tags] or None
    if change.comment is not None:
        if ticket.comments is not None and ticket.comments.id is not None:
            history.append(ticket.comments)
        ticket.comments = new_comment(ticket, change.comment, now, comment_id, actor)
        history.append(ticket.comments)
    if fields:
        ticket.customized_fields = merged(ticket.customized_fields, fields)
    if change.ticket_type is not None:
        ticket.ticket_type = change.ticket_type
    if change.solved is not None:
        ticket.solve = change.solved
    if change.channel is not None:
        ticket.channel = change.channel
    ticket.updated_at = now
    return history
