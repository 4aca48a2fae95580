"""Publish an import's staged tickets in short transactions, all or nothing.

One transaction for a whole file held SQLite's write lock for as long as the file took
to write (about 100 s for 200,000 changed tickets), and the API's writes meanwhile
answered 503. Here each chunk of `PUBLISH_CHUNK` tickets is its own short transaction,
so an API write waits for one chunk at most; `store.import_journal` records what each
chunk replaced, so that a failure, Ctrl-C or a crash is undone and the end state is all
or nothing. An import that died leaves its marker and journal behind: the next import,
or the next `larkdesk serve`, undoes it first (`recover`). While an import runs, readers
see the part of it published so far (docs/api.md says so).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable

from ..helpdesk.ids import now_ms
from ..store.base import Store, TicketRecord
from ..store.import_journal import PUBLISHING, ROLLING_BACK, ImportInProgress, ImportMarker
from ..store.sqlstore import BIG_WRITE, SqlStore
from ..store.tickets import chunks

PUBLISH_CHUNK = 1000  # tickets per transaction: bench/README.md, "import and the write lock"
JOURNAL_STEP = 1000  # journal rows undone or deleted per transaction
STALE_MS = 60_000  # an import whose last chunk is older than this is taken for dead
log = logging.getLogger("larkdesk.import")
Clock = Callable[[], int]


def publish(
    store: SqlStore,
    helpdesk_id: str,
    source: str,
    records: Iterable[TicketRecord],
    clock: Clock = now_ms,
) -> int:
    """Upsert `records` chunk by chunk; on any failure undo every chunk and re-raise.
    Returns how many tickets were written (a repeated id counts once per chunk)."""
    recover(store, clock)
    started = clock()
    run = ImportMarker(uuid.uuid4().hex, helpdesk_id, source, PUBLISHING, started, started)
    store.begin_import(run)
    count = 0
    try:
        for chunk in chunks(records, PUBLISH_CHUNK):
            if count:
                time.sleep(store.import_handoff_seconds)  # let waiting writers in
            store.publish_import_chunk(run.run_id, chunk, clock())
            count += len(chunk)
        store.finish_import(run.run_id, clock())
    except BaseException:
        _undo_own(store, run.run_id, clock)
        raise
    _drain(store, undo=False)
    store.end_import(big=count >= BIG_WRITE)
    return count


def recover(store: SqlStore, clock: Clock = now_ms, stale_ms: int = STALE_MS) -> str | None:
    """Undo (or, if it had finished, clean up after) an import that died; a sentence
    saying what was done, or None. `ImportInProgress` if a live import holds the store."""
    found = store.claim_import_undo(None, clock(), stale_ms)
    if found is None:
        return None
    _drain(store, undo=found.state == ROLLING_BACK)
    store.end_import(big=False)
    done = "undone" if found.state == ROLLING_BACK else "cleaned up after (it had finished)"
    told = f"{found.describe()} was left unfinished and has been {done}"
    log.warning("%s", told)
    return told


def _undo_own(store: SqlStore, run_id: str, clock: Clock) -> None:
    try:
        found = store.claim_import_undo(run_id, clock(), STALE_MS)
    except ImportInProgress:  # another import took over after undoing this one
        return
    if found is not None:
        _drain(store, undo=found.state == ROLLING_BACK)
        store.end_import(big=False)


def _drain(store: SqlStore, undo: bool) -> None:
    while store.import_journal_step(undo, JOURNAL_STEP):
        time.sleep(store.import_handoff_seconds)  # as between chunks: let writers in


def recover_at_start(store: Store) -> str | None:
    """`recover` for `larkdesk serve`: a live import is left alone, and a store that cannot
    write (a read replica) only logs it."""
    if not isinstance(store, SqlStore) or store.import_marker() is None:
        return None  # a read: the common case costs no write
    try:
        return recover(store)
    except ImportInProgress:
        return None
    except Exception as exc:
        log.warning("an unfinished import could not be undone at start: %s", exc)
        return None
