"""Issue 13's PostgreSQL target: Q1-Q6 on PostgreSQL against SQLite on the same data.

Run by hand on a demo database in SQLite and the same copied into PostgreSQL
(`larkdesk demo --db FILE --tickets N`, then `larkdesk migrate --from FILE --to URL`):

    python bench/pg_lists.py http --sqlite FILE --postgres URL [--seconds 5 --rounds 2]
    python bench/pg_lists.py soak --sqlite FILE --postgres URL [--seconds 10 --writes 50]
    python bench/pg_lists.py inproc --sqlite FILE --postgres URL [--requests 300]

`http`: `larkdesk serve --workers 2 --rate-limit off` on each store in turn (alternated,
`--rounds` times), wrk on each query repeated (the page cache answers all but the first);
the pages of both stores are compared byte for byte first. `soak`: wrk cycling through
Q1-Q6 while a writer PUTs a random demo ticket's status `--writes` times a second (every
write empties every worker's cache, so most reads query the store): read requests/s and
latencies from wrk, write latencies from the writer (`--connections 0`: writes alone).
`inproc`: the ASGI app called in process, one request at a time, µs of wall and of this
process's CPU per request, with the page cache (repeated query) and without it (a cache
that never keeps a page), on uvloop as the server.
Results in bench/postgres.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from statistics import median
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import profile_list, scale
from larkdesk import demo
from larkdesk.auth.credentials import encode_helpdesk_header

LIST_PATH = "/open-apis/helpdesk/v1/tickets"
T = TypeVar("T")
AGENT = "ou_95e7dc60ba1a41fb6406f8407f2e2e92"  # the demo's busiest agent (seed 0)


def list_queries() -> list[tuple[str, str]]:
    """(key, query string) of Q1-Q6, as bench/run.py sends them (`run.queries`; that module
    needs the benchmark's own dependencies)."""
    created = {"create_time_start": scale.MONTH.start, "create_time_end": scale.MONTH.end}
    updated = {"update_time_start": scale.MONTH.start, "update_time_end": scale.MONTH.end}
    found: list[tuple[str, dict[str, Any]]] = [
        ("Q1", {}),
        ("Q2", {"status_list": "1,2,3", **created, "page_size": 200}),
        ("Q3", {"agent_id": AGENT, "page_size": 200}),
        ("Q4", {"page": 50, "page_size": 200}),
        ("Q5", {"guest_name": "王伟"}),
        ("Q6", {"tags": ["VPN", "Billing"], **updated}),
    ]
    return [(key, urlencode(params, doseq=True)) for key, params in found]


def _headers(base: str) -> dict[str, str]:
    creds = demo.demo_credentials(0)
    token = httpx.post(
        base + "/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": creds.app_id, "app_secret": creds.app_secret},
    ).json()["tenant_access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds.helpdesk_id, creds.helpdesk_token
        ),
    }


def _lua(headers: dict[str, str], paths: list[str], tmp: Path) -> Path:
    script = tmp / "requests.lua"
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    listed = ", ".join(f'"{p}"' for p in paths)
    lines += [
        f"paths = {{{listed}}}",
        "n = 0",
        "request = function()",
        "  n = n + 1",
        "  return wrk.format(nil, paths[(n % #paths) + 1])",
        "end",
    ]
    script.write_text("\n".join(lines) + "\n")
    return script


def _tree_cpu(roots: list[int]) -> float:
    """CPU seconds (user + system, and of waited-for children) of `roots` and all their
    descendants, from /proc: the cost of a run however loaded the box is."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        stats[int(entry.name)] = (int(fields[1]), ticks / os.sysconf("SC_CLK_TCK"))
    found, total = set(roots), 0.0
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in stats.items():
            if ppid in found and pid not in found:
                found.add(pid)
                changed = True
    for pid in found:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def _roots(process: subprocess.Popen[bytes], pg_data: str | None) -> list[int]:
    roots = [process.pid]
    if pg_data:
        roots.append(int((Path(pg_data) / "postmaster.pid").read_text().split()[0]))
    return roots


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def http(args: argparse.Namespace) -> None:
    stores = {"sqlite": args.sqlite, "postgres": args.postgres}
    queries = list_queries()
    bodies: dict[str, dict[str, bytes]] = {}
    results: dict[tuple[str, str], list[tuple[float, str]]] = {}
    costs: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, db in stores.items() if round_ % 2 == 0 else reversed(stores.items()):
                process, base = scale._serve(db, args.workers, None, Path(tmp) / f"{name}.log")
                try:
                    headers = _headers(base)
                    for key, query in queries:
                        url = f"{base}{LIST_PATH}?{query}"
                        body = httpx.get(url, headers=headers).content
                        bodies.setdefault(key, {})[name] = body
                        script = _lua(headers, [f"{LIST_PATH}?{query}"], Path(tmp))
                        roots = _roots(process, args.pg_data)
                        cpu = _tree_cpu(roots)
                        rate, _, p99, errors = scale._wrk(
                            base + "/", script, args.seconds, args.connections
                        )
                        per = (_tree_cpu(roots) - cpu) / (rate * args.seconds) * 1e6
                        assert errors == 0, f"{name} {key}: {errors} errors"
                        results.setdefault((key, name), []).append((rate, p99))
                        costs.setdefault((key, name), []).append(per)
                        print(
                            f"{name:8} {key} {rate:8,.0f} req/s p99 {p99:>8}"
                            f" CPU {per:6.0f} µs/request load {_load()}",
                            flush=True,
                        )
                finally:
                    process.terminate()
                    process.wait(timeout=30)
    for key, by_store in bodies.items():
        same = by_store["sqlite"] == by_store["postgres"]
        print(f"{key}: pages {'identical' if same else 'DIFFER'} ({len(by_store['sqlite'])} B)")
    print(
        "| query | SQLite req/s (p99) | PostgreSQL req/s (p99) | PostgreSQL / SQLite req/s"
        " | CPU µs/request SQLite | PostgreSQL | SQLite / PostgreSQL CPU |"
    )
    print("|---|---|---|---|---|---|---|")
    for key, _ in queries:
        lite, post = results[(key, "sqlite")], results[(key, "postgres")]
        ratio = max(r for r, _ in post) / max(r for r, _ in lite)
        cells = ["; ".join(f"{r:,.0f} ({p})" for r, p in runs) for runs in (lite, post)]
        cpu_lite, cpu_post = min(costs[(key, "sqlite")]), min(costs[(key, "postgres")])
        print(
            f"| {key} | {cells[0]} | {cells[1]} | {ratio:.2f} | {cpu_lite:,.0f}"
            f" | {cpu_post:,.0f} | {cpu_lite / cpu_post:.2f} |"
        )


def _writer(base: str, headers: dict[str, str], ids: list[str], rate: float, stop: Any) -> Any:
    latencies: list[float] = []
    failures = [0]

    def work() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            next_at = time.perf_counter()
            while not stop.is_set():
                ticket = random.choice(ids)
                started = time.perf_counter()
                answer = client.put(
                    f"{LIST_PATH}/{ticket}", json={"status": random.choice((1, 2, 3, 50))}
                )
                latencies.append(time.perf_counter() - started)
                if answer.json().get("code") != 0:
                    failures[0] += 1
                next_at += 1 / rate
                time.sleep(max(0.0, next_at - time.perf_counter()))

    thread = threading.Thread(target=work)
    thread.start()
    return thread, latencies, failures


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _summary(writes: list[float], failures: list[int]) -> str:
    return (
        f"{len(writes)} ({failures[0]} failed) | {_quantile(writes, 0.5) * 1000:.1f} ms"
        f" | {_quantile(writes, 0.99) * 1000:.1f} ms | {_load()}"
    )


def soak(args: argparse.Namespace) -> None:
    stores = {"sqlite": args.sqlite, "postgres": args.postgres}
    paths = [f"{LIST_PATH}?{query}" for _, query in list_queries()]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, db in stores.items() if round_ % 2 == 0 else reversed(stores.items()):
                process, base = scale._serve(db, args.workers, None, Path(tmp) / f"{name}.log")
                try:
                    headers = _headers(base)
                    page = httpx.get(
                        f"{base}{LIST_PATH}", params={"page_size": 200}, headers=headers
                    ).json()
                    ids = [t["ticket_id"] for t in page["data"]["tickets"]]
                    stop = threading.Event()
                    thread, writes, failures = _writer(base, headers, ids, args.writes, stop)
                    script = _lua(headers, paths, Path(tmp))
                    if not args.connections:  # writes alone
                        time.sleep(args.seconds)
                        stop.set()
                        thread.join()
                        print(f"| {name} | writes alone | {_summary(writes, failures)} |")
                        continue
                    out = subprocess.run(
                        [
                            "wrk",
                            "-t2",
                            f"-c{args.connections}",
                            f"-d{args.seconds}s",
                            "--timeout",
                            "10s",
                            "--latency",
                            "-s",
                            str(script),
                            base + "/",
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    stop.set()
                    thread.join()
                    rate, p50, p99 = (
                        float(scale.re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
                        scale.re.search(r"\s50%\s+(\S+)", out).group(1),  # type: ignore[union-attr]
                        scale.re.search(r"\s99%\s+(\S+)", out).group(1),  # type: ignore[union-attr]
                    )
                    print(
                        f"| {name} | {rate:,.0f} | {p50} | {p99} | {_summary(writes, failures)} |",
                        flush=True,
                    )
                finally:
                    process.terminate()
                    process.wait(timeout=30)


class _NeverKeeps:
    """A page cache that keeps nothing: every request queries the store."""

    def version(self) -> None:
        return None

    def get(self, key: object) -> None:
        return None

    def put(self, key: object, version: object, body: bytes) -> None:
        return None


async def _inproc_one(db: str, cached: bool, requests: int) -> dict[str, tuple[float, float]]:
    from larkdesk.server import app as app_module
    from larkdesk.settings import Settings

    real = app_module.page_cache
    if not cached:
        app_module.page_cache = lambda store: _NeverKeeps()  # type: ignore[assignment,return-value]
    try:
        app = app_module.create_app(Settings(db=db, rate_limit="off", log_level="warning"))
    finally:
        app_module.page_cache = real
    out: dict[str, tuple[float, float]] = {}
    async with app.router.lifespan_context(app):
        bearer = await profile_list.token(app)
        creds = demo.demo_credentials(0)
        headers = [
            (b"authorization", f"Bearer {bearer}".encode()),
            (
                b"x-lark-helpdesk-authorization",
                encode_helpdesk_header(creds.helpdesk_id, creds.helpdesk_token).encode(),
            ),
        ]
        for key, query in list_queries():
            await profile_list.call(app, LIST_PATH, query, headers)  # warm
            walls, cpus = [], []
            for _ in range(3):
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(requests):
                    await profile_list.call(app, LIST_PATH, query, headers)
                walls.append((time.perf_counter() - wall) / requests * 1e6)
                cpus.append((time.process_time() - cpu) / requests * 1e6)
            out[key] = (median(walls), median(cpus))
    return out


def _run(work: Coroutine[Any, Any, T]) -> T:
    """On uvloop, as `larkdesk serve` runs (uvicorn's default when it is installed)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def inproc(args: argparse.Namespace) -> None:
    stores = {"SQLite": args.sqlite, "PostgreSQL": args.postgres}
    found: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
    for cached in (True, False):
        for name, db in stores.items():
            found[(name, "cached" if cached else "uncached")] = _run(
                _inproc_one(db, cached, args.requests if cached else args.requests // 3)
            )
            print(f"{name} {'cached' if cached else 'uncached'} done, load {_load()}", flush=True)
    columns = [(n, c) for c in ("cached", "uncached") for n in stores]
    print("| query | " + " | ".join(f"{n} {c} µs wall (CPU)" for n, c in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for key, _ in list_queries():
        cells = [f"{found[col][key][0]:,.0f} ({found[col][key][1]:,.0f})" for col in columns]
        print(f"| {key} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["http", "soak", "inproc"])
    parser.add_argument("--sqlite", required=True)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--writes", type=float, default=50.0, help="soak: PUTs per second")
    parser.add_argument("--requests", type=int, default=300, help="inproc: per timing")
    parser.add_argument(
        "--pg-data", help="PostgreSQL's data directory: count its processes' CPU too (http)"
    )
    args = parser.parse_args()
    {"http": http, "soak": soak, "inproc": inproc}[args.mode](args)


if __name__ == "__main__":
    main()
