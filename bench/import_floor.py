"""The least work SQLite itself does to build an imported file: the floor under
`larkdesk import`'s time, whatever decodes the lines.

    python bench/import_floor.py IMPORTED_DB EMPTY_DB [--out NEW_DB]

IMPORTED_DB is a file `larkdesk import` filled (its rows are the input here); EMPTY_DB a
file with the same schema and no tickets (e.g. the empty file the import went into,
migrated). A copy of EMPTY_DB is filled on ONE connection as the bulk load fills it
(`store.sqlite_bulk`): the ticket tables' secondary indexes and triggers dropped, the rows
inserted in file order by `INSERT ... SELECT` from the attached source (in C: no Python
binding, no JSON, no compression), the derived rows and first history entries, then every
index built. Each step's CPU time (this thread's) is printed. SQLite lets one connection
write a file at a time, so the sum is a lower bound on any import into this schema on this
machine: a bulk load can only add to it (binding parameters, its decoding processes'
share of the cores).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from larkdesk.store import history, sqlite_bulk
from larkdesk.store.base import Actor

# The tables the bulk load writes row by row, in the order it writes them.
LOADED = (
    ("tickets", "seq"),
    ("ticket_bodies", "seq"),
    ("ticket_agents", "seq"),
    ("ticket_tags", "seq"),
    ("metric_counts", None),
    ("metric_durations", None),
)


def build(source: Path, empty: Path, out: Path) -> list[tuple[str, float]]:
    shutil.copyfile(empty, out)
    conn = sqlite3.connect(out, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -65536")  # the writer's (store/sqlite.py)
    conn.execute("ATTACH ? AS src", (str(source),))
    steps: list[tuple[str, float]] = []

    def step(name: str, sql: str, *params: object) -> None:
        began = time.thread_time()
        conn.execute(sql, params)
        steps.append((name, time.thread_time() - began))

    conn.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" for _ in sqlite_bulk._TABLES)
    schema = conn.execute(
        "SELECT type, name, sql FROM main.sqlite_master WHERE type IN ('index', 'trigger')"
        f" AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type",
        sqlite_bulk._TABLES,
    ).fetchall()
    for kind, name, _ in schema:
        conn.execute(f'DROP {kind.upper()} main."{name}"')
    conn.execute("INSERT OR IGNORE INTO main.helpdesk_keys SELECT * FROM src.helpdesk_keys")
    for table, order in LOADED:
        # A WHERE keeps SQLite from copying the records raw (its transfer optimization):
        # each row is inserted as the bulk load inserts it.
        where = f"WHERE {order} > 0 ORDER BY {order}" if order else "WHERE n <> 0"
        copy = f"INSERT OR IGNORE INTO main.{table} SELECT * FROM src.{table} {where}"
        step(f"insert {table}", copy)
    for sql in sqlite_bulk._DERIVED:
        step(f"derive {sql.split()[4]}", sql)
    sql, params = history.first_rows_sql(Actor("import", source="tickets.ndjson"))
    step("first status history entries", sql, *params)
    step("reindex ticket_id", "REINDEX sqlite_autoindex_tickets_1")
    for kind, name, sql in schema:
        if kind == "index":
            step(f"index {name}", sql)
        else:
            conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("imported", type=Path)
    parser.add_argument("empty", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "floor.db"
        steps = build(args.imported, args.empty, out)
    load = sum(s for name, s in steps if name.startswith("insert"))
    for name, seconds in steps:
        print(f"{seconds:7.2f} s  {name}")
    print(f"{load:7.2f} s  = the rows inserted")
    print(f"{sum(s for _, s in steps) - load:7.2f} s  = derived rows and indexes (serial)")
    print(f"{sum(s for _, s in steps):7.2f} s  = SQLite's work on the one writing connection")


if __name__ == "__main__":
    main()
