"""The store interface every backend implements, and the records it trades in.

Nothing above the store writes SQL; nothing in the store knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


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


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """One ticket as stored: its filter columns and its wire JSON, ready to send."""

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


class ConflictError(Exception):
    """A write that would break an invariant (e.g. a ticket id owned by another helpdesk)."""


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

    # access tokens (hashed)
    def save_token(self, token: IssuedToken) -> None: ...
    def find_token(self, token_hash: str) -> IssuedToken | None: ...
    def purge_tokens(self, now_ms: int) -> int: ...

    # tickets
    def upsert_tickets(self, records: Iterable[TicketRecord]) -> int:
        """Insert or replace tickets by ticket_id, all or nothing; returns the count."""
        ...

    def list_tickets(self, helpdesk_id: str, query: TicketQuery) -> TicketPage: ...
    def count_tickets(self, helpdesk_id: str) -> int: ...
