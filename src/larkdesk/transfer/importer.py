"""Import tickets from NDJSON files in the list API's own JSON shape.

A file is imported all or nothing: the first bad line stops the import with its line
number, and nothing from that file is written. The whole file is decoded and checked
first, with nothing locked; then it is published in short transactions with an undo
journal (`publish`), so the API's writes interleave with it and a failure is undone.
Into a store that holds no tickets yet and that no server has open (a first fill), the
file is instead decoded and bulk-loaded in one transaction (`SqlStore.first_fill`:
SQLite's bulk load, as `demo`'s), with 2-3x less CPU, its lines decoded by worker
processes while the writer writes (`decode_pool`); a file that repeats a ticket_id
falls back to the chunks. Re-importing a file is harmless: tickets are replaced by ticket_id. Each
line is kept byte for byte as written (`helpdesk.stored`): larkdesk's ticket rules
govern writes through its own API, not what another service sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..helpdesk.stored import UnstorableTicket, kept_record
from ..store.base import Actor, ConflictError, Store, TicketRecord
from ..store.import_journal import ImportInProgress
from ..store.sqlstore import SqlStore
from ..store.staging import StagedTickets
from .decode_pool import MIN_BYTES, BadLine, PooledLines
from .publish import publish, recover

PROGRESS_EVERY = 10_000


class ImportFailed(Exception):
    """The file was not imported; the message names the line and the reason."""


def import_ndjson(
    store: Store,
    helpdesk_id: str,
    path: Path,
    progress: Callable[[int], None] | None = None,
    finishing: Callable[[int, int], None] | None = None,
) -> int:
    """Upsert every ticket of an NDJSON file into the helpdesk; return how many were read.
    `progress(lines)`: lines read so far; `finishing(done, total)`: the steps of a big
    first fill after its last line (derived rows and index builds)."""
    if store.get_helpdesk(helpdesk_id) is None:
        raise ImportFailed(f"no helpdesk with id {helpdesk_id!r}")
    if not isinstance(store, SqlStore):
        raise ImportFailed("imports need a SQL store")
    try:
        recover(store)  # an import that died is undone first, as `publish` does
        by = Actor("import", source=str(path))  # as `publish` records it
        source = _first_fill_source(path, helpdesk_id, progress, finishing)
        loaded = store.first_fill(source, by)
    except BadLine as exc:
        raise ImportFailed(f"{path}:{exc.number}: {exc.reason}; nothing was imported") from None
    except ImportInProgress as exc:
        raise ImportFailed(f"{path}: {exc}; nothing was imported") from None
    except ConflictError:  # a repeated ticket_id (the later line wins): in chunks
        loaded = None
    if loaded is not None:
        return loaded
    # Decode and check every line first, with nothing locked; then publish in chunks.
    with StagedTickets(_records(path, helpdesk_id, progress)) as staged:
        try:
            return publish(store, helpdesk_id, str(path), staged)
        except (ConflictError, ImportInProgress) as exc:
            raise ImportFailed(f"{path}: {exc}; nothing was imported") from None


def _first_fill_source(
    path: Path,
    helpdesk_id: str,
    progress: Callable[[int], None] | None,
    finishing: Callable[[int, int], None] | None,
) -> Iterable[TicketRecord]:
    """A big file is decoded by worker processes while the bulk load writes."""
    if path.stat().st_size >= MIN_BYTES:
        return PooledLines(path, helpdesk_id, progress, finishing)
    return _records(path, helpdesk_id, progress)


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
