"""How fast `larkdesk export` and `larkdesk sync` move tickets (run by hand, not in CI).

Builds a demo helpdesk of N tickets (cached), serves it with `--rate-limit off`, and
times the real commands: export over the API (`--max-rps 0`) as NDJSON, CSV and
Parquet, export straight from the store (`--db`), and a first `sync` into a fresh
SQLite file. Prints one line per run; results are recorded in bench/export.md.

    .venv/bin/python bench/export.py --tickets 200000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def larkdesk(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "larkdesk", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(label: str, count: int, *args: str, env: dict[str, str] | None = None) -> None:
    started = time.perf_counter()
    lines = larkdesk(*args, env=env).splitlines()
    seconds = time.perf_counter() - started
    report = json.loads(lines[-1])
    count = int(report.get("exported", report.get("stored", count)))
    print(f"{label:<34} {count:>9,} tickets {seconds:7.1f} s {count / seconds:>9,.0f} tickets/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200_000)
    options = parser.parse_args()
    folder = Path(
        os.environ.get("LARKDESK_BENCH_DIR", Path(tempfile.gettempdir()) / "larkdesk-bench")
    )
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"export-demo-{options.tickets}.db"
    creds_file = db.with_suffix(".json")
    if not creds_file.exists():
        creds_file.write_text(larkdesk("demo", "--db", str(db), "--tickets", str(options.tickets)))
    creds = json.loads(creds_file.read_text())
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "larkdesk", "serve", "--db", str(db), "--port", str(port),
         "--rate-limit", "off", "--log-level", "warning"],
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        env = {
            "LARKDESK_BASE_URL": base,
            "LARKDESK_APP_ID": creds["app_id"],
            "LARKDESK_APP_SECRET": creds["app_secret"],
            "LARKDESK_HELPDESK_ID": creds["helpdesk_id"],
            "LARKDESK_HELPDESK_TOKEN": creds["helpdesk_token"],
        }
        n = options.tickets
        with tempfile.TemporaryDirectory() as out:
            for fmt in ("ndjson", "csv", "parquet"):
                timed(f"export API -> {fmt}", n, "export", "--out", f"{out}/api.{fmt}",
                      "--max-rps", "0", env=env)  # fmt: skip
            for fmt in ("ndjson", "csv", "parquet"):
                timed(f"export --db -> {fmt}", n, "export", "--db", str(db), "--helpdesk",
                      creds["helpdesk_id"], "--out", f"{out}/db.{fmt}")  # fmt: skip
            timed("sync (first pass) -> SQLite", n, "sync", "--db", f"{out}/mirror.db",
                  "--max-rps", "0", env=env)  # fmt: skip
            timed("export API, paced at 45/s", 0, "export", "--out", f"{out}/paced.ndjson",
                  "--status", "1", env=env)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
