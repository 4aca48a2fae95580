"""The records the store trades in for helpdesk events: settings, outbox rows, attempts."""

from __future__ import annotations

from dataclasses import dataclass, field

WEBHOOK = "webhook"
LONG_CONNECTION = "long_connection"
MODES = (WEBHOOK, LONG_CONNECTION)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class OutboundEvent:
    """One event, to be written to the outbox once for every app that hears it."""

    event_id: str  # 32 hex digits, the same on every attempt (receivers dedup by it)
    event_type: str  # e.g. "helpdesk.ticket.created_v1"
    helpdesk_id: str
    created_at: int  # ms: the envelope's header.create_time
    body: bytes  # the envelope's `event` object, compact JSON


@dataclass(frozen=True, slots=True)
class EventSettings:
    """An app's event settings, as Feishu's developer console keeps them."""

    app_id: str
    url: str  # "" until a URL passed the challenge
    verification_token: str = field(repr=False)
    encrypt_key: str = field(repr=False)  # "" for none
    mode: str = WEBHOOK  # WEBHOOK or LONG_CONNECTION
    verified_at: int = 0  # ms
    event_types: tuple[str, ...] = ()  # the types the app has enabled


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed outbox row and everything sending it needs."""

    outbox_id: int
    event_id: str
    event_type: str
    app_id: str
    tenant_key: str
    helpdesk_id: str
    created_at: int
    body: bytes
    attempt: int  # this attempt's number, 1 for the first
    url: str
    verification_token: str = field(repr=False)
    encrypt_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivery attempt and how it went."""

    outbox_id: int
    attempt: int
    at: int  # ms when sent
    status: int  # the HTTP status; 0 when none came
    latency_ms: int
    error: str = ""  # why it failed; "" on success

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


@dataclass(frozen=True, slots=True)
class EventLogEntry:
    """One outbox row with its attempts, for `larkdesk events log`."""

    outbox_id: int
    event_id: str
    event_type: str
    app_id: str
    helpdesk_id: str
    created_at: int
    state: str
    attempts: tuple[Attempt, ...]
