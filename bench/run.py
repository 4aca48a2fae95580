"""The 1M-ticket benchmark: larkdesk vs Datasette vs the floor, in one command.

    python bench/run.py [--tickets 1000000] [--seconds 10] [--skip-ingest] [--no-write]

Needs the `bench` extra (`.venv/bin/pip install -e '.[bench]'`) and wrk (Debian's package;
installed with apt-get when missing and running as root). Databases and the NDJSON file
are cached in $LARKDESK_BENCH_DIR (default: larkdesk-bench in the temp directory), never
in the repository. Everything listens on 127.0.0.1 only. Results go to bench/README.md
(between the results markers) and bench/p99.png; the raw figures to the cache directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psutil  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report

from larkdesk import demo
from larkdesk.auth.credentials import encode_helpdesk_header

ROOT = Path(__file__).resolve().parents[1]
LIST_PATH = "/open-apis/helpdesk/v1/tickets"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
DAY_MS = 86_400_000
MONTH = (demo.DEMO_END_MS - 30 * DAY_MS, demo.DEMO_END_MS)
CONNECTIONS = 8
WARMUP_SECONDS = 3

LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,'
    .. '"status_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Query:
    key: str
    title: str
    larkdesk: dict[str, Any]
    datasette: dict[str, Any] | None  # None: Datasette cannot express it
    datasette_note: str = ""


def queries(helpdesk_id: str, agent_id: str, guest_name: str, tags: tuple[str, str]) -> list[Query]:
    """Q1..Q6 of issue 6, for larkdesk/the floor and as Datasette table-view URLs (which
    name the helpdesk too, as the API's header does, so SQLite can use the same indexes)."""
    sort = {"helpdesk_id__exact": helpdesk_id, "_sort_desc": "created_at"}
    created = {"create_time_start": MONTH[0], "create_time_end": MONTH[1]}
    updated = {"update_time_start": MONTH[0], "update_time_end": MONTH[1]}
    tag_list = ", ".join(f"'{t}'" for t in tags)
    return [
        Query("Q1", "first page, no filter", {}, {**sort, "_size": 20}),
        Query(
            "Q2",
            "status_list=1,2,3 + 30-day create_time, 200/page",
            {"status_list": "1,2,3", **created, "page_size": 200},
            {
                **sort,
                "status__in": "1,2,3",
                "created_at__gte": MONTH[0],
                "created_at__lte": MONTH[1],
                "_size": 200,
            },
        ),
        Query(
            "Q3",
            "busiest agent_id, 200/page",
            {"agent_id": agent_id, "page_size": 200},
            {
                **sort,
                "_where": f"seq in (select seq from ticket_agents where agent_id = '{agent_id}')",
                "_size": 200,
            },
            "`_where` subquery on ticket_agents",
        ),
        Query(
            "Q4",
            "page 50 x 200",
            {"page": 50, "page_size": 200},
            {**sort, "_size": 200},  # + the `_next` token of page 50, found at run time
            "keyset: the `_next` token of page 50 (Datasette has no page numbers)",
        ),
        Query(
            "Q5",
            f"guest_name of 2 characters ({guest_name})",
            {"guest_name": guest_name},
            {
                **sort,
                "guest_name__contains": guest_name,
                "_size": 20,
            },
        ),
        Query(
            "Q6",
            f"tags {'+'.join(tags)} + 30-day update_time",
            {"tags": list(tags), **updated},
            {
                **sort,
                "_where": f"seq in (select seq from ticket_tags where tag_name in ({tag_list}))",
                "updated_at__gte": MONTH[0],
                "updated_at__lte": MONTH[1],
                "_size": 20,
            },
            "`_where` subquery on ticket_tags",
        ),
    ]


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children (sum and largest), sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak_total = 0
        self.peak_one = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                sizes = [p.memory_info().rss for p in procs]
            except psutil.Error:
                continue
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_one = max(self.peak_one, *sizes)


@contextmanager
def server(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, RssSampler]]:
    """Start a server on a free port, wait until it answers, stop it afterwards."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=ROOT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit(f"{argv[:4]} exited: {log.read_text()[-2000:]}")
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        sampler = RssSampler(process.pid)
        sampler.start()
        yield base, sampler
        sampler.stopped.set()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's package", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: `sudo apt-get install wrk` (Debian/Ubuntu), then rerun")
    return found


@dataclass
class Measured:
    rate: float  # successful requests per second
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(url: str, script: Path, seconds: int) -> Measured:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in reversed(out.splitlines()) if line.startswith("{"))
    got = json.loads(line)
    errors = got["socket_errors"] + got["status_errors"]
    return Measured(
        rate=(got["requests"] - got["status_errors"]) / (got["duration_us"] / 1e6),
        p50_ms=got["p50_us"] / 1000,
        p99_ms=got["p99_us"] / 1000,
        errors=errors,
    )


# -- contestants ----------------------------------------------------------------------


@dataclass
class Contestant:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    results: dict[str, Measured] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    peak_rss_total: int = 0
    peak_rss_one: int = 0
    urls: Callable[[str], dict[str, str | None]] = lambda base: {}
    headers: Callable[[str], dict[str, str]] = lambda base: {}
    check: Callable[[str, httpx.Response], None] = lambda key, response: None


def measure_all(
    contestants: list[Contestant], keys: list[str], seconds: int, rounds: int, work: Path
) -> None:
    """Start every server, check one answer per query, then per query run wrk against each
    in turn (a warm-up, then `seconds`), `rounds` times, keeping each one's best run: the
    three measurements of a query are minutes apart at most, whatever else the box does."""
    with ExitStack() as stack:
        ready = []
        for c in contestants:
            print(f"starting {c.name}: {' '.join(c.command[1:4])} ...", flush=True)
            base, sampler = stack.enter_context(server(c.command, c.env, work / f"{c.name}.log"))
            head = c.headers(base)
            script = work / f"{c.name}.lua"
            script.write_text("".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in head.items()))
            script.write_text(script.read_text() + LUA_DONE)
            urls = c.urls(base)
            for key, url in urls.items():
                if url is not None:
                    c.check(key, httpx.get(url, headers=head, timeout=60))
            ready.append((c, script, urls, sampler))
        for _ in range(rounds):
            for key in keys:
                for c, script, urls, _sampler in ready:
                    url = urls.get(key)
                    if url is None:
                        continue
                    wrk(url, script, WARMUP_SECONDS)
                    got = wrk(url, script, seconds)
                    print(
                        f"  {key} {c.name}: {got.rate:,.0f} req/s, p50 {got.p50_ms:.1f} ms, "
                        f"p99 {got.p99_ms:.1f} ms, errors {got.errors}",
                        flush=True,
                    )
                    if key not in c.results or got.rate > c.results[key].rate:
                        c.results[key] = got
        for c, _script, _urls, sampler in ready:
            sampler.stopped.set()
            sampler.join()
            c.peak_rss_total, c.peak_rss_one = sampler.peak_total, sampler.peak_one


def _no_check(key: str, response: httpx.Response) -> None:
    pass


def larkdesk_headers(base: str) -> dict[str, str]:
    creds = demo.demo_credentials(0)
    token = httpx.post(
        base + TOKEN_PATH, json={"app_id": creds.app_id, "app_secret": creds.app_secret}
    ).json()["tenant_access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds.helpdesk_id, creds.helpdesk_token
        ),
    }


def list_urls(qs: list[Query]) -> Callable[[str], dict[str, str | None]]:
    return lambda base: {
        q.key: f"{base}{LIST_PATH}?{urlencode(q.larkdesk, doseq=True)}" for q in qs
    }


def datasette_urls(qs: list[Query], table: str) -> Callable[[str], dict[str, str | None]]:
    def urls(base: str) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for q in qs:
            if q.datasette is None:
                found[q.key] = None
                continue
            params = dict(q.datasette)
            if q.key == "Q4":
                params["_next"] = _datasette_next(f"{base}{table}.json", params, pages=49)
            found[q.key] = f"{base}{table}.json?{urlencode(params)}"
        return found

    return urls


def _datasette_next(url: str, params: dict[str, Any], pages: int) -> str:
    """Follow Datasette's `next` links `pages` times: the token of the page after them."""
    token = ""
    for _ in range(pages):
        query = {**params, "_next": token} if token else params
        token = httpx.get(url, params=query, timeout=60).json()["next"]
    return token


class Expected:
    """Totals and first ticket ids from larkdesk's answers, to check the other contestants."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.bodies: dict[str, bytes] = {}

    def larkdesk(self, key: str, response: httpx.Response) -> None:
        body = response.json()
        assert body["code"] == 0 and body["data"]["tickets"], (key, body)
        self.totals[key] = body["data"]["total"]
        self.bodies[key] = response.content

    def floor(self, key: str, response: httpx.Response) -> None:
        got, want = response.content, self.bodies[key]
        at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        at = min(len(got), len(want)) if at is None else at
        assert got == want, (
            f"the floor answers {key} differently from byte {at}:"
            f" {got[max(0, at - 80) : at + 80]!r} vs larkdesk's {want[max(0, at - 80) : at + 80]!r}"
        )

    def datasette(self, key: str, response: httpx.Response) -> None:
        body = response.json()
        assert response.status_code == 200 and body["rows"], (key, body)
        count = body.get("filtered_table_rows_count")
        assert key not in self.totals or count in (None, self.totals[key]), (key, count)


# -- data ----------------------------------------------------------------------------


def demo_database(cache: Path, tickets: int, measure_ingest: bool) -> tuple[Path, dict[str, Any]]:
    """The cached demo database; built (and its ingest timed) when missing or asked to."""
    db = cache / f"demo-{tickets}.db"
    facts_file = cache / f"demo-{tickets}.json"
    if db.exists() and facts_file.exists() and not measure_ingest:
        return db, json.loads(facts_file.read_text())
    fresh = cache / f"building-{tickets}.db"
    for stale in cache.glob(f"building-{tickets}.db*"):
        stale.unlink()
    command = [sys.executable, "-m", "larkdesk", "demo", "--db", str(fresh)]
    print(f"larkdesk demo --tickets {tickets:,} ...", flush=True)
    started = time.perf_counter()
    subprocess.run([*command, "--tickets", str(tickets)], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    facts = {"demo_seconds": seconds, "demo_rate": tickets / seconds}
    for old in cache.glob(f"demo-{tickets}.db*"):
        old.unlink()
    fresh.rename(db)
    facts["db_bytes"] = db.stat().st_size
    facts_file.write_text(json.dumps(facts))
    print(f"  {seconds:.1f} s, {tickets / seconds:,.0f} tickets/s", flush=True)
    return db, facts


def import_rate(cache: Path, tickets: int) -> dict[str, Any]:
    """Time `larkdesk import` of the demo's tickets as NDJSON into a fresh database."""
    ndjson = cache / f"tickets-{tickets}.ndjson"
    if not ndjson.exists():
        report.write_ndjson(ndjson, tickets)
    target = cache / "import.db"
    for stale in cache.glob("import.db*"):
        stale.unlink()
    cli = [sys.executable, "-m", "larkdesk"]
    app = json.loads(
        subprocess.check_output([*cli, "app", "create", "--db", str(target), "--name", "bench"])
    )
    helpdesk = json.loads(
        subprocess.check_output(
            [*cli, "helpdesk", "create", "--db", str(target), "--app", app["app_id"], "--name", "b"]
        )
    )
    print(f"larkdesk import of {tickets:,} tickets (NDJSON) ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [*cli, "import", "--db", str(target), "--helpdesk", helpdesk["helpdesk_id"], str(ndjson)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    print(f"  {seconds:.1f} s, {tickets / seconds:,.0f} tickets/s", flush=True)
    for stale in cache.glob("import.db*"):
        stale.unlink()
    return {"import_seconds": seconds, "import_rate": tickets / seconds}


def pick_values(db: Path) -> tuple[str, str, tuple[str, str]]:
    """The busiest agent, and check the guest name and tags used by Q5 and Q6 match."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (agent,) = conn.execute(
        "SELECT agent_id FROM ticket_agents GROUP BY agent_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    conn.close()
    return str(agent), "王伟", ("VPN", "Billing")


# -- main ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk run per query")
    parser.add_argument("--rounds", type=int, default=2, help="runs per query; the best is kept")
    parser.add_argument("--skip-ingest", action="store_true", help="reuse the cached database")
    parser.add_argument("--workers", type=int, help="larkdesk serve --workers (default: its own)")
    parser.add_argument("--only", help="comma-separated contestants (larkdesk,floor,datasette)")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/README.md")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an earlier checkout's src/ folder: its `larkdesk serve` runs too, as 'baseline',"
        " measured in turn with this one (a before/after table)",
    )
    parser.add_argument(
        "--baseline-db",
        type=Path,
        help="the baseline's own copy of the demo database, made by its `larkdesk demo`"
        " (needed when this version's migrations changed the schema under it)",
    )
    return parser.parse_args()


def baseline(larkdesk: Contestant, src: Path, db: Path | None) -> Contestant:
    """An earlier version of larkdesk (its src/ folder), served as this one is."""
    command = list(larkdesk.command)
    if db is not None:
        command[command.index("--db") + 1] = str(db)
    return Contestant("baseline", command, env={"PYTHONPATH": str(src.resolve())})


def main() -> None:
    args = parse_args()
    ensure_wrk()
    cache = Path(
        os.environ.get("LARKDESK_BENCH_DIR") or Path(tempfile.gettempdir()) / "larkdesk-bench"
    )
    cache.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    db, facts = demo_database(cache, args.tickets, measure_ingest=not args.skip_ingest)
    if not args.skip_ingest:
        facts.update(import_rate(cache, args.tickets))
    agent, guest, tags = pick_values(db)
    qs = queries(demo.demo_credentials(0).helpdesk_id, agent, guest, tags)
    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    floor_workers = args.workers or report.default_workers()
    python = sys.executable
    contestants = [
        Contestant(
            "larkdesk",
            [
                python,
                "-m",
                "larkdesk",
                "serve",
                "--db",
                str(db),
                "--port",
                "{port}",
                "--rate-limit",
                "off",
                "--log-level",
                "warning",
                *workers,
            ],
        ),
        Contestant(
            "floor",
            [
                python,
                "-m",
                "uvicorn",
                "--factory",
                "bench.floor:create",
                "--port",
                "{port}",
                "--workers",
                str(floor_workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={
                "LARKDESK_DB": str(db),
                "FLOOR_HELPDESK_ID": demo.demo_credentials(0).helpdesk_id,
                # bench.floor, and this checkout's larkdesk (its store) whatever is installed
                "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            },
        ),
        Contestant(
            "datasette",
            [
                python,
                "-m",
                "datasette",
                "serve",
                "-i",
                str(db),
                "--port",
                "{port}",
                "--setting",
                "suggest_facets",
                "off",
                "--setting",
                "default_facet_size",
                "0",
            ],
        ),
    ]
    if args.baseline is not None:
        contestants.append(baseline(contestants[0], args.baseline, args.baseline_db))
    if args.only:
        keep = {*args.only.split(","), "baseline"}
        contestants = [c for c in contestants if c.name in keep]
    expected = Expected()
    work = Path(tempfile.mkdtemp(prefix="larkdesk-bench-"))
    for c in contestants:
        if c.name == "datasette":
            c.urls, c.check = datasette_urls(qs, f"/{db.stem}/tickets"), expected.datasette
        else:
            c.urls = list_urls(qs)
        if c.name in ("larkdesk", "baseline"):
            c.headers, c.check = larkdesk_headers, expected.larkdesk
        elif c.name == "floor":
            c.check = (
                expected.floor if any(x.name == "larkdesk" for x in contestants) else _no_check
            )
    measure_all(contestants, [q.key for q in qs], args.seconds, args.rounds, work)
    shutil.rmtree(work)
    run = report.Run(
        tickets=args.tickets,
        seconds=args.seconds,
        connections=CONNECTIONS,
        workers=args.workers or report.default_workers(),
        load_before=load_before,
        load_after=os.getloadavg(),
        facts={**facts, "db_bytes": db.stat().st_size},
        queries=[(q.key, q.title, q.datasette_note) for q in qs],
        contestants={c.name: {k: vars(m) for k, m in c.results.items()} for c in contestants},
        rss={c.name: (c.peak_rss_total, c.peak_rss_one) for c in contestants},
        totals=expected.totals,
    )
    (cache / "results.json").write_text(json.dumps(vars(run), indent=1))
    print(report.markdown(run))
    if args.baseline is not None:
        print(report.baseline_table(run))
    if not args.no_write:
        report.write(run, ROOT / "bench")


if __name__ == "__main__":
    main()
