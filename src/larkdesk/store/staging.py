"""Tickets parsed and validated ahead of their write, kept in an anonymous temporary file.

An import reads, decodes and checks its whole file first, with no lock held, into
`StagedTickets`; only then does the store's one write transaction run, over records that
are ready to write. So a bad line fails the import before anything is locked, and the
write lock is held for the writing alone. The file is unlinked from the start (readable by
nobody else) and gone when closed.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO

from .base import TicketRecord

_LENGTH = struct.Struct("<I")


class StagedTickets:
    """Records written once, then read back in order as often as needed."""

    def __init__(self, records: Iterable[TicketRecord] = ()) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.count = 0
        try:
            for record in records:
                self.add(record)
        except BaseException:  # a bad record (or Ctrl-C) while staging: no file left open
            self.close()
            raise

    def add(self, record: TicketRecord) -> None:
        blob = pickle.dumps(tuple(record), protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(_LENGTH.pack(len(blob)) + blob)
        self.count += 1

    def __iter__(self) -> Iterator[TicketRecord]:
        self._file.flush()
        self._file.seek(0)
        read = self._file.read
        for _ in range(self.count):
            (length,) = _LENGTH.unpack(read(_LENGTH.size))
            yield TicketRecord(*pickle.loads(read(length)))
        self._file.seek(0, 2)  # further adds append

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StagedTickets:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
