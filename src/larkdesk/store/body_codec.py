"""Ticket bodies as stored: compressed on SQLite, as they are on PostgreSQL.

SQLite keeps each ticket's wire JSON as a zstd frame made with a dictionary trained from
the database's own tickets (`body_dicts`, migration 0022): ~1.2 KB of JSON whose keys,
avatar URLs and enumerations repeat from ticket to ticket become ~160 bytes (7×; zlib or
zstd without a dictionary get 2–3× on one small document). A stored body says what it
is: wire JSON starts with `{`, a frame with zstd's magic number and names its
dictionary's id in its header, so bodies written before a dictionary existed (or by
PostgreSQL, whose bodies are never compressed: docs/storage.md) read back as they are.

`unpack` gives back the exact bytes that were packed. Dictionaries are only ever added
(each frame names its own), and a process keeps each one it has read: one decompressor
per thread and dictionary, since zstd's contexts are not shared between threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

import zstandard

from .sql import Sql

DICT_BYTES = 64 * 1024
TRAIN_SAMPLES = 20_000  # bodies to train from (0.5 CPU-s; fewer compress a little worse)
MIN_SAMPLES = 200  # fewer train a dictionary that compresses worse (6× at 200, 4× at 20)
LEVEL = 3  # 5 µs per body; levels 6–9 cost 4–7× that and compress no better here
CONVERT_CHUNK = 5_000
_MAGIC = b"\x28\xb5\x2f\xfd"

Pack = Callable[[bytes], bytes]
Source = Sql | sqlite3.Connection

_dicts: dict[int, zstandard.ZstdCompressionDict] = {}
_dicts_lock = threading.Lock()
_local = threading.local()


def _as_is(body: bytes) -> bytes:
    return body


def _connection(db: Source) -> sqlite3.Connection | None:
    if isinstance(db, sqlite3.Connection):
        return db
    conn = getattr(db, "conn", None)
    return conn if isinstance(conn, sqlite3.Connection) else None


def _dictionary(db: Source | None, dict_id: int) -> zstandard.ZstdCompressionDict:
    found = _dicts.get(dict_id)
    if found is not None:
        return found
    conn = None if db is None else _connection(db)
    row = None
    if conn is not None:
        row = conn.execute("SELECT dict FROM body_dicts WHERE dict_id = ?", (dict_id,)).fetchone()
    if row is None:
        raise LookupError(f"a stored ticket body names dictionary {dict_id}, which is missing")
    return _remember(dict_id, bytes(row[0]))


def _remember(dict_id: int, data: bytes) -> zstandard.ZstdCompressionDict:
    with _dicts_lock:
        found = _dicts.get(dict_id)
        if found is None:
            found = zstandard.ZstdCompressionDict(data)
            _dicts[dict_id] = found
        return found


def _decompressor(db: Source | None, dict_id: int) -> zstandard.ZstdDecompressor:
    cache: dict[int, zstandard.ZstdDecompressor] | None = getattr(_local, "d", None)
    if cache is None:
        cache = _local.d = {}
    found = cache.get(dict_id)
    if found is None:
        found = cache[dict_id] = zstandard.ZstdDecompressor(dict_data=_dictionary(db, dict_id))
    return found


def unpack(body: bytes, db: Source | None = None) -> bytes:
    """The wire JSON of a stored body; `db` is where to find a dictionary this process
    has not read yet (one trained by another process since)."""
    if body[:4] != _MAGIC:
        return bytes(body)
    dict_id = zstandard.get_frame_parameters(body).dict_id
    return bytes(_decompressor(db, dict_id).decompress(body))


def unpack_all(bodies: Sequence[bytes], db: Source | None = None) -> list[bytes]:
    """`unpack` of each, in one call into zstd when they share a dictionary (a list
    page's 200 bodies: ~1 µs each instead of ~2)."""
    if len(bodies) < 2 or any(b[:4] != _MAGIC for b in bodies):
        return [unpack(b, db) for b in bodies]
    dict_id = zstandard.get_frame_parameters(bodies[0]).dict_id
    try:
        found = _decompressor(db, dict_id).multi_decompress_to_buffer(list(bodies))
    except zstandard.ZstdError:  # frames of another dictionary among them
        return [unpack(b, db) for b in bodies]
    return [found[i].tobytes() for i in range(len(found))]


def _compressor(dict_id: int, data: zstandard.ZstdCompressionDict) -> Pack:
    cache: dict[int, Pack] | None = getattr(_local, "c", None)
    if cache is None:
        cache = _local.c = {}
    found = cache.get(dict_id)
    if found is None:
        compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=data, write_checksum=False, write_dict_id=True
        )
        found = cache[dict_id] = compressor.compress
    return found


def packer(db: Source) -> Pack:
    """How `db` stores a body: compressed with its newest dictionary on SQLite once it
    has one, as it is otherwise (PostgreSQL, or a SQLite file not yet trained)."""
    conn = _connection(db)
    if conn is None:
        return _as_is
    row = conn.execute("SELECT dict_id FROM body_dicts ORDER BY n DESC LIMIT 1").fetchone()
    if row is None:
        return _as_is
    dict_id = int(row[0])
    return _compressor(dict_id, _dictionary(conn, dict_id))


def packer_for(dict_id: int | None, data: bytes | None) -> Pack:
    """A packer from a dictionary handed over (an import's worker processes)."""
    if dict_id is None or data is None:
        return _as_is
    return _compressor(dict_id, _remember(dict_id, data))


def newest(conn: sqlite3.Connection) -> tuple[int, bytes] | None:
    row = conn.execute("SELECT dict_id, dict FROM body_dicts ORDER BY n DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), bytes(row[1]))


def train(conn: sqlite3.Connection, samples: Sequence[bytes]) -> int | None:
    """Train a dictionary from `samples` (wire JSON) and keep it; its id, or None when
    the samples are too few or too alike to train from. The caller's transaction."""
    if len(samples) < MIN_SAMPLES:
        return None
    try:
        taken: list[bytes | bytearray | memoryview] = list(samples[:TRAIN_SAMPLES])
        size = min(DICT_BYTES, sum(map(len, taken)) // 4)
        trained = zstandard.train_dictionary(size, taken, k=1024, d=8, threads=1)
    except zstandard.ZstdError:  # e.g. samples too small in all to fill a dictionary
        return None
    data = trained.as_bytes()
    dict_id = trained.dict_id()
    conn.execute("INSERT OR IGNORE INTO body_dicts (dict_id, dict) VALUES (?, ?)", (dict_id, data))
    _remember(dict_id, data)
    return dict_id


def convert(db: Sql) -> int:
    """Compress every body stored as it is (migration 0022 on SQLite; nothing on
    PostgreSQL): train the file's first dictionary from a spread of its tickets if it has
    none, then rewrite the bodies in seq order. Returns the bodies rewritten."""
    conn = _connection(db)
    if conn is None:
        return 0
    if newest(conn) is None:
        (count,) = conn.execute("SELECT count(*) FROM ticket_bodies").fetchone()
        step = max(1, int(count) // TRAIN_SAMPLES)
        samples = [
            bytes(body)
            for (body,) in conn.execute(
                "SELECT body FROM ticket_bodies WHERE seq % ? = 0 LIMIT ?", (step, TRAIN_SAMPLES)
            )
        ]
        train(conn, [unpack(s, conn) for s in samples])
    pack = packer(conn)
    if pack is _as_is:
        return 0
    seq, rewritten = 0, 0
    while rows := conn.execute(
        "SELECT seq, body FROM ticket_bodies WHERE seq > ? ORDER BY seq LIMIT ?",
        (seq, CONVERT_CHUNK),
    ).fetchall():
        changed = [(pack(bytes(b)), s) for s, b in rows if bytes(b[:4]) != _MAGIC]
        conn.executemany("UPDATE ticket_bodies SET body = ? WHERE seq = ?", changed)
        rewritten += len(changed)
        seq = rows[-1][0]
    return rewritten


def register(conn: sqlite3.Connection) -> None:
    """`body_json(body)`: a stored body as text, for SQL that reads inside it
    (`store.body_filters`)."""

    def body_json(body: Any) -> str | None:
        return None if body is None else unpack(body, conn).decode()

    conn.create_function("body_json", 1, body_json, deterministic=True)
