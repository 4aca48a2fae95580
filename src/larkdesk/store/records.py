"""The records the store trades in, and the errors it raises (re-exported by `base`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .event_records import OutboundEvent
from .history_records import SYSTEM, Actor
from .sql import Sql


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
    kind: str  # "tenant" or "app": the endpoint that first issued it
    expires_at_ms: int
    # What the token value is derived from with the app secret (`auth.credentials`);
    # None for tokens issued before schema version 5, which are never answered again.
    salt: str | None = None


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
    by: Actor = SYSTEM  # who, for the status and stage history


Rewrite = Callable[[bytes, Sequence[TagRecord]], TicketWrite]
"""An update, run inside the store's write transaction on the ticket's current wire JSON
and the helpdesk's tags it names; whatever it raises rolls the transaction back."""


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message of a conversation: its ids, time and stored JSON (the message with its
    sender, text and content, as `helpdesk.messages.content.StoredMessage`)."""

    ticket_message_id: str
    message_id: str
    created_at: int
    body: bytes


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An image sent in a conversation: its bytes and content type, by image key."""

    image_key: str
    helpdesk_id: str
    content_type: str
    data: bytes


InTransaction = Callable[[Sql], object]
"""A further write run in the same transaction as a message (the event outbox's)."""


@dataclass(frozen=True, slots=True)
class MessageWrite:
    """What posting a message writes, all in one transaction: the message, the ticket as
    the message changes it (response times, `updated_at`), the images it carries, and the
    writes in `also` (each called with the transaction's `Sql`, after the rest)."""

    message: MessageRecord
    ticket: TicketRecord | None = None
    images: tuple[ImageRecord, ...] = ()
    also: tuple[InTransaction, ...] = ()


ComposeMessage = Callable[[bytes, int], MessageWrite]
"""A message, built inside the store's write transaction from the ticket's current wire
JSON and the position the message takes (1 for a ticket's first); whatever it raises
rolls the transaction back."""


@dataclass(frozen=True, slots=True)
class MessagePage:
    """One page of a ticket's messages (stored JSON, oldest first) and how many match."""

    total: int
    messages: Sequence[bytes] = field(default_factory=tuple)


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


class StoreBusy(Exception):
    """A write waited for a lock (SQLite's write lock, a PostgreSQL row lock) longer than
    the store waits, and wrote nothing; trying again later may succeed."""


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
