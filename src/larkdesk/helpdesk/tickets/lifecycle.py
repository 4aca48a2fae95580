"""The ticket lifecycle rules between the routes (or the CLI) and the store: read one
ticket, change it, start a service. No HTTP here, no SQL here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import msgspec

from ...errors import BadRequest, ResourceNotFound
from ...events.wire import ticket_created, ticket_updated
from ...store.base import (
    SYSTEM,
    Actor,
    CommentRecord,
    Rewrite,
    Store,
    TagRecord,
    TicketQuery,
    TicketWrite,
    User,
)
from ..fields.bodies import TicketCustomizedField, decode_definition
from ..fields.rules import checked_values
from ..ids import chat_id_of, now_ms, snowflake
from ..models import (
    NEVER_UPDATED,
    Comments,
    CustomizedFieldDisplayItem,
    InvalidTicket,
    Ticket,
    TicketUser,
    to_record,
    validate,
)
from ..stored import read_stored
from .bodies import StartServiceBody, UpdateTicketBody
from .changes import apply_update

OPEN_API_CHANNEL = 9  # the seed's channel for tickets started through the Open API
BOT_SERVING, IN_PROCESS, QUEUED = 1, 2, 3
BOT, HUMAN = 1, 2
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class StartedService:
    chat_id: str
    ticket_id: str


class TicketLifecycle:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], int] = now_ms,
        on_events: Callable[[], None] = lambda: None,
        writing: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_events = on_events  # told after a write committed events (delivery wakes)
        # Around a write that may add events: delivery claims them in its transaction and
        # sends them after the commit (EventDelivery.writing).
        self._writing = writing

    def get_ticket(self, helpdesk_id: str, ticket_id: str) -> bytes:
        """The ticket's wire JSON (the list API's shape); another helpdesk's is not found."""
        body = self._store.get_ticket(ticket_id, helpdesk_id)
        if body is None:
            raise ResourceNotFound(f"the helpdesk has no ticket {ticket_id!r}")
        return body

    def helpdesk_of(self, ticket_id: str) -> str:
        """The helpdesk a ticket belongs to (for the CLI, which has no helpdesk header)."""
        body = self._store.get_ticket(ticket_id)
        if body is None:
            raise ResourceNotFound(f"there is no ticket {ticket_id!r}")
        return read_stored(body).helpdesk_id or ""

    def definitions(self, helpdesk_id: str) -> dict[str, TicketCustomizedField]:
        records = self._store.list_customized_fields(helpdesk_id)
        return {r.field_id: decode_definition(r.body) for r in records}

    def update_ticket(
        self,
        helpdesk_id: str,
        ticket_id: str,
        change: UpdateTicketBody,
        actor: TicketUser | None = None,
        by: Actor = SYSTEM,
    ) -> bytes:
        """Apply the update in one transaction; return the ticket's new wire JSON. `actor`:
        the user of a user access token, who closes (51) and comments; `by`: who, for
        the status and stage history."""
        fields: dict[str, CustomizedFieldDisplayItem | None] = {}
        if change.customized_fields is not None:
            fields = checked_values(self.definitions(helpdesk_id), change.customized_fields)
        proposed = self._proposed_tags(helpdesk_id, change.tag_names or [])
        rewrite = self._rewrite(helpdesk_id, change, fields, actor, by)
        with self._writing():
            record = self._store.update_ticket(helpdesk_id, ticket_id, proposed, rewrite)
        if record is None:
            raise ResourceNotFound(f"the helpdesk has no ticket {ticket_id!r}")
        self._on_events()
        return record.body

    def _proposed_tags(self, helpdesk_id: str, names: list[str]) -> list[TagRecord]:
        """The id each tag name should have: the helpdesk's, else the one its tickets carry
        (imported or synced tickets bring ids of their own), else a new one."""
        if not names:
            return []
        known = {t.name: t.tag_id for t in self._store.list_tags(helpdesk_id)}
        return [
            TagRecord(
                known.get(name)
                or self._tag_id_in_use(helpdesk_id, name)
                or str(snowflake(self._clock())),
                name,
            )
            for name in names
        ]

    def _tag_id_in_use(self, helpdesk_id: str, name: str) -> str | None:
        page = self._store.list_tickets(helpdesk_id, TicketQuery(tags=(name,), page_size=1))
        for body in page.tickets:
            for tag in read_stored(body).tags or ():
                if tag.name == name and tag.id:
                    return tag.id
        return None

    def _rewrite(
        self,
        helpdesk_id: str,
        change: UpdateTicketBody,
        fields: dict[str, CustomizedFieldDisplayItem | None],
        actor: TicketUser | None,
        by: Actor,
    ) -> Rewrite:
        def rewrite(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
            ticket = read_stored(body)
            # Later than the previous write (by 1 ms if the clock has not moved): updates
            # of one ticket, and its comments, stay in the order they were written.
            previous = ticket.updated_at if ticket.updated_at is not None else -1
            now = max(self._clock(), ticket.created_at, previous + 1)
            before = msgspec.structs.replace(ticket)  # apply_update changes `ticket`
            history = apply_update(ticket, change, tags, fields, now, snowflake(now), actor)
            try:
                validate(ticket)
            except InvalidTicket as exc:
                raise BadRequest(str(exc)) from None
            comments = tuple(_comment_record(c, ticket.created_at) for c in history)
            events = ticket_updated(before, ticket, helpdesk_id, now)
            return TicketWrite(to_record(ticket, helpdesk_id), comments, events, by)

        return rewrite

    def start_service(
        self, helpdesk_id: str, tenant_key: str, request: StartServiceBody, by: Actor = SYSTEM
    ) -> StartedService:
        """A new ticket for the guest: a bot ticket, or a human one that the appointed
        agents enter at once (queued for an agent when none is appointed)."""
        guest = self._tenant_user("open_id", request.open_id or "", tenant_key)
        agents = [
            self._tenant_user(f"appointed_agents[{n}]", open_id, tenant_key)
            for n, open_id in enumerate(dict.fromkeys(request.appointed_agents or ()))
        ]
        for _ in range(5):  # a taken id (same millisecond, same 22 random bits) is retried
            now = self._clock()
            ticket = Ticket(
                ticket_id=str(snowflake(now)),
                guest=TicketUser.of(guest),
                ticket_type=HUMAN if request.human_service else BOT,
                status=BOT_SERVING,
                created_at=now,
                updated_at=NEVER_UPDATED,
                channel=OPEN_API_CHANNEL,
            )
            if request.human_service:
                ticket.status = IN_PROCESS if agents else QUEUED
            if agents:
                ticket.agents = [TicketUser.of(a) for a in agents]
                ticket.agent_owner = ticket.agents[0]
                ticket.agent_entry_time = now
            chat_id = chat_id_of(helpdesk_id, ticket.ticket_id)
            events = (ticket_created(ticket, helpdesk_id, chat_id),)
            with self._writing():
                created = self._store.create_ticket(to_record(ticket, helpdesk_id), events, by)
            if created:
                self._on_events()
                return StartedService(chat_id, ticket.ticket_id)
        raise BadRequest("could not allocate a ticket id; try again")

    def _tenant_user(self, name: str, open_id: str, tenant_key: str) -> User:
        user = self._store.get_user(open_id)
        if user is None or user.tenant_key != tenant_key:
            raise BadRequest(f"{name} {open_id!r} is not a user of this tenant")
        return user


def _comment_record(comment: Comments, fallback_time: int) -> CommentRecord:
    return CommentRecord(
        comment_id=comment.id or 0,
        created_at=comment.created_at or fallback_time,
        body=_encode(comment),
    )
