"""An import's lines decoded, checked and packed in worker processes while the one writer
writes: the source of a first fill's bulk load (`store.sqlite_bulk.Source`).

The file is cut into blocks of lines; a worker runs `kept_record` on each line of a block
(the same decode and checks as in one process), sums the block's metrics rollups and
compresses its bodies with the file's dictionary, and sends back a `Batch`. Blocks come
back in file order, a few in flight at a time, so memory stays at a few blocks. The first
bad line stops the import with its line number (`BadLine`): the writer's one transaction
rolls back and nothing is written, as with one process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from ..helpdesk.stored import UnstorableTicket, kept_record
from ..store import body_codec, rollups
from ..store.base import TicketRecord
from ..store.sqlite_bulk import Batch

BLOCK_LINES = 5_000
MIN_BYTES = 8 << 20  # smaller files decode in the writer's process (no pool to start)


class BadLine(Exception):
    """A line that cannot be stored: its number and why."""

    def __init__(self, number: int, reason: str) -> None:
        super().__init__(f"line {number}: {reason}")
        self.number = number
        self.reason = reason


def workers() -> int:
    """One per core: the writer mostly waits on SQLite's C code while they decode."""
    return max(1, os.cpu_count() or 1)


class _Worker:
    """What a worker process was started with."""

    helpdesk_id = ""
    pack: body_codec.Pack = bytes


def _start(helpdesk_id: str, dictionary: tuple[int, bytes] | None) -> None:
    _Worker.helpdesk_id = helpdesk_id
    _Worker.pack = body_codec.packer_for(*(dictionary or (None, None)))


def prepare(first: int, lines: list[bytes]) -> Batch | tuple[int, str]:
    """A worker's block: the batch, or (line number, reason) of its first bad line."""
    records: list[TicketRecord] = []
    deltas = rollups.Deltas()
    helpdesk_id, pack = _Worker.helpdesk_id, _Worker.pack
    for number, line in enumerate(lines, start=first):
        body = line.strip()
        if not body:
            continue
        try:
            record = kept_record(body, helpdesk_id)
        except UnstorableTicket as exc:
            return number, str(exc)
        deltas.add(helpdesk_id, body, 1)
        records.append(record._replace(body=pack(body)))
    return Batch(records, deltas)


class PooledLines:
    """`sqlite_bulk.Source` over an NDJSON file, decoded by a pool of processes."""

    def __init__(
        self, path: Path, helpdesk_id: str, progress: Callable[[int], None] | None = None
    ) -> None:
        self.path = path
        self.helpdesk_id = helpdesk_id
        self.progress = progress

    def __iter__(self) -> Iterator[TicketRecord]:
        """The records decoded in this process (a store without a bulk load)."""
        with self.path.open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if body := line.strip():
                    try:
                        yield kept_record(body, self.helpdesk_id)
                    except UnstorableTicket as exc:
                        raise BadLine(number, str(exc)) from None

    def sample(self) -> list[bytes]:
        with self.path.open("rb") as lines:
            found = (line.strip() for line in lines)
            return list(islice((b for b in found if b), body_codec.TRAIN_SAMPLES))

    def batches(self, dictionary: tuple[int, bytes] | None) -> Iterator[Batch]:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        count = workers()
        pool = ProcessPoolExecutor(
            count, context, initializer=_start, initargs=(self.helpdesk_id, dictionary)
        )
        pending: deque[Future[Batch | tuple[int, str]]] = deque()
        try:
            with self.path.open("rb") as lines:
                first = 1
                while block := list(islice(lines, BLOCK_LINES)):
                    pending.append(pool.submit(prepare, first, block))
                    first += len(block)
                    if len(pending) > 2 * count:
                        yield self._done(pending.popleft().result(), first - 1)
            while pending:
                yield self._done(pending.popleft().result(), first - 1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _done(self, result: Batch | tuple[int, str], read: int) -> Batch:
        if not isinstance(result, Batch):
            raise BadLine(*result)
        if self.progress is not None:
            self.progress(read)
        return result
