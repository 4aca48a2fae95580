"""Files larkdesk creates (database, -wal/-shm, exports, checkpoints) are private: 0600
whatever the umask, or `LARKDESK_FILE_MODE`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from larkdesk.files import create_private
from larkdesk.helpdesk.models import to_record
from larkdesk.settings import file_mode
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.export.checkpoint import Checkpoint, checkpoint_path, save_checkpoint
from larkdesk.transfer.export.runner import ExportJob, export_from_store

from .conftest import provision
from .seeded import seed_tickets


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask, under which files are created 0644 unless larkdesk says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _sqlite_files(path: Path) -> dict[str, int]:
    store = SQLiteStore(path)
    try:
        provision(store)  # a write: -wal and -shm exist while the store is open
        return {suffix: mode(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm")}
    finally:
        store.close()


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    assert _sqlite_files(tmp_path / "new.db") == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_the_mode_can_be_relaxed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LARKDESK_FILE_MODE", "0640")
    assert _sqlite_files(tmp_path / "shared.db") == {"": 0o640, "-wal": 0o640, "-shm": 0o640}


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "mine.db"
    path.touch(mode=0o644)
    assert not create_private(path)
    assert _sqlite_files(path)[""] == 0o644


@pytest.mark.parametrize("value", ["644x", "0400", "1777", "-1"])
def test_a_bad_mode_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LARKDESK_FILE_MODE", value)
    with pytest.raises(ValueError, match="LARKDESK_FILE_MODE"):
        file_mode()


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "parquet"])
def test_exports_and_checkpoints_are_private(tmp_path: Path, fmt: str) -> None:
    store = SQLiteStore(tmp_path / "x.db")
    try:
        identity = provision(store)
        tickets = seed_tickets()[:50]
        store.upsert_tickets(to_record(t, identity.helpdesk_id) for t in tickets)
        out = tmp_path / f"out.{fmt}"
        export_from_store(store, ExportJob(out, "db", identity.helpdesk_id, fmt=fmt))  # type: ignore[arg-type]
    finally:
        store.close()
    assert mode(out) == 0o600
    save_checkpoint(out, Checkpoint(job={}, bytes=0, rows=0))
    assert mode(checkpoint_path(out)) == 0o600
