"""The scale-out benchmark: larkdesk on PostgreSQL (or SQLite) with several workers.

Run by hand on a demo database (`larkdesk demo --db URL --tickets 1000000`, seed 0):

    python bench/scale.py store --db postgresql://...     # store-level, in-process
    python bench/scale.py http --db postgresql://... --workers 2 [--redis URL]

`http` starts `larkdesk serve --rate-limit off --workers N` on a free port, fetches a
token and runs wrk (Debian's package) against a few list queries; results in
bench/postgres.md.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean
from urllib.parse import urlencode

import httpx

from larkdesk import demo
from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.store import open_store
from larkdesk.store.base import TicketQuery, Window

DAY_MS = 86_400_000
MONTH = Window(demo.DEMO_END_MS - 30 * DAY_MS, demo.DEMO_END_MS)
LIST_PATH = "/open-apis/helpdesk/v1/tickets"

STORE_QUERIES = {
    "Q1 first page, no filter": TicketQuery(),
    "Q2 status 1,2,3 + 30-day create_time, 200/page": TicketQuery(
        statuses=(1, 2, 3), created=MONTH, page_size=200
    ),
    "Q3 busiest agent_id, 200/page": TicketQuery(
        agent_id="ou_95e7dc60ba1a41fb6406f8407f2e2e92", page_size=200
    ),
    "Q4 page 50 x 200": TicketQuery(page=50, page_size=200),
    "Q5 guest_name of 2 characters": TicketQuery(guest_name="王伟"),
    "Q6 two tags + 30-day update_time": TicketQuery(tags=("VPN", "Billing"), updated=MONTH),
}

HTTP_QUERIES = {
    "first page (20)": {},
    "status 50,51 + 30-day create_time": {
        "status_list": "50,51",
        "create_time_start": MONTH.start,
        "create_time_end": MONTH.end,
    },
    "busiest agent_id": {"agent_id": "ou_95e7dc60ba1a41fb6406f8407f2e2e92"},
    "guest_name of 2 characters": {"guest_name": "王伟"},
}


def store_timings(db: str, runs: int) -> None:
    store = open_store(db)
    helpdesk_id = demo.demo_credentials(0).helpdesk_id
    print("| query | total | mean of warm runs |\n|---|---|---|")
    for name, query in STORE_QUERIES.items():
        store.list_tickets(helpdesk_id, query)  # warm
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            page = store.list_tickets(helpdesk_id, query)
            seconds.append(time.perf_counter() - started)
        print(f"| {name} | {page.total:,} | {mean(seconds) * 1000:.1f} ms |")
    store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(
    db: str, workers: int, redis: str | None, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    extra = ["--redis", redis] if redis else []
    command = [
        sys.executable,
        "-m",
        "larkdesk",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--rate-limit",
        "off",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        *extra,
    ]
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"larkdesk serve did not start: {log.read_text()}")


def _wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, str, str, int]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"\s99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:timeout|Non-2xx or 3xx responses:) (\d+)", out))
    return rate, p50, p99, errors


def http_timings(db: str, workers: int, redis: str | None, seconds: int, connections: int) -> None:
    creds = demo.demo_credentials(0)
    with tempfile.TemporaryDirectory() as tmp:
        process, base = _serve(db, workers, redis, Path(tmp) / "serve.log")
        try:
            token = httpx.post(
                base + "/open-apis/auth/v3/tenant_access_token/internal",
                json={"app_id": creds.app_id, "app_secret": creds.app_secret},
            ).json()["tenant_access_token"]
            script = Path(tmp) / "headers.lua"
            helpdesk = encode_helpdesk_header(creds.helpdesk_id, creds.helpdesk_token)
            script.write_text(
                f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                f'wrk.headers["X-Lark-Helpdesk-Authorization"] = "{helpdesk}"\n'
            )
            print(f"workers={workers} connections={connections} {seconds}s each")
            print("| query | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|")
            for name, params in HTTP_QUERIES.items():
                url = f"{base}{LIST_PATH}?{urlencode(params)}"
                assert (
                    httpx.get(
                        url,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "X-Lark-Helpdesk-Authorization": helpdesk,
                        },
                    ).json()["code"]
                    == 0
                )
                rate, p50, p99, errors = _wrk(url, script, seconds, connections)
                print(f"| {name} | {rate:,.0f} | {p50} | {p99} | {errors} |", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["store", "http"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if args.mode == "store":
        store_timings(args.db, args.runs)
    else:
        http_timings(args.db, args.workers, args.redis, args.seconds, args.connections)


if __name__ == "__main__":
    main()
