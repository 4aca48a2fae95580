"""How the import's writer cuts a file into blocks without reading its lines into Python
(`decode_pool._block`, scanning the mapped file): each block's lines and tickets are what
reading the file line by line gives, whatever the whitespace, and a pooled import of an
oddly spaced file writes what one process writes."""

from __future__ import annotations

import mmap
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer import decode_pool, importer
from larkdesk.transfer.importer import import_ndjson

from .conftest import provision

_LINES = st.sampled_from(
    [b"{}", b' {"a": 1}', b"\t{}\r", b"", b" ", b"\r", b"\t \x0b\x0c", b"x", b"\xe6\x97\xa5"]
)


def _blocks(data: bytes, path: Path) -> list[tuple[int, int, int]]:
    path.write_bytes(data)
    found: list[tuple[int, int, int]] = []
    if not data:  # an empty file is not mapped (nor cut)
        return found
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), len(data), access=mmap.ACCESS_READ)
        start = 0
        while start < len(data):
            end, lines, tickets = decode_pool._block(mapped, start, len(data))
            found.append((end, lines, tickets))
            start = end
        mapped.close()
    return found


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_LINES, min_size=1, max_size=30),
    ending=st.sampled_from([b"", b"\n", b"\r\n"]),
    size=st.integers(min_value=1, max_value=7),
)
def test_blocks_count_what_reading_line_by_line_counts(
    lines: list[bytes], ending: bytes, size: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = b"\n".join(lines) + ending
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(decode_pool, "BLOCK_LINES", size)
        found = _blocks(data, tmp_path_factory.mktemp("blocks") / "f.ndjson")
    expected, start = [], 0
    read = _by_newline(data)
    for at in range(0, len(read), size):
        block = read[at : at + size]
        start += sum(map(len, block))
        expected.append((start, len(block), sum(1 for line in block if not line.isspace())))
    assert found == expected


def _by_newline(data: bytes) -> list[bytes]:
    """Lines as a binary file yields them (split after each b"\\n" only)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def test_a_pooled_import_of_an_oddly_spaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "empty.db")
    store.migrate()
    helpdesk_id = provision(store).helpdesk_id
    store.close()
    tickets = [
        b'{"ticket_id": "%d", "created_at": %d}' % (n, 1_700_000_000_000 + n) for n in range(9)
    ]
    source = tmp_path / "odd.ndjson"
    source.write_bytes(  # CRLF, leading blanks, blank lines of every kind, no final newline
        b"\r\n".join(tickets[:3]) + b"\r\n\t \r\n  " + b"\n\x0c\n".join(tickets[3:])
    )
    found = []
    for name, min_bytes in (("one.db", 1 << 40), ("pooled.db", 0)):
        monkeypatch.setattr(importer, "MIN_BYTES", min_bytes)
        monkeypatch.setattr(decode_pool, "BLOCK_LINES", 2)
        shutil.copy(tmp_path / "empty.db", tmp_path / name)
        store = SQLiteStore(tmp_path / name)
        assert import_ndjson(store, helpdesk_id, source) == 9
        found.append(
            store._writer.execute("SELECT seq, ticket_id FROM tickets ORDER BY seq").fetchall()
        )
        store.close()
    assert found[0] == found[1] == [(n + 1, str(n)) for n in range(9)]
