"""The store interface every backend implements, and the records it trades in.

Nothing above the store writes SQL; nothing in the store knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from .event_records import Attempt, Delivery, EventLogEntry, EventSettings, OutboundEvent


@dataclass(frozen=True, slots=True)
class Tenant:
    tenant_key: str
    name: str


@dataclass(frozen=True, slots=True)
class App:
    app_id: str
    tenant_key: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Helpdesk:
    helpdesk_id: str
    tenant_key: str
    name: str
    token_hash: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_hash: str
    app_id: str
    kind: str  # "tenant" or "app"
    expires_at_ms: int


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    tenant_key: str
    name: str
    email: str = ""
    department: str = ""
    city: str = ""
    country: str = ""
    avatar_url: str = ""


class TicketRecord(NamedTuple):
    """One ticket as stored: its filter columns and its wire JSON, ready to send.

    A named tuple, not a frozen dataclass: a million of them are built (and pickled from
    the demo's generator process) per million tickets, at a fraction of the cost. The
    first twelve fields are the tickets table's columns after seq, in its order.
    """

    ticket_id: str
    helpdesk_id: str
    created_at: int
    updated_at: int
    ticket_type: int | None
    channel: int | None
    solve: int | None
    score: int | None
    status: int | None
    guest_id: str | None
    guest_name: str | None
    closed_by_id: str | None
    agent_ids: tuple[str, ...]
    tag_names: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive millisecond window."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """The list API's filters (AND across fields, any-of within lists) and page."""

    ticket_id: str | None = None
    agent_id: str | None = None
    closed_by_id: str | None = None
    ticket_type: int | None = None
    channel: int | None = None
    solve: int | None = None
    score: int | None = None
    statuses: tuple[int, ...] = ()
    guest_name: str | None = None
    guest_id: str | None = None
    tags: tuple[str, ...] = ()
    created: Window | None = None
    updated: Window | None = None
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True, slots=True)
class TicketPage:
    total: int
    tickets: Sequence[bytes] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class TagRecord:
    """A helpdesk's tag: its id and its name (unique per helpdesk)."""

    tag_id: str
    name: str


@dataclass(frozen=True, slots=True)
class CommentRecord:
    """One comment of a ticket's history: its id, time and wire JSON (`Comments`)."""

    comment_id: int
    created_at: int
    body: bytes


@dataclass(frozen=True, slots=True)
class CustomizedFieldRecord:
    """A helpdesk's custom-field definition, as its wire JSON (`TicketCustomizedField`)."""

    helpdesk_id: str
    field_id: str
    position: int
    body: bytes


@dataclass(frozen=True, slots=True)
class TicketWrite:
    """What an update writes: the ticket, comments to keep in its history, and the events
    the change causes (written to the outbox in the same transaction)."""

    record: TicketRecord
    comments: tuple[CommentRecord, ...] = ()
    events: tuple[OutboundEvent, ...] = ()


Rewrite = Callable[[bytes, Sequence[TagRecord]], TicketWrite]
"""An update, run inside the store's write transaction on the ticket's current wire JSON
and the helpdesk's tags it names; whatever it raises rolls the transaction back."""


@dataclass(frozen=True, slots=True)
class ScannedTicket:
    """One ticket of a scan: its place in the list order and its wire JSON."""

    created_at: int
    ticket_id: str
    body: bytes

    @property
    def key(self) -> tuple[int, str]:
        return (self.created_at, self.ticket_id)


@dataclass(frozen=True, slots=True)
class SyncState:
    """How far `larkdesk sync` has mirrored a remote helpdesk into this one."""

    helpdesk_id: str
    source: str  # the base URL synced from
    high_water_ms: int  # changes up to this moment are mirrored; -1 until the first pass ends
    initial_until_ms: int  # the first pass copies tickets created up to this moment...
    initial_through_ms: int  # ...and has copied those created up to this one


class ConflictError(Exception):
    """A write that would break an invariant (e.g. a ticket id owned by another helpdesk)."""


class DuplicateKeyError(ConflictError):
    """A write of a key another writer stored first (a unique index refused it)."""


def distinct_ids(records: Iterable[TicketRecord]) -> Iterator[TicketRecord]:
    """The records, raising `ConflictError` at the first repeated ticket id (`load_tickets`)."""
    seen: set[str] = set()
    for record in records:
        if record.ticket_id in seen:
            raise ConflictError(f"ticket {record.ticket_id} appears twice in one bulk load")
        seen.add(record.ticket_id)
        yield record


class Store(Protocol):
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

    # tickets
    def upsert_tickets(self, records: Iterable[TicketRecord]) -> int:
        """Insert or replace tickets by ticket_id, all or nothing; returns the count."""
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

    def create_ticket(self, record: TicketRecord, events: Sequence[OutboundEvent] = ()) -> bool:
        """Insert a new ticket, and its events into the outbox, in one transaction; False
        (and nothing written) if its ticket_id is taken."""
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
    ) -> list[Delivery]:
        """Claim up to `limit` due deliveries of apps in `mode` (but `skip_apps`) until
        `now + lease_ms`; no two concurrent claims, on any worker, get the same row."""
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

    def next_event_due(self, mode: str) -> int | None:
        """When the earliest pending delivery of an app in `mode` is due (ms), or None."""
        ...

    def event_log(self, app_id: str | None, failed: bool, limit: int) -> list[EventLogEntry]:
        """The newest outbox rows with their attempts (of one app; failing ones only)."""
        ...
