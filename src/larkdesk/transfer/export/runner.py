"""Run an export, from a Feishu-compatible API or from a local store, resumably."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...client import Estimate, FeishuClient, walk
from ...client.http import ParamValue
from ...client.walker import By, now_ms
from ...helpdesk.tickets.query import parse_ticket_query
from ...store.base import Store, TicketQuery, Window
from .checkpoint import Checkpoint, load_checkpoint, remove_checkpoint, save_checkpoint
from .sinks import Format, Sink, make_sink, spool_path

WRITE_BATCH = 1000  # tickets encoded and written at once
STORE_PAGE = 2000  # tickets per keyset page from a local store
STORE_CHECKPOINT_EVERY = 10  # pages


class ExportFailed(Exception):
    """The export cannot start or go on; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ExportJob:
    out: Path
    source: str  # base URL or database (no password), for the checkpoint only
    helpdesk_id: str
    fmt: Format = "ndjson"
    bom: bool = False
    filters: dict[str, ParamValue] = field(default_factory=dict)
    since: int = 0
    until: int | None = None
    by: By = "create"

    def describe(self) -> dict[str, Any]:
        """What identifies this export in its checkpoint (JSON-ready, no secrets)."""
        fields = dataclasses.asdict(self)
        fields["out"] = str(self.out)
        fields["filters"] = {
            k: v if isinstance(v, str | int) else list(v) for k, v in sorted(self.filters.items())
        }
        return fields


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    resumed: bool


@dataclass
class Progress:
    """Callbacks the command line turns into a progress bar."""

    total: Callable[[int], None] = lambda n: None
    advance: Callable[[int], None] = lambda n: None


def export_from_api(
    client: FeishuClient, job: ExportJob, progress: Progress | None = None, restart: bool = False
) -> ExportResult:
    """Every matching ticket from the list API into `job.out`, resuming a checkpoint."""
    progress = progress or Progress()
    client.tenant_access_token()  # refused credentials: say so before touching the output
    checkpoint, sink = _start(job, restart)
    until = checkpoint.until if checkpoint else (job.until if job.until is not None else now_ms())
    since = checkpoint.through + 1 if checkpoint and checkpoint.through is not None else job.since
    rows = checkpoint.rows if checkpoint else 0
    progress.advance(rows)
    batch: list[dict[str, Any]] = []
    try:
        for event in walk(client, job.filters, since, until, job.by):
            if isinstance(event, dict):
                batch.append(event)
                if len(batch) >= WRITE_BATCH:
                    rows += _write(sink, batch, progress)
            elif isinstance(event, Estimate):
                progress.total(rows + event.total)
            else:
                rows += _write(sink, batch, progress)
                save_checkpoint(
                    job.out,
                    Checkpoint(job.describe(), sink.durable(), rows, until, through=event.end),
                )
        rows += _write(sink, batch, progress)
        sink.finish()
    finally:
        sink.close()
    remove_checkpoint(job.out)
    return ExportResult(rows, resumed=checkpoint is not None)


def export_from_store(
    store: Store, job: ExportJob, progress: Progress | None = None, restart: bool = False
) -> ExportResult:
    """Every matching ticket of a local helpdesk into `job.out`: keyset pages, no cap."""
    progress = progress or Progress()
    if store.get_helpdesk(job.helpdesk_id) is None:
        raise ExportFailed(f"no helpdesk with id {job.helpdesk_id!r} in {job.source}")
    query = store_query(job)
    checkpoint, sink = _start(job, restart)
    after = checkpoint.after if checkpoint else None
    rows = checkpoint.rows if checkpoint else 0
    progress.total(rows + _remaining(store, job.helpdesk_id, query, after))
    progress.advance(rows)
    pages = 0
    try:
        while page := store.scan_tickets(job.helpdesk_id, query, after, STORE_PAGE):
            sink.write_bodies([t.body for t in page])
            rows += len(page)
            progress.advance(len(page))
            after, pages = page[-1].key, pages + 1
            if pages % STORE_CHECKPOINT_EVERY == 0:
                save_checkpoint(
                    job.out, Checkpoint(job.describe(), sink.durable(), rows, after=after)
                )
        sink.finish()
    finally:
        sink.close()
    remove_checkpoint(job.out)
    return ExportResult(rows, resumed=checkpoint is not None)


def store_query(job: ExportJob) -> TicketQuery:
    """The job's filters as the store's query, validated as the list API validates them."""
    pairs = [
        (name, str(item))
        for name, value in job.filters.items()
        for item in ([value] if isinstance(value, str | int) else value)
    ]
    query = parse_ticket_query(pairs)
    if job.since <= 0 and job.until is None:
        return query
    window = Window(job.since, job.until if job.until is not None else 2**63 - 1)
    if job.by == "create":
        return dataclasses.replace(query, created=window)
    return dataclasses.replace(query, updated=window)


def _remaining(
    store: Store, helpdesk_id: str, query: TicketQuery, after: tuple[int, str] | None
) -> int:
    total = store.list_tickets(helpdesk_id, dataclasses.replace(query, page_size=1)).total
    if after is None:
        return total
    done = dataclasses.replace(query, created=Window(after[0], 2**63 - 1), page_size=1)
    return max(0, total - store.list_tickets(helpdesk_id, done).total)


def _start(job: ExportJob, restart: bool) -> tuple[Checkpoint | None, Sink]:
    checkpoint = None if restart else load_checkpoint(job.out)
    if checkpoint is not None and checkpoint.job != job.describe():
        raise ExportFailed(
            f"{job.out} has a checkpoint of a different export; run the same command to"
            " resume it, or add --restart to start this one over"
        )
    if checkpoint is None:
        remove_checkpoint(job.out)
        spool_path(job.out).unlink(missing_ok=True)
    sink = make_sink(job.out, job.fmt, job.bom)
    sink.open(checkpoint.bytes if checkpoint else None)
    if checkpoint is None:  # a crash from here on resumes from this (empty) file
        save_checkpoint(job.out, Checkpoint(job.describe(), sink.durable(), 0, until=None))
    return checkpoint, sink


def _write(sink: Sink, batch: list[dict[str, Any]], progress: Progress) -> int:
    count = len(batch)
    if count:
        sink.write(batch)
        progress.advance(count)
        batch.clear()
    return count
