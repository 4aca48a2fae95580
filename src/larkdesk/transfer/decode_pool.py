"""An import's lines decoded, checked and packed in worker processes while the one writer
writes: the source of a first fill's bulk load (`store.sqlite_bulk.Source`).

The file is cut into blocks of lines. The writer only finds where each block ends and
counts its tickets, scanning the file mapped into memory (`_block`): it never copies a
line into Python, pickles or pipes it. A worker reads its block from the file itself, runs
`kept_record_facts` on each line (the same decode and checks as `kept_record` in one
process, and the ticket's metrics facts from the same decode), and builds the block's rows
(`sqlite_bulk.rows`: the tickets' rows numbered from the block's first seq, their bodies
compressed with the file's dictionary, the link rows, the summed rollups), sent back as
MessagePack, so that the writer only inserts them. Blocks come back in file order, a few
in flight at a time, so memory stays at a few blocks. The first bad line stops the import
with its line number (`BadLine`): the writer's one transaction rolls back and nothing is
written, as with one process.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec

from ..helpdesk.stored import UnstorableTicket, kept_record, kept_record_facts
from ..store import body_codec
from ..store.base import TicketRecord
from ..store.sqlite_bulk import Rows, rows

BLOCK_LINES = 5_000
# A block's rows go back to the writer as MessagePack, typed: a third of pickle's CPU in
# the worker (no memo of every object), a little less than unpickling in the writer.
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(Rows).decode
_WHITESPACE = frozenset(b" \t\n\r\x0b\x0c")  # what bytes.isspace() and strip() take
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
    key: Any = None  # the helpdesk's key in the file (store/helpdesk_keys.py)
    pack: body_codec.Pack = bytes
    file: Any = None  # the NDJSON file


def _start(path: Path, helpdesk_id: str, key: Any, dictionary: tuple[int, bytes] | None) -> None:
    # A worker only makes rows that are freed as soon as sent, and no cycles: the cyclic
    # collector would walk the heap it was forked with, again and again (8% of its CPU).
    gc.freeze()
    gc.disable()
    _Worker.file = path.open("rb")
    _Worker.helpdesk_id = helpdesk_id
    _Worker.key = key
    _Worker.pack = body_codec.packer_for(*(dictionary or (None, None)))


def prepare(first: int, seq: int, start: int, end: int) -> bytes | tuple[int, str]:
    """A worker's block, the file's bytes [start, end) (its first line's number and first
    ticket's seq): its rows (encoded), or (line number, reason) of its first bad line."""
    _Worker.file.seek(start)
    found = prepare_lines(first, seq, _Worker.file.read(end - start).split(b"\n"))
    return _encode(found) if isinstance(found, Rows) else found


def prepare_lines(first: int, seq: int, lines: list[bytes]) -> Rows | tuple[int, str]:
    """`prepare` of a block's lines."""
    helpdesk_id = _Worker.helpdesk_id
    bodies = [body for line in lines if (body := line.strip())]
    try:
        records = [kept_record_facts(body, helpdesk_id) for body in bodies]
    except UnstorableTicket:
        return _first_bad(first, lines)
    return rows(records, seq, _Worker.pack, _key)


def _first_bad(first: int, lines: list[bytes]) -> tuple[int, str]:
    """The number of the first line of a block that cannot be stored, and why."""
    for number, line in enumerate(lines, start=first):
        if body := line.strip():
            try:
                kept_record_facts(body, _Worker.helpdesk_id)
            except UnstorableTicket as exc:
                return number, str(exc)
    raise AssertionError("a bad line that reads well the second time")


def _key(helpdesk_id: str) -> Any:
    """The key of the one helpdesk a worker's lines go to, assigned by the writer."""
    return _Worker.key


class PooledLines:
    """`sqlite_bulk.Source` over an NDJSON file, decoded by a pool of processes."""

    def __init__(
        self,
        path: Path,
        helpdesk_id: str,
        progress: Callable[[int], None] | None = None,
        finishing: Callable[[int, int], None] | None = None,
    ) -> None:
        self.path = path
        self.helpdesk_id = helpdesk_id
        self.progress = progress
        self._finishing = finishing

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

    def finishing(self, done: int, total: int) -> None:
        if self._finishing is not None:
            self._finishing(done, total)

    def batches(
        self, dictionary: tuple[int, bytes] | None, key: Callable[[str], Any]
    ) -> Iterator[Rows]:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        count = workers()
        pool = ProcessPoolExecutor(
            count,
            context,
            initializer=_start,
            initargs=(self.path, self.helpdesk_id, key(self.helpdesk_id), dictionary),
        )
        pending: deque[Future[bytes | tuple[int, str]]] = deque()
        try:
            with self.path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                # Mapped only to be scanned, and let go block by block (the pages stay in
                # the page cache, out of this process's resident set).
                mapped = _mapped(file.fileno(), size)
                first = seq = 1
                start = 0
                while start < size:
                    end, lines, tickets = _block(mapped, start, size)
                    pending.append(pool.submit(prepare, first, seq, start, end))
                    _let_go(mapped, start, end)
                    first, seq, start = first + lines, seq + tickets, end
                    if len(pending) > 2 * count:
                        yield self._done(pending.popleft().result(), first - 1)
            while pending:
                yield self._done(pending.popleft().result(), first - 1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _done(self, result: bytes | tuple[int, str], read: int) -> Rows:
        if not isinstance(result, bytes):
            raise BadLine(*result)
        if self.progress is not None:
            self.progress(read)
        # A block's rows are tuples of texts and numbers (no cycles), freed once written:
        # the cyclic collector would walk them, and the writer's heap, ~20 times a block.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return _decode(result)
        finally:
            if collecting:
                gc.enable()


def _block(mapped: mmap.mmap | bytes, start: int, size: int) -> tuple[int, int, int]:
    """The block of up to `BLOCK_LINES` lines from `start`: where it ends, its lines, and
    its tickets (the lines not blank, as `line.isspace()` reads them)."""
    end, lines, tickets = start, 0, 0
    find = mapped.find
    while lines < BLOCK_LINES and end < size:
        stop = find(b"\n", end)
        stop = size if stop < 0 else stop + 1
        # A line is blank only if it starts with whitespace (a ticket starts with "{").
        if mapped[end] not in _WHITESPACE or not mapped[end:stop].isspace():
            tickets += 1
        end = stop
        lines += 1
    return end, lines, tickets


def _mapped(fd: int, size: int) -> mmap.mmap | bytes:
    """The file mapped to be read once in order (read ahead as a file read is)."""
    if not size:
        return b""  # an empty file cannot be mapped
    mapped = mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    if hasattr(mmap, "MADV_SEQUENTIAL"):
        mapped.madvise(mmap.MADV_SEQUENTIAL)
    return mapped


def _let_go(mapped: mmap.mmap | bytes, start: int, end: int) -> None:
    """Drop the scanned pages from this process's mapping (read again only if asked)."""
    if isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        aligned = start - start % mmap.PAGESIZE
        mapped.madvise(mmap.MADV_DONTNEED, aligned, end - aligned)
