"""Import tickets from NDJSON files in the list API's own JSON shape.

A file is imported all or nothing, in one transaction: the first bad line stops
the import with its line number, and nothing from that file is written. The whole file
is decoded and checked before the transaction starts, so the write lock is held for the
writing alone.
Re-importing a file is harmless: tickets are replaced by ticket_id. Each line is kept byte
for byte as written (`helpdesk.stored`): larkdesk's ticket rules govern writes through its
own API, not what another service sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from ..helpdesk.stored import UnstorableTicket, kept_record
from ..store.base import ConflictError, Store, TicketRecord
from ..store.staging import StagedTickets

PROGRESS_EVERY = 10_000


class ImportFailed(Exception):
    """The file was not imported; the message names the line and the reason."""


def import_ndjson(
    store: Store,
    helpdesk_id: str,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Upsert every ticket of an NDJSON file into the helpdesk; return how many were read."""
    if store.get_helpdesk(helpdesk_id) is None:
        raise ImportFailed(f"no helpdesk with id {helpdesk_id!r}")
    # Decode and check every line first, with nothing locked; then one write transaction.
    with StagedTickets(_records(path, helpdesk_id, progress)) as staged:
        try:
            return store.upsert_tickets(staged)
        except ConflictError as exc:
            raise ImportFailed(f"{path}: {exc}; nothing was imported") from None


def _records(
    path: Path, helpdesk_id: str, progress: Callable[[int], None] | None
) -> Iterator[TicketRecord]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            body = line.strip()
            if not body:
                continue
            try:
                yield kept_record(body, helpdesk_id)
            except UnstorableTicket as exc:
                raise ImportFailed(f"{path}:{number}: {exc}; nothing was imported") from None
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number)
