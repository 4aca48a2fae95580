"""Seeding a store with the demo: tenant, app, helpdesk, people, tags, custom fields and
tickets, idempotently; shared by `larkdesk demo`, `serve --demo` and the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..auth import provision
from ..helpdesk.models import TicketUser
from ..store.base import Store, TagRecord, TicketRecord
from .knowledge import seed_knowledge
from .records import demo_records
from .world import (
    CUSTOMIZED_FIELDS,
    DEMO_END_MS,
    SPAN_MS,
    DemoCredentials,
    DemoWorld,
    demo_credentials,
    demo_world,
)

BATCH = 50_000  # tickets between progress reports


def seed_catalog(store: Store, helpdesk_id: str, world: DemoWorld) -> None:
    """The demo helpdesk's tags and custom-field definitions (idempotent; also brings a
    demo database made before they existed up to date)."""
    store.save_tags(helpdesk_id, [TagRecord(t.id or "", t.name or "") for t in world.tags])
    owner = TicketUser.of(world.agents[0])
    store.save_customized_fields(
        f.record(helpdesk_id, DEMO_END_MS - SPAN_MS, owner) for f in CUSTOMIZED_FIELDS
    )


def seed_demo(
    store: Store,
    tickets: int = 1000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> DemoCredentials:
    """Create (idempotently) the demo tenant, app, helpdesk, people and `tickets` tickets."""
    creds = demo_credentials(seed)
    provision.ensure_tenant(store, creds.tenant_key, f"Demo tenant {seed}")
    provision.create_app(
        store,
        "larkdesk demo",
        tenant_key=creds.tenant_key,
        app_id=creds.app_id,
        app_secret=creds.app_secret,
    )
    provision.create_helpdesk(
        store,
        creds.app_id,
        "Demo helpdesk",
        helpdesk_id=creds.helpdesk_id,
        helpdesk_token=creds.helpdesk_token,
    )
    world = demo_world(seed, creds.tenant_key)
    store.upsert_users([*world.agents, *world.guests])
    helpdesk_id = creds.helpdesk_id
    seed_catalog(store, helpdesk_id, world)
    seed_knowledge(store, helpdesk_id, seed, world.agents)
    # Newest first: the store's descending indexes then fill their pages (see generate_tickets).
    records = demo_records(seed, helpdesk_id, creds.tenant_key, tickets)
    done = store.load_tickets(_counted(records, progress))
    if progress is not None:
        progress(done)
    return creds


def _counted(
    records: Iterator[TicketRecord], progress: Callable[[int], None] | None
) -> Iterator[TicketRecord]:
    for done, record in enumerate(records, start=1):
        yield record
        if progress is not None and done % BATCH == 0:
            progress(done)
