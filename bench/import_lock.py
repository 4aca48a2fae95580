"""How long an import holds SQLite's write lock: the longest wait of another writer.

    python bench/import_lock.py FILE.ndjson [--db PATH]

Imports FILE three times into one helpdesk of a new SQLite file (new tickets, the same
file again, then the file with every ticket's `updated_at` changed), while a second
connection, as an API worker would, takes the write lock every 20 ms for an empty write.
Prints, per import, its wall time and the longest that second writer waited. Make FILE
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

from larkdesk import admin
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer import import_ndjson


class Prober(threading.Thread):
    """A writer on its own connection: the longest it waited for the write lock."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.longest = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=600)
        while not self.stop.is_set():
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
            self.longest = max(self.longest, time.perf_counter() - started)
            time.sleep(0.02)
        conn.close()


def changed_copy(source: Path, target: Path) -> None:
    """The same tickets, each with `updated_at` one millisecond later."""
    with source.open("rb") as lines, target.open("w") as out:
        for line in lines:
            ticket = json.loads(line)
            updated = ticket.get("updated_at", -1)
            ticket["updated_at"] = (updated if updated >= 0 else ticket["created_at"]) + 1
            out.write(json.dumps(ticket, ensure_ascii=False) + "\n")


def timed_import(store: SQLiteStore, helpdesk_id: str, path: Path) -> dict[str, float]:
    prober = Prober(store.path)
    prober.start()
    started = time.perf_counter()
    count = import_ndjson(store, helpdesk_id, path)
    wall = time.perf_counter() - started
    prober.stop.set()
    prober.join()
    return {"tickets": count, "wall s": round(wall, 1), "longest wait s": round(prober.longest, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--db", help="a new SQLite file (default: a temp file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = SQLiteStore(args.db or str(Path(scratch) / "import.db"))
        app = admin.create_app(store, "bench", tenant_key=None, scopes=("helpdesk:all",))
        helpdesk_id = admin.create_helpdesk(store, app.app_id, "bench desk").helpdesk_id
        changed = Path(scratch) / "changed.ndjson"
        changed_copy(args.file, changed)
        try:
            for name, path in (("new", args.file), ("same", args.file), ("changed", changed)):
                print(json.dumps({"import": name, **timed_import(store, helpdesk_id, path)}))
        finally:
            store.close()


if __name__ == "__main__":
    main()
