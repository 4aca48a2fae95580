"""A helpdesk with more than 10,000 tickets, shaped to make a naive export fail: 10,500 of
them in one day, 300 in one millisecond, a third updated, the rest never (-1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from larkdesk.client import FeishuClient
from larkdesk.helpdesk.models import Ticket, TicketUser, to_record
from larkdesk.store.base import Store, TicketQuery, TicketRecord
from larkdesk.store.sqlite import SQLiteStore

from .conftest import Identity, provision
from .wire import Wire, serve

DAY = 86_400_000
BUSY_DAY = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOT_MS = BUSY_DAY + DAY // 2 + 123  # one millisecond holding 300 tickets
SPREAD, IN_DAY, IN_HOT_MS = 1_500, 10_200, 300
STATUSES = (1, 2, 50, 51)
FIRST_ID = 7_100_000_000_000_000_000


def ticket_at(number: int, created_at: int, updated: bool) -> Ticket:
    return Ticket(
        ticket_id=str(FIRST_ID + number),
        created_at=created_at,
        updated_at=created_at + 60_000 if updated else None,
        status=STATUSES[number % len(STATUSES)],
        ticket_type=2,
        guest=TicketUser(id=f"ou_{number % 97:032x}", name=f"Guest {number % 97}"),
    )


def seed_tickets() -> list[Ticket]:
    """12,000 tickets: 1,500 over the month before the busy day, 10,200 in it, 300 in HOT_MS."""
    times = [BUSY_DAY - 30 * DAY + i * (30 * DAY // SPREAD) for i in range(SPREAD)]
    times += [BUSY_DAY + i * 8_000 for i in range(IN_DAY)]
    times += [HOT_MS] * IN_HOT_MS
    return [ticket_at(n, at, updated=n % 3 == 0) for n, at in enumerate(times)]


@dataclass
class Seeded:
    server: Wire
    store: SQLiteStore
    identity: Identity
    tickets: list[Ticket]
    ids: set[str] = field(default_factory=set)

    def current(self) -> dict[str, dict[str, object]]:
        """Every ticket as the store holds it now (writers change them), by id."""
        return current_tickets(self.store, self.identity.helpdesk_id)

    def transport(self) -> httpx.BaseTransport:
        """Into the server: in-process straight into its app, live over the network."""
        return self.server.transport or httpx.HTTPTransport()

    def client(self, **options: object) -> FeishuClient:
        """The export/sync client on the server, through `transport()` unless given one."""
        defaults: dict[str, object] = {"per_second": None, "backoff_seconds": 0.01}
        defaults["transport"] = self.server.transport
        return FeishuClient(
            self.identity.app_id,
            self.identity.app_secret,
            self.identity.helpdesk_id,
            self.identity.helpdesk_token,
            base_url=self.server.base_url,
            **{**defaults, **options},  # type: ignore[arg-type]
        )


@contextmanager
def seeded_server(folder: Path, *serve_options: str) -> Iterator[Seeded]:
    """The seeded helpdesk in a SQLite file, served (in-process; `--live`: `larkdesk serve`)."""
    store = SQLiteStore(folder / "source.db")
    identity = provision(store)
    tickets = seed_tickets()
    store.upsert_tickets(to_record(t, identity.helpdesk_id) for t in tickets)
    try:
        with serve(folder / "source.db", "--rate-limit", "off", *serve_options) as server:
            yield Seeded(server, store, identity, tickets, {t.ticket_id for t in tickets})
    finally:
        store.close()


def current_tickets(store: Store, helpdesk_id: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    after = None
    while page := store.scan_tickets(helpdesk_id, TicketQuery(), after, 5000):
        found.update((t.ticket_id, json.loads(t.body)) for t in page)
        after = page[-1].key
    return found


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Writer(threading.Thread):
    """Until stopped: flips tickets' status (updated_at now), and with `backfill` also
    inserts new tickets dated inside the busy day (as a late import would). Remembers
    which tickets it touched and created."""

    def __init__(
        self,
        store: Store,
        helpdesk_id: str,
        tickets: list[Ticket],
        step: int = 7,
        backfill: bool = False,
    ):
        super().__init__(daemon=True)
        self.store, self.helpdesk_id, self.step = store, helpdesk_id, step
        self.current = {t.ticket_id: t for t in tickets}
        self.order = [t.ticket_id for t in tickets]
        self.backfill = backfill
        self.touched: set[str] = set()
        self.created: set[str] = set()
        self.writes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        offset = 0
        while not self._stop_event.is_set():
            batch = self.order[offset :: self.step * 50][:20]
            offset = (offset + 1) % (self.step * 50)
            records = [self._updated(self.current[ticket_id]) for ticket_id in batch]
            if self.backfill:
                records.append(self._new())
            self.store.upsert_tickets(records)
            self.writes += len(records)
            time.sleep(0.005)

    def _updated(self, ticket: Ticket) -> TicketRecord:
        self.touched.add(ticket.ticket_id)
        status = 51 if ticket.status != 51 else 2
        changed = Ticket(**{**_fields(ticket), "status": status, "updated_at": now_ms()})
        self.current[ticket.ticket_id] = changed
        return to_record(changed, self.helpdesk_id)

    def _new(self) -> TicketRecord:
        number = len(self.created)
        ticket = ticket_at(900_000 + number, BUSY_DAY + (number * 7_919) % DAY, updated=False)
        self.created.add(ticket.ticket_id)
        return to_record(ticket, self.helpdesk_id)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def _fields(ticket: Ticket) -> dict[str, object]:
    return {name: getattr(ticket, name) for name in ticket.__struct_fields__}
