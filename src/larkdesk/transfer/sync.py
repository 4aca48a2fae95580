"""`larkdesk sync`: mirror a remote (Feishu or larkdesk) helpdesk into a local store.

The first run copies every ticket by creation time, oldest window first, remembering
after each window how far it got (so an interrupted first run resumes). Later runs ask
for tickets created *or* updated since the last run began, minus an overlap (clock skew,
late commits), so a never-updated ticket (`updated_at` -1) is found by its creation and
an updated one by its update. Tickets are upserted by id through the same path as
`larkdesk import`, so running it twice changes nothing and an update replaces the copy.
The local store gets the remote's app and helpdesk ids and secrets (hashed), so the
copy answers the same list API with the same credentials. Every run also copies the
helpdesk's custom-field definitions (one request), so the copy lists the same fields and
takes `customized_fields` updates against them; a field deleted remotely stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from ..auth import provision
from ..client import ApiError, Estimate, FeishuClient, WindowDone, walk
from ..client.http import WireTicket
from ..client.walker import By, now_ms
from ..helpdesk.fields.bodies import TicketCustomizedField, encode_definition, is_digits
from ..helpdesk.stored import UnstorableTicket, kept_record
from ..store.base import (
    Actor,
    ConflictError,
    CustomizedFieldRecord,
    Store,
    SyncState,
    TicketRecord,
)
from .remote import Remote

DEFAULT_OVERLAP_MS = 5 * 60 * 1000
log = logging.getLogger("larkdesk.sync")


class SyncFailed(Exception):
    """The run stopped; what was stored stays stored and the next run starts over it."""


@dataclass
class SyncReport:
    first_pass: bool = False
    fetched: int = 0
    stored: int = 0
    high_water_ms: int = -1
    fields: int = 0  # custom-field definitions copied


def ensure_local_helpdesk(store: Store, remote: Remote) -> None:
    """The remote's app and helpdesk, with the same ids and secrets, in the local store."""
    if store.get_helpdesk(remote.helpdesk_id) is not None:
        return
    if store.get_app(remote.app_id) is None:
        provision.create_app(
            store,
            f"sync of {remote.app_id}",
            scopes=("helpdesk:all",),
            app_id=remote.app_id,
            app_secret=remote.app_secret,
        )
    provision.create_helpdesk(
        store,
        remote.app_id,
        f"mirror of {remote.helpdesk_id}",
        helpdesk_id=remote.helpdesk_id,
        helpdesk_token=remote.helpdesk_token,
    )


def sync_once(
    client: FeishuClient,
    store: Store,
    remote: Remote,
    overlap_ms: int = DEFAULT_OVERLAP_MS,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """One run: the first pass (or its rest), else the changes since the last run."""
    ensure_local_helpdesk(store, remote)
    mirror = _Mirror(store, remote, progress)
    mirror.report.fields = copy_customized_fields(client, store, remote.helpdesk_id)
    state = store.get_sync_state(remote.helpdesk_id)
    if state is None or state.high_water_ms < 0:
        mirror.report.first_pass = True
        until = state.initial_until_ms if state else now_ms()
        through = state.initial_through_ms if state else -1
        state = SyncState(remote.helpdesk_id, remote.base_url, -1, until, through)
        store.save_sync_state(state)
        mirror.copy(client, through + 1, until, "create", state)
        high_water = until
    else:
        high_water = now_ms()
        since = max(0, state.high_water_ms - overlap_ms)
        for by in ("create", "update"):
            mirror.copy(client, since, high_water, by, None)
    final = SyncState(remote.helpdesk_id, remote.base_url, high_water, high_water, high_water)
    store.save_sync_state(final)
    mirror.report.high_water_ms = high_water
    return mirror.report


def copy_customized_fields(client: FeishuClient, store: Store, helpdesk_id: str) -> int:
    """Store the remote helpdesk's custom-field definitions and drop the ones it no longer
    has; returns how many it has. A remote that refuses to list them (an app without the
    scope, say) costs a warning, not the run, and changes nothing."""
    try:
        found = client.customized_fields()
    except ApiError as exc:
        log.warning("sync: custom fields not copied: %s", exc)
        return 0
    records = []
    for raw in found:
        try:
            definition = msgspec.convert(raw, TicketCustomizedField)
        except msgspec.ValidationError as exc:
            log.warning("sync: custom field %s skipped: %s", raw.get("key_name"), exc)
            continue
        position = definition.position or ""
        definition.helpdesk_id = helpdesk_id
        records.append(
            CustomizedFieldRecord(
                helpdesk_id,
                definition.ticket_customized_field_id,
                int(position) if is_digits(position) else 0,
                encode_definition(definition),
            )
        )
    store.save_customized_fields(records)
    listed = {str(raw.get("ticket_customized_field_id")) for raw in found}
    for gone in store.list_customized_fields(helpdesk_id):
        if gone.field_id not in listed:  # deleted at the source (tickets keep their values)
            store.delete_customized_field(helpdesk_id, gone.field_id)
    return len(records)


class _Mirror:
    def __init__(
        self, store: Store, remote: Remote, progress: Callable[[int], None] | None
    ) -> None:
        self.store = store
        self.remote = remote
        self.progress = progress
        self.report = SyncReport()

    def copy(
        self, client: FeishuClient, since: int, until: int, by: By, state: SyncState | None
    ) -> None:
        """Walk one range; store each window's tickets, then note the window as done."""
        batch: list[TicketRecord] = []
        for event in walk(client, None, since, until, by):
            if isinstance(event, dict):
                self.report.fetched += 1
                batch.append(self._record(event))
            elif isinstance(event, WindowDone):
                self._store(batch)
                batch = []
                if state is not None:
                    state = SyncState(
                        state.helpdesk_id, state.source, -1, state.initial_until_ms, event.end
                    )
                    self.store.save_sync_state(state)
            elif isinstance(event, Estimate):
                log.info("sync: %d tickets %sd in [%d, %d]", event.total, by, since, until)
        self._store(batch)

    def _record(self, raw: dict[str, Any]) -> TicketRecord:
        """The ticket as the source sent it; a ticket that cannot be stored stops the run."""
        wire = raw.wire if isinstance(raw, WireTicket) else msgspec.json.encode(raw)
        try:
            return kept_record(wire, self.remote.helpdesk_id)
        except UnstorableTicket as exc:
            shown = wire[:200].decode("utf-8", "replace")
            raise SyncFailed(
                f"ticket {raw.get('ticket_id')!r} cannot be stored: {exc} (as sent: {shown})"
            ) from None

    def _store(self, batch: list[TicketRecord]) -> None:
        if not batch:
            return
        try:
            by = Actor("sync", self.remote.app_id, source=self.remote.base_url)
            self.report.stored += self.store.upsert_tickets(batch, by)
        except ConflictError as exc:
            raise SyncFailed(str(exc)) from None
        if self.progress is not None:
            self.progress(len(batch))
