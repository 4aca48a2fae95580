"""How long an import holds SQLite's write lock: the longest wait of another writer.

    python bench/import_lock.py FILE.ndjson [--db PATH]

Imports FILE three times into one helpdesk of a new SQLite file (new tickets, the same
file again, then the file with every ticket's `updated_at` changed), then a fourth time
(changed again) with a failure injected after 150 chunks, so the import undoes itself,
while a second connection, as an API worker would, takes the write lock every 20 ms for
an empty write. Prints, per import, its wall time, the chunks published, and how that
second writer fared: its probes, the longest and the 99th-percentile wait. Make FILE
with `larkdesk demo` and `larkdesk export`; bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

from larkdesk.auth import provision
from larkdesk.store.base import TicketRecord
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.importer import import_ndjson


class Prober(threading.Thread):
    """A writer on its own connection: the longest it waited for the write lock."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.waits: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=600)
        while not self.stop.is_set():
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.02)
        conn.close()

    def figures(self) -> dict[str, float]:
        waits = sorted(self.waits) or [0.0]
        return {
            "probes": len(waits),
            "longest wait s": round(waits[-1], 2),
            "p99 wait s": round(waits[int(len(waits) * 0.99)], 3),
        }


def changed_copy(source: Path, target: Path) -> None:
    """The same tickets, each with `updated_at` one millisecond later."""
    with source.open("rb") as lines, target.open("w") as out:
        for line in lines:
            ticket = json.loads(line)
            updated = ticket.get("updated_at", -1)
            ticket["updated_at"] = (updated if updated >= 0 else ticket["created_at"]) + 1
            out.write(json.dumps(ticket, ensure_ascii=False) + "\n")


class Counted:
    """The store's chunk publisher, counting chunks, failing after `fail_after` of them."""

    def __init__(self, store: SQLiteStore, fail_after: int | None) -> None:
        self.publish = store.publish_import_chunk
        self.fail_after = fail_after
        self.chunks = 0

    def __call__(self, run_id: str, chunk: list[TicketRecord], now_ms: int) -> None:
        if self.chunks == self.fail_after:
            raise RuntimeError("injected failure")
        self.publish(run_id, chunk, now_ms)
        self.chunks += 1


def timed_import(
    store: SQLiteStore, helpdesk_id: str, path: Path, fail_after: int | None = None
) -> dict[str, object]:
    counted = Counted(store, fail_after)
    store.publish_import_chunk = counted  # type: ignore[method-assign]
    prober = Prober(store.path)
    prober.start()
    started = time.perf_counter()
    try:
        count: object = import_ndjson(store, helpdesk_id, path)
    except RuntimeError as exc:
        count = f"failed ({exc}), undone"
    wall = time.perf_counter() - started
    prober.stop.set()
    prober.join()
    del store.publish_import_chunk
    figures = {"tickets": count, "wall s": round(wall, 1), "chunks": counted.chunks}
    return {**figures, **prober.figures()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--db", help="a new SQLite file (default: a temp file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = SQLiteStore(args.db or str(Path(scratch) / "import.db"))
        app = provision.create_app(store, "bench", tenant_key=None, scopes=("helpdesk:all",))
        helpdesk_id = provision.create_helpdesk(store, app.app_id, "bench desk").helpdesk_id
        changed = Path(scratch) / "changed.ndjson"
        changed_copy(args.file, changed)
        again = Path(scratch) / "again.ndjson"
        changed_copy(changed, again)
        runs = [("new", args.file, None), ("same", args.file, None), ("changed", changed, None)]
        runs.append(("changed, failing after 150 chunks", again, 150))
        try:
            for name, path, fail_after in runs:
                figures = timed_import(store, helpdesk_id, path, fail_after)
                print(json.dumps({"import": name, **figures}), flush=True)
        finally:
            store.close()


if __name__ == "__main__":
    main()
