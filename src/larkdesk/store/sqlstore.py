"""`Store` on any SQL backend: each method runs one resource module's function in a read
or a write transaction of the backend. A backend (`SQLiteStore`, `PostgresStore`) adds
only what differs: connections and locks (`_read`, `_write`), migrations, the list API's
plans, bulk loads and upkeep after big writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from . import (
    comments,
    connections,
    console_reads,
    fields,
    health,
    history,
    identities,
    import_journal,
    messages,
    outbox,
    subscriptions,
    sync_state,
    tags,
    tickets,
    tokens,
)
from .base import (
    SYSTEM,
    Actor,
    App,
    ComposeMessage,
    CustomizedFieldRecord,
    DuplicateKeyError,
    Helpdesk,
    HistoryEntry,
    ImageRecord,
    IssuedToken,
    MessagePage,
    MessageRecord,
    MessageWrite,
    Rewrite,
    ScannedTicket,
    SyncState,
    TagRecord,
    Tenant,
    TicketPage,
    TicketQuery,
    TicketRecord,
    User,
    Window,
    distinct_ids,
)
from .console_records import SortedTicket, TimeSlot
from .event_records import Attempt, Delivery, EventLogEntry, EventSettings, OutboundEvent
from .filters import Dialect
from .health import OutboxBacklog
from .import_journal import ImportMarker
from .surface_sql import SurfaceSql

BIG_WRITE = 10_000  # writes of this many tickets refresh the planner's statistics


class SqlStore(SurfaceSql):
    """The `Store` methods both backends share (the rest of the Helpdesk surface's in
    `SurfaceSql`)."""

    dialect: Dialect
    upsert_chunk: int  # tickets looked up and written per batch
    import_handoff_seconds = 0.0  # an import's pause between chunks (`transfer.publish`)

    # -- what a backend supplies ---------------------------------------------

    # _read and _write (SqlAccess): `work(db, *args)` reading, or in one write transaction.

    def _after_big_write(self) -> None:
        """Upkeep after a write of at least `BIG_WRITE` tickets (planner statistics)."""

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage:
        raise NotImplementedError

    def first_fill(self, records: Iterable[TicketRecord], by: Actor) -> int | None:
        """Load `records` in one bulk transaction if the store holds no tickets yet and
        nothing else has it open (an import's fast path); None, having read none of
        them, if this backend has no bulk load, the store holds tickets or a server has
        it open. `ConflictError` if `records` repeat a ticket_id (nothing written). `by`:
        who brought them, for their status history."""
        return None

    # -- identities -----------------------------------------------------------

    def is_empty(self) -> bool:
        return self._read(identities.is_empty)

    def create_tenant(self, tenant: Tenant) -> None:
        self._write(identities.create_tenant, tenant)

    def get_tenant(self, tenant_key: str) -> Tenant | None:
        return self._read(identities.get_tenant, tenant_key)

    def create_app(self, app: App) -> None:
        self._write(identities.create_app, app)

    def get_app(self, app_id: str) -> App | None:
        return self._read(identities.get_app, app_id)

    def create_helpdesk(self, helpdesk: Helpdesk) -> None:
        self._write(identities.create_helpdesk, helpdesk)

    def get_helpdesk(self, helpdesk_id: str) -> Helpdesk | None:
        return self._read(identities.get_helpdesk, helpdesk_id)

    def upsert_users(self, users: Iterable[User]) -> None:
        self._write(identities.upsert_users, users)

    def get_user(self, user_id: str) -> User | None:
        return self._read(identities.get_user, user_id)

    # -- access tokens --------------------------------------------------------

    def save_token(self, token: IssuedToken) -> None:
        self._write(tokens.save_token, token)

    def find_token(self, token_hash: str) -> IssuedToken | None:
        return self._read(tokens.find_token, token_hash)

    def purge_tokens(self, now_ms: int) -> int:
        return self._write(tokens.purge_tokens, now_ms)

    def reusable_token(self, app_id: str, now_ms: int, more_than_ms: int) -> IssuedToken | None:
        return self._read(tokens.reusable_token, app_id, now_ms, more_than_ms)

    def reuse_or_issue_token(
        self, fresh: IssuedToken, now_ms: int, more_than_ms: int
    ) -> IssuedToken:
        return self._write(tokens.reuse_or_issue_token, fresh, now_ms, more_than_ms)

    def server_secret(self, name: str, candidate: str) -> str:
        # Read first: a read replica has the primary's secret and cannot write one.
        found = self._read(tokens.find_server_secret, name)
        return found if found is not None else self._write(tokens.server_secret, name, candidate)

    # -- tickets --------------------------------------------------------------

    def upsert_tickets(self, records: Iterable[TicketRecord], by: Actor | None = SYSTEM) -> int:
        count = self._write(tickets.upsert, records, self.upsert_chunk, by)
        if count >= BIG_WRITE:
            self._after_big_write()
        return count

    def load_tickets(self, records: Iterable[TicketRecord]) -> int:
        return self.upsert_tickets(distinct_ids(records), None)  # no history, as SQLite's

    # -- an import published in chunks (`import_journal`, `transfer.publish`) --

    def import_marker(self) -> ImportMarker | None:
        return self._read(import_journal.marker)

    def begin_import(self, run: ImportMarker) -> None:
        self._write(import_journal.begin, run)

    def publish_import_chunk(self, run_id: str, chunk: list[TicketRecord], now_ms: int) -> None:
        self._write(import_journal.publish, run_id, chunk, now_ms)

    def finish_import(self, run_id: str, now_ms: int) -> None:
        self._write(import_journal.finish, run_id, now_ms)

    def claim_import_undo(
        self, run_id: str | None, now_ms: int, stale_ms: int
    ) -> ImportMarker | None:
        return self._write(import_journal.claim_undo, run_id, now_ms, stale_ms)

    def import_journal_step(self, undo: bool, limit: int) -> int:
        step = import_journal.undo_step if undo else import_journal.forget_step
        return self._write(step, limit)

    def end_import(self, big: bool) -> None:
        self._write(import_journal.end)
        if big:
            self._after_big_write()

    def count_tickets(self, helpdesk_id: str) -> int:
        return self._read(tickets.count_tickets, helpdesk_id)

    def scan_tickets(
        self,
        helpdesk_id: str,
        query: TicketQuery,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> Sequence[ScannedTicket]:
        return self._read(tickets.scan_tickets, self.dialect, helpdesk_id, query, after, limit)

    def get_ticket(self, ticket_id: str, helpdesk_id: str | None = None) -> bytes | None:
        return self._read(tickets.get_ticket, ticket_id, helpdesk_id)

    def create_ticket(
        self, record: TicketRecord, events: Sequence[OutboundEvent] = (), by: Actor = SYSTEM
    ) -> bool:
        try:
            return self._write(tickets.create_ticket, record, events, by)
        except DuplicateKeyError:  # another worker took the id meanwhile
            return False

    def update_ticket(
        self, helpdesk_id: str, ticket_id: str, tags: Sequence[TagRecord], rewrite: Rewrite
    ) -> TicketRecord | None:
        return self._write(tickets.update_ticket, helpdesk_id, ticket_id, tags, rewrite)

    def list_comments(self, ticket_id: str) -> list[bytes]:
        return self._read(comments.list_comments, ticket_id)

    # -- conversations --------------------------------------------------------

    def add_message(
        self, helpdesk_id: str, ticket_id: str, compose: ComposeMessage
    ) -> MessageWrite | None:
        return self._write(messages.add_message, helpdesk_id, ticket_id, compose)

    def add_private_message(
        self, helpdesk_id: str, receiver_id: str, record: MessageRecord
    ) -> None:
        self._write(messages.add_private_message, helpdesk_id, receiver_id, record)

    def list_messages(
        self, helpdesk_id: str, ticket_id: str, window: Window | None, offset: int, limit: int
    ) -> MessagePage | None:
        return self._read(messages.list_messages, helpdesk_id, ticket_id, window, offset, limit)

    def get_message(self, helpdesk_id: str, ticket_id: str, msg_id: str) -> bytes | None:
        return self._read(messages.get_message, helpdesk_id, ticket_id, msg_id)

    def get_image(self, helpdesk_id: str, image_key: str) -> ImageRecord | None:
        return self._read(messages.get_image, helpdesk_id, image_key)

    # -- tags and custom fields ----------------------------------------------

    def save_tags(self, helpdesk_id: str, tags_: Iterable[TagRecord]) -> None:
        self._write(tags.ensure_tags, helpdesk_id, list(tags_))

    def list_tags(self, helpdesk_id: str) -> list[TagRecord]:
        return self._read(tags.list_tags, helpdesk_id)

    def save_customized_fields(self, fields_: Iterable[CustomizedFieldRecord]) -> None:
        self._write(fields.save_customized_fields, fields_)

    def list_customized_fields(self, helpdesk_id: str) -> list[CustomizedFieldRecord]:
        return self._read(fields.list_customized_fields, helpdesk_id)

    def delete_customized_field(self, helpdesk_id: str, field_id: str) -> bool:
        return self._write(fields.delete_customized_field, helpdesk_id, field_id)

    # -- sync bookkeeping -----------------------------------------------------

    def get_sync_state(self, helpdesk_id: str) -> SyncState | None:
        return self._read(sync_state.get_sync_state, helpdesk_id)

    def save_sync_state(self, state: SyncState) -> None:
        self._write(sync_state.save_sync_state, state)

    # -- helpdesk events ------------------------------------------------------

    def save_event_settings(self, settings: EventSettings) -> None:
        self._write(subscriptions.save_event_settings, settings)

    def get_event_settings(self, app_id: str) -> EventSettings | None:
        return self._read(subscriptions.get_event_settings, app_id)

    def subscribe_events(self, app_id: str, helpdesk_id: str, types: Sequence[str]) -> None:
        self._write(subscriptions.subscribe, app_id, helpdesk_id, types)

    def unsubscribe_events(self, app_id: str, helpdesk_id: str, types: Sequence[str]) -> None:
        self._write(subscriptions.unsubscribe, app_id, helpdesk_id, types)

    def subscribed_event_types(self, app_id: str, helpdesk_id: str) -> list[str]:
        return self._read(subscriptions.subscribed_types, app_id, helpdesk_id)

    def add_events(self, events: Sequence[OutboundEvent]) -> int:
        return self._write(outbox.add_events, events)

    def claim_deliveries(
        self,
        mode: str,
        claim_id: str,
        now: int,
        lease_ms: int,
        limit: int,
        skip_apps: Sequence[str] = (),
        holder: str = "",
    ) -> list[Delivery]:
        return self._write(outbox.claim, mode, claim_id, now, lease_ms, limit, skip_apps, holder)

    def finish_deliveries(
        self, claim_id: str, attempts: Sequence[Attempt], retry_ms: Sequence[int]
    ) -> None:
        self._write(outbox.finish, claim_id, attempts, retry_ms)

    def release_deliveries(self, claim_id: str, outbox_ids: Sequence[int], now: int) -> None:
        self._write(outbox.release, claim_id, outbox_ids, now)

    def next_event_due(self, mode: str, holder: str = "", now: int = 0) -> int | None:
        return self._read(outbox.next_due, mode, holder, now)

    def open_event_connection(
        self, conn_id: str, app_id: str, worker_id: str, now: int, expires_at: int, cap: int
    ) -> bool:
        return self._write(
            connections.open_connection, conn_id, app_id, worker_id, now, expires_at, cap
        )

    def live_event_connections(self, app_id: str, now: int) -> int:
        return self._read(connections.live_connections, app_id, now)

    def close_event_connections(self, conn_ids: Sequence[str]) -> None:
        self._write(connections.close_connections, conn_ids)

    def refresh_event_connections(self, worker_id: str, now: int, expires_at: int) -> None:
        self._write(connections.refresh_connections, worker_id, now, expires_at)

    def event_log(self, app_id: str | None, failed: bool, limit: int) -> list[EventLogEntry]:
        return self._read(outbox.event_log, app_id, failed, limit)

    def purge_events(
        self, before_ms: int, after_id: int = 0, batch: int = 1000
    ) -> tuple[int, int, bool]:
        return self._write(outbox.purge, before_ms, after_id, batch)

    # -- the web console (store/console_reads.py) ---------------------------------

    def list_helpdesks(self, tenant_key: str | None) -> list[Helpdesk]:
        return self._read(console_reads.list_helpdesks, tenant_key)

    def sorted_tickets(
        self,
        helpdesk_id: str,
        query: TicketQuery,
        slot: TimeSlot,
        sort: str,
        descending: bool,
        after: tuple[int, str] | None,
        limit: int,
        expected: int | None = None,
    ) -> list[SortedTicket]:
        return self._read(
            console_reads.sorted_tickets,
            self.dialect,
            helpdesk_id,
            query,
            slot,
            sort,
            descending,
            after,
            limit,
            expected,
        )

    def count_matching(
        self, helpdesk_id: str, query: TicketQuery, slot: TimeSlot, cap: int | None = None
    ) -> int:
        return self._read(console_reads.count_matching, self.dialect, helpdesk_id, query, slot, cap)

    def ticket_history(self, helpdesk_id: str, ticket_id: str) -> list[HistoryEntry] | None:
        return self._read(history.ticket_history, helpdesk_id, ticket_id)

    def helpdesk_event_log(
        self, helpdesk_id: str, ticket_id: str | None, limit: int
    ) -> list[EventLogEntry]:
        return self._read(console_reads.helpdesk_event_log, helpdesk_id, ticket_id, limit)

    def retry_delivery(self, helpdesk_id: str, outbox_id: int, now: int) -> bool:
        return self._write(console_reads.retry_delivery, helpdesk_id, outbox_id, now)

    # -- operations (readiness, metrics) --------------------------------------

    def outbox_backlog(self, now_ms: int) -> OutboxBacklog:
        return self._read(health.outbox_backlog, now_ms)
