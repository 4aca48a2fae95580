"""The store interface every backend implements, and the records it trades in.

Nothing above the store writes SQL; nothing in the store knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from .console_records import SortedTicket, TimeSlot
from .event_records import Attempt, Delivery, EventLogEntry, EventSettings, OutboundEvent
from .health import OutboxBacklog
from .history_records import SYSTEM, Actor, HistoryEntry
from .records import (
    App,
    CommentRecord,
    ComposeMessage,
    ConflictError,
    CustomizedFieldRecord,
    DuplicateKeyError,
    Helpdesk,
    ImageRecord,
    InTransaction,
    IssuedToken,
    MessagePage,
    MessageRecord,
    MessageWrite,
    Rewrite,
    ScannedTicket,
    StoreBusy,
    SyncState,
    TagRecord,
    Tenant,
    TicketPage,
    TicketQuery,
    TicketRecord,
    TicketWrite,
    User,
    Window,
    distinct_ids,
)
from .surface_store import SurfaceStore

__all__ = [
    "SYSTEM",
    "Actor",
    "App",
    "Attempt",
    "CommentRecord",
    "ComposeMessage",
    "ConflictError",
    "CustomizedFieldRecord",
    "Delivery",
    "DuplicateKeyError",
    "EventLogEntry",
    "EventSettings",
    "Helpdesk",
    "HistoryEntry",
    "ImageRecord",
    "InTransaction",
    "IssuedToken",
    "MessagePage",
    "MessageRecord",
    "MessageWrite",
    "OutboundEvent",
    "Rewrite",
    "ScannedTicket",
    "Store",
    "StoreBusy",
    "SyncState",
    "TagRecord",
    "Tenant",
    "TicketPage",
    "TicketQuery",
    "TicketRecord",
    "TicketWrite",
    "User",
    "Window",
    "distinct_ids",
]


class Store(SurfaceStore, Protocol):
    """What larkdesk needs from a database. Every backend passes tests/test_store.py."""

    def close(self) -> None: ...
    def is_empty(self) -> bool:
        """True when the database holds no tenant at all."""
        ...

    # identities
    def create_tenant(self, tenant: Tenant) -> None: ...
    def get_tenant(self, tenant_key: str) -> Tenant | None: ...
    def create_app(self, app: App) -> None: ...
    def get_app(self, app_id: str) -> App | None: ...
    def create_helpdesk(self, helpdesk: Helpdesk) -> None: ...
    def get_helpdesk(self, helpdesk_id: str) -> Helpdesk | None: ...
    def upsert_users(self, users: Iterable[User]) -> None: ...
    def get_user(self, user_id: str) -> User | None: ...

    # access tokens (hashed)
    def save_token(self, token: IssuedToken) -> None: ...
    def find_token(self, token_hash: str) -> IssuedToken | None: ...
    def purge_tokens(self, now_ms: int) -> int: ...
    def reusable_token(self, app_id: str, now_ms: int, more_than_ms: int) -> IssuedToken | None:
        """The app's newest token if it has more than `more_than_ms` left (a read)."""
        ...

    def reuse_or_issue_token(
        self, fresh: IssuedToken, now_ms: int, more_than_ms: int
    ) -> IssuedToken:
        """In one write holding the app's lock: purge its expired tokens, then answer its
        newest token if that has more than `more_than_ms` left, else save `fresh`."""
        ...

    def server_secret(self, name: str, candidate: str) -> str:
        """The server secret `name`, storing `candidate` as it when there is none yet."""
        ...

    # tickets
    def upsert_tickets(self, records: Iterable[TicketRecord], by: Actor | None = SYSTEM) -> int:
        """Insert or replace tickets by ticket_id, all or nothing; returns the count. `by`
        (an import or sync and its source) is who, for the status and stage history; None
        writes none (a demo load: its tickets have no history)."""
        ...

    def load_tickets(self, records: Iterable[TicketRecord]) -> int:
        """`upsert_tickets` for bulk loads (the demo) of tickets with distinct ids (a repeat
        raises `ConflictError`, nothing written): the same result, as fast as the backend
        can go into a store that holds no ticket yet."""
        ...

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage: ...
    def count_tickets(self, helpdesk_id: str) -> int: ...

    # the ticket lifecycle
    def get_ticket(self, ticket_id: str, helpdesk_id: str | None = None) -> bytes | None:
        """The ticket's wire JSON; None unless it exists (in `helpdesk_id`, when given)."""
        ...

    def create_ticket(
        self, record: TicketRecord, events: Sequence[OutboundEvent] = (), by: Actor = SYSTEM
    ) -> bool:
        """Insert a new ticket, its events into the outbox and its first history entry
        (`by`), in one transaction; False (and nothing written) if its ticket_id is taken."""
        ...

    def update_ticket(
        self, helpdesk_id: str, ticket_id: str, tags: Sequence[TagRecord], rewrite: Rewrite
    ) -> TicketRecord | None:
        """In one transaction, with the ticket locked against concurrent writers: create
        the `tags` the helpdesk lacks by name (with the ids proposed), call `rewrite` on
        the current wire JSON and the tags as stored (in the order given), write its
        ticket (filter columns, links, wire JSON), comments and events. None if the
        helpdesk has no such ticket (then nothing is written)."""
        ...

    def list_comments(self, ticket_id: str) -> list[bytes]:
        """The wire JSON of every comment kept for the ticket, oldest first."""
        ...

    # conversations
    def add_message(
        self, helpdesk_id: str, ticket_id: str, compose: ComposeMessage
    ) -> MessageWrite | None:
        """In one transaction, with the ticket locked against concurrent writers: call
        `compose` on its current wire JSON and the next position, write the message, the
        ticket and images it returns, then run its `also` writes. None if the helpdesk has
        no such ticket (then nothing is written)."""
        ...

    def add_private_message(
        self, helpdesk_id: str, receiver_id: str, record: MessageRecord
    ) -> None:
        """Keep a bot message sent to a user's private chat (in no ticket)."""
        ...

    def list_messages(
        self, helpdesk_id: str, ticket_id: str, window: Window | None, offset: int, limit: int
    ) -> MessagePage | None:
        """The ticket's messages created in `window` (inclusive ms), oldest first (then by
        position), `limit` from `offset`; None if the helpdesk has no such ticket."""
        ...

    def get_message(self, helpdesk_id: str, ticket_id: str, msg_id: str) -> bytes | None:
        """One message of the ticket by its ticket_message_id or its message_id."""
        ...

    def get_image(self, helpdesk_id: str, image_key: str) -> ImageRecord | None: ...

    def save_tags(self, helpdesk_id: str, tags: Iterable[TagRecord]) -> None:
        """Add tags to the helpdesk; a name it already has keeps its id."""
        ...

    def list_tags(self, helpdesk_id: str) -> list[TagRecord]: ...
    def save_customized_fields(self, fields: Iterable[CustomizedFieldRecord]) -> None:
        """Insert or replace custom-field definitions by (helpdesk_id, field_id)."""
        ...

    def list_customized_fields(self, helpdesk_id: str) -> list[CustomizedFieldRecord]:
        """The helpdesk's custom-field definitions by position, then field id."""
        ...

    def delete_customized_field(self, helpdesk_id: str, field_id: str) -> bool:
        """Remove one definition of the helpdesk; False if it has no such field."""
        ...

    def scan_tickets(
        self,
        helpdesk_id: str,
        query: TicketQuery,
        after: tuple[int, str] | None = None,
        limit: int = 1000,
    ) -> Sequence[ScannedTicket]:
        """The next `limit` tickets matching `query`'s filters (its page is ignored) in list
        order (newest `created_at` first, then `ticket_id` descending), strictly after the
        key `after`: keyset pages with no 10,000 cap, stable while tickets are updated."""
        ...

    # sync bookkeeping
    def get_sync_state(self, helpdesk_id: str) -> SyncState | None: ...
    def save_sync_state(self, state: SyncState) -> None:
        """Insert or replace the helpdesk's sync state."""
        ...

    # helpdesk events (docs/events.md)
    def save_event_settings(self, settings: EventSettings) -> None:
        """Insert or replace the app's event settings and enabled types."""
        ...

    def get_event_settings(self, app_id: str) -> EventSettings | None: ...
    def subscribe_events(self, app_id: str, helpdesk_id: str, types: Sequence[str]) -> None:
        """Subscribe the app to the helpdesk's events of these types (idempotent)."""
        ...

    def unsubscribe_events(self, app_id: str, helpdesk_id: str, types: Sequence[str]) -> None:
        """Remove those subscriptions; a missing one is not an error."""
        ...

    def subscribed_event_types(self, app_id: str, helpdesk_id: str) -> list[str]: ...
    def add_events(self, events: Sequence[OutboundEvent]) -> int:
        """Write events to the outbox in a transaction of their own (a change's events go
        in the change's transaction instead); returns the deliveries written."""
        ...

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
        """Claim up to `limit` due deliveries of apps in `mode` (but `skip_apps`) until
        `now + lease_ms`; no two concurrent claims, on any worker, get the same row. With
        a `holder` (a worker's id): only rows of apps it holds a long connection for, or
        that no worker does."""
        ...

    def finish_deliveries(
        self, claim_id: str, attempts: Sequence[Attempt], retry_ms: Sequence[int]
    ) -> None:
        """Record the claim's attempts: delivered, due after `retry_ms[attempt - 1]`, or
        failed once the schedule is spent."""
        ...

    def release_deliveries(self, claim_id: str, outbox_ids: Sequence[int], now: int) -> None:
        """Make the claim's unsent rows due at `now` again."""
        ...

    def next_event_due(self, mode: str, holder: str = "", now: int = 0) -> int | None:
        """When the earliest pending delivery of an app in `mode` (that `holder` may
        claim) is due (ms), or None."""
        ...

    def open_event_connection(
        self, conn_id: str, app_id: str, worker_id: str, now: int, expires_at: int, cap: int
    ) -> bool:
        """Record a live long connection held by `worker_id`, unless the app has `cap`
        live ones already (on any worker); whether it was recorded."""
        ...

    def live_event_connections(self, app_id: str, now: int) -> int:
        """How many live long connections the app has, on every worker."""
        ...

    def close_event_connections(self, conn_ids: Sequence[str]) -> None: ...
    def refresh_event_connections(self, worker_id: str, now: int, expires_at: int) -> None:
        """Keep the worker's connections alive until `expires_at`; drop expired ones."""
        ...

    def event_log(self, app_id: str | None, failed: bool, limit: int) -> list[EventLogEntry]:
        """The newest outbox rows with their attempts (of one app; failing ones only)."""
        ...

    def purge_events(
        self, before_ms: int, after_id: int = 0, batch: int = 1000
    ) -> tuple[int, int, bool]:
        """One bounded step of removing finished events created before `before_ms` (and
        their attempts), from the oldest after `after_id`: (removed, last id looked at,
        done). Pending events stay."""
        ...

    # the web console's reads (store/console_reads.py)
    def list_helpdesks(self, tenant_key: str | None) -> list[Helpdesk]:
        """The tenant's helpdesks (every one when None), by name."""
        ...

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
        """A keyset page of matching tickets by a list column (then ticket_id), no cap;
        `expected`: how many match, when the caller counted (it picks the plan)."""
        ...

    def count_matching(
        self, helpdesk_id: str, query: TicketQuery, slot: TimeSlot, cap: int | None = None
    ) -> int:
        """How many tickets match; with `cap`, at most cap + 1 ("more than cap")."""
        ...

    def ticket_history(self, helpdesk_id: str, ticket_id: str) -> list[HistoryEntry] | None:
        """The ticket's status and stage history, oldest first; None: no such ticket."""
        ...

    def helpdesk_event_log(
        self, helpdesk_id: str, ticket_id: str | None, limit: int
    ) -> list[EventLogEntry]:
        """The helpdesk's newest deliveries (of one ticket's events), with their attempts."""
        ...

    def retry_delivery(self, helpdesk_id: str, outbox_id: int, now: int) -> bool:
        """Make a failed or waiting delivery due now; False if the helpdesk has none."""
        ...

    # operations
    def schema_version(self) -> int:
        """The newest migration applied; raises when the database does not answer."""
        ...

    def outbox_backlog(self, now_ms: int) -> OutboxBacklog:
        """Events waiting for delivery (pending), those due now, the oldest due time."""
        ...
