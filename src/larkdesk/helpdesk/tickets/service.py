"""Listing and storing tickets, between the routes (or sync) and the store. No HTTP here,
no SQL here."""

from __future__ import annotations

from collections.abc import Iterable

from ...store.base import Store, TicketPage, TicketQuery
from ..models import Ticket, to_record


class HelpdeskService:
    def __init__(self, store: Store) -> None:
        self._store = store

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        """One page of the helpdesk's tickets matching `query`, newest first, and the total."""
        return self._store.list_tickets(helpdesk_id, query)

    def put_tickets(self, helpdesk_id: str, tickets: Iterable[Ticket]) -> int:
        """Store tickets (insert or replace by ticket_id) with every derived field recomputed."""
        return self._store.upsert_tickets(to_record(t, helpdesk_id) for t in tickets)
