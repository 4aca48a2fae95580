"""Output files: NDJSON, CSV and Parquet, written so that an export can resume.

Every sink appends bytes to one file and can tell how many it has made durable, so a
checkpoint can record that offset and a resumed export can cut the file back to it.
Parquet cannot be appended to or cut, so its rows go to an NDJSON spool beside the
output (`OUT.spool.ndjson`) and become the Parquet file when the export completes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

import msgspec

from larkdesk.files import create_private

from .columns import COLUMNS, HAS_BOOL, flatten

Format = Literal["ndjson", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("ndjson", "csv", "parquet")
BOM = "\ufeff".encode()
PARQUET_BATCH = 10_000
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


class Sink:
    """Appends tickets to `path` (NDJSON); subclasses change the encoding."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None

    def open(self, resume_at: int | None) -> int:
        """Open for writing: fresh (None) or cut back to `resume_at` bytes; return the size."""
        if resume_at is None:
            create_private(self.path)
            self._file = self.path.open("wb")
            self._file.write(self.preamble())
        else:
            if not self.path.exists() or self.path.stat().st_size < resume_at:
                raise OSError(f"{self.path} is shorter than its checkpoint says; cannot resume")
            self._file = self.path.open("r+b")
            self._file.truncate(resume_at)
            self._file.seek(resume_at)
        return self.durable()

    def preamble(self) -> bytes:
        return b""

    def encode(self, tickets: list[dict[str, Any]]) -> bytes:
        return b"".join(_encode(ticket) + b"\n" for ticket in tickets)

    def write(self, tickets: list[dict[str, Any]]) -> None:
        assert self._file is not None, "open() first"
        self._file.write(self.encode(tickets))

    def write_bodies(self, bodies: list[bytes]) -> None:
        """Tickets as the store keeps them: their wire JSON, already encoded."""
        assert self._file is not None, "open() first"
        self._file.write(b"".join(body + b"\n" for body in bodies))

    def durable(self) -> int:
        """Flush and fsync; return the file's size, every byte of it on disk."""
        assert self._file is not None, "open() first"
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def finish(self) -> None:
        """The export is complete: close (Parquet converts its spool here)."""
        self.close()


class CsvSink(Sink):
    """One header row, then one flat row per ticket (UTF-8, optional BOM for Excel)."""

    def __init__(self, path: Path, bom: bool) -> None:
        super().__init__(path)
        self._bom = bom

    def preamble(self) -> bytes:
        header = self._rows([[column.name for column in COLUMNS]])
        return (BOM if self._bom else b"") + header

    def write_bodies(self, bodies: list[bytes]) -> None:
        self.write([_decode(body) for body in bodies])

    def encode(self, tickets: list[dict[str, Any]]) -> bytes:
        cell = _cell if HAS_BOOL else _text
        return self._rows([[cell(value) for value in flatten(t)] for t in tickets])

    @staticmethod
    def _rows(rows: list[list[Any]]) -> bytes:
        text = io.StringIO()
        csv.writer(text, lineterminator="\r\n").writerows(rows)
        return text.getvalue().encode("utf-8")


def _text(value: Any) -> Any:
    return "" if value is None else value


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class ParquetSink(Sink):
    """Rows spooled as NDJSON, converted to one Parquet file (typed columns) at the end."""

    def __init__(self, path: Path) -> None:
        super().__init__(spool_path(path))
        self.target = path

    def finish(self) -> None:
        self.close()
        partial = self.target.with_name(self.target.name + ".partial")
        write_parquet(_spooled(self.path), partial)
        partial.replace(self.target)
        self.path.unlink()


def spool_path(target: Path) -> Path:
    return target.with_name(target.name + ".spool.ndjson")


def _spooled(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield _decode(line)


def write_parquet(tickets: Iterator[dict[str, Any]], path: Path) -> int:
    """Write tickets as a Parquet file of flat, typed columns; return the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    schema = pa.schema([(c.name, types.get(c.kind, pa.string())) for c in COLUMNS])
    count = 0
    path.unlink(missing_ok=True)  # a leftover keeps its mode; a new file is private
    create_private(path)
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[list[Any]] = []
        for ticket in tickets:
            batch.append(flatten(ticket))
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(_table(batch, schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(_table(batch, schema))
            count += len(batch)
    return count


def _table(rows: list[list[Any]], schema: Any) -> Any:
    import pyarrow as pa

    columns = [pa.array([row[i] for row in rows], type=f.type) for i, f in enumerate(schema)]
    return pa.Table.from_arrays(columns, schema=schema)


def make_sink(path: Path, fmt: Format, bom: bool = False) -> Sink:
    if fmt == "csv":
        return CsvSink(path, bom)
    if fmt == "parquet":
        return ParquetSink(path)
    return Sink(path)
