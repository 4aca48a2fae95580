"""An import holding the write lock (SQLite) or the rows (PostgreSQL) never makes the API
answer 500: a write that waited longer than the store waits is a retryable 503/155000
with `Retry-After`, and the import stays all or nothing."""

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
def test_a_put_during_an_import_is_200_or_a_retryable_503(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", "100ms")
    tickets = seed_tickets()[:6000]
    with open_backend(backend, tmp_path) as store:
        identity = provision(store)  # type: ignore[arg-type]
        target = tickets[0].ticket_id
        import_ndjson_lines(store, identity.helpdesk_id, tmp_path / "first.ndjson", tickets[:1])
        _short_waits(store)
        source = tmp_path / "big.ndjson"
        write_ndjson(source, tickets)  # the PUT's ticket first: PostgreSQL locks its row
        importer = _second_store(store)
        done: list[int] = []
        thread = threading.Thread(
            target=lambda: done.append(import_ndjson(importer, identity.helpdesk_id, source))
        )
        answers: list[Any] = []
        with make_client(store) as client:  # type: ignore[arg-type]
            headers = auth_headers(client, identity)
            thread.start()
            while thread.is_alive():
                answers.append(
                    client.put(f"{LIST_PATH}/{target}", json={"status": 3}, headers=headers)
                )
            thread.join()
            after = client.put(f"{LIST_PATH}/{target}", json={"status": 50}, headers=headers)
            total = client.get(LIST_PATH, headers=headers).json()["data"]["total"]
        importer.close()
        assert done == [6000] and total == 6000
    statuses = {response.status_code for response in answers}
    assert statuses <= {200, 503} and 503 in statuses, statuses
    busy = next(response for response in answers if response.status_code == 503)
    assert busy.json()["code"] == 155000 and busy.headers["Retry-After"] == "1"
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
