"""An import publishes in short transactions, so the API's writes interleave with it
instead of waiting for all of it (no 503 during an import); a write that waits longer
than the store waits (for any other long writer) is a retryable 503/155000 with
`Retry-After`, never a 500; and the import stays all or nothing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import msgspec
import pytest

from larkdesk.errors import ServiceBusy
from larkdesk.store import postgres
from larkdesk.store.base import Store
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.importer import import_ndjson

from .backends import BACKEND_NAMES, db_location, open_backend
from .conftest import LIST_PATH, auth_headers, make_client, provision
from .seeded import seed_tickets


def _second_store(store: Store) -> Store:
    """Another connection to the same database, as `larkdesk import` in another process."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path)
    return postgres.PostgresStore(db_location(store), pool_size=2)


def _short_waits(store: Store) -> None:
    """The API's writer waits 100 ms for a lock, so the test needs no 10 s import."""
    if isinstance(store, SQLiteStore):
        store._writer.execute("PRAGMA busy_timeout = 100")


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_puts_during_a_big_import_all_succeed_between_its_chunks(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = seed_tickets()  # 12,000: twelve chunks of 1,000
    with open_backend(backend, tmp_path) as store:
        identity = provision(store)  # type: ignore[arg-type]
        target = tickets[0].ticket_id
        import_ndjson_lines(store, identity.helpdesk_id, tmp_path / "first.ndjson", tickets[:1])
        source = tmp_path / "big.ndjson"
        write_ndjson(source, tickets)  # the PUT's ticket first: PostgreSQL locks its row
        importer = _second_store(store)
        chunks: list[int] = []
        publishing = importer.publish_import_chunk  # type: ignore[attr-defined]
        monkeypatch.setattr(
            importer,
            "publish_import_chunk",
            lambda run, chunk, now: (chunks.append(len(chunk)), publishing(run, chunk, now)),
        )
        done: list[int] = []
        thread = threading.Thread(
            target=lambda: done.append(import_ndjson(importer, identity.helpdesk_id, source))
        )
        answers: list[tuple[int, Any]] = []
        with make_client(store) as client:  # type: ignore[arg-type]
            headers = auth_headers(client, identity)
            thread.start()
            while thread.is_alive():
                put = client.put(f"{LIST_PATH}/{target}", json={"status": 3}, headers=headers)
                answers.append((len(chunks), put))
            thread.join()
            total = client.get(LIST_PATH, headers=headers).json()["data"]["total"]
        importer.close()
        assert done == [12000] and total == 12000 and len(chunks) == 12
    assert {put.status_code for _, put in answers} == {200}, [p.text for _, p in answers]
    # The PUTs went through while the import was publishing, not after it.
    assert len({published for published, _ in answers if 0 < published < 12}) >= 2


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_a_write_that_waits_too_long_is_a_retryable_503(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "100ms")
    tickets = seed_tickets()[:1]
    with open_backend(backend, tmp_path) as store:
        identity = provision(store)  # type: ignore[arg-type]
        target = tickets[0].ticket_id
        import_ndjson_lines(store, identity.helpdesk_id, tmp_path / "first.ndjson", tickets)
        _short_waits(store)
        holder = _second_store(store)
        release, held = threading.Event(), threading.Event()

        def hold(db: Any) -> None:  # another writer holding the lock (or the row) a while
            db.all(f"SELECT seq FROM tickets WHERE ticket_id = ?{db.for_update}", (target,))
            db.run("UPDATE tickets SET status = status WHERE ticket_id = ?", (target,))
            held.set()
            release.wait(30)

        thread = threading.Thread(target=lambda: holder._write(hold))  # type: ignore[attr-defined]
        with make_client(store) as client:  # type: ignore[arg-type]
            headers = auth_headers(client, identity)
            thread.start()
            held.wait(30)
            busy = client.put(f"{LIST_PATH}/{target}", json={"status": 3}, headers=headers)
            release.set()
            thread.join()
            after = client.put(f"{LIST_PATH}/{target}", json={"status": 50}, headers=headers)
        holder.close()
    assert (busy.status_code, busy.json()["code"]) == (503, 155000), busy.text
    assert busy.headers["Retry-After"] == "1"
    assert busy.json()["error"]["log_id"] == busy.headers["X-Tt-Logid"]
    assert after.status_code == 200


def write_ndjson(path: Path, tickets: list[Any]) -> None:
    path.write_bytes(b"".join(msgspec.json.encode(t) + b"\n" for t in tickets))


def import_ndjson_lines(store: Store, helpdesk_id: str, path: Path, tickets: list[Any]) -> None:
    write_ndjson(path, tickets)
    import_ndjson(store, helpdesk_id, path)


def test_service_busy_is_a_feishu_answer() -> None:
    error = ServiceBusy()
    assert (error.http_status, error.code) == (503, 155000)
    assert error.message.startswith("Internal error: ") and error.headers() == {"Retry-After": "1"}
