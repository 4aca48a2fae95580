"""The web console on a million tickets (issue 11): server-side time of the tickets page
for every sort (both directions), with no filter and with each common filter, page one
and the page after it (keyset); the ticket page; and the first paint of every console
page in Chromium. Run by hand, never in CI:

    .venv/bin/python bench/console_pages.py --db COPY.db [--rounds 20] [--no-browser]
    .venv/bin/python bench/console_pages.py --screenshots docs   # the README's pictures

--db is a copy of bench/run.py's demo-1000000.db (`$LARKDESK_BENCH_DIR`): the store
migrates it when opened (migrations 0016-0017 take about a minute at a million tickets),
so never point it at a file shared with others. Server-side times are the whole request
in-process (Starlette's TestClient: routing, session, store reads, template), with an
operator session. The first paint is `performance.getEntriesByType('paint')`'s
first-contentful-paint of each page, loaded by Debian's chromium through Playwright from
a real `larkdesk serve` (tests/console_tour.py, which the browser test runs as well).
--screenshots builds a small demo database instead, and saves one 1280x800 PNG per page
(Chinese text needs a CJK font: Debian's fonts-wqy-microhei; pngquant and optipng, when
installed, shrink the files).
Results go to bench/README.md ("Console pages").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.console_tour

from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.server.run import frozen
from larkdesk.settings import Settings
from larkdesk.store import open_store
from larkdesk.store.base import Store, TicketQuery
from larkdesk.store.console_sorts import SORT_COLUMNS
from tests.console_tour import PAGES, Desk, operator_sign_in, tour

METRICS_PERIOD = "start=2026-10-02&end=2026-10-31"  # the demo's last 30 days


def common_filters(store: Store, helpdesk_id: str) -> dict[str, list[tuple[str, str]]]:
    """The filters a helpdesk uses most: the open and closed views, human tickets, a
    channel, unsolved, a score, the busiest agent and tag, the last 30 days."""
    page = store.list_tickets(helpdesk_id, TicketQuery(page_size=50))
    import msgspec

    agent = tag = ""
    for body in page.tickets:
        ticket = msgspec.json.decode(body)
        agent = agent or (ticket.get("agent_owner") or {}).get("id") or ""
        tag = tag or next((t["name"] for t in ticket.get("tags") or () if t.get("name")), "")
    return {
        "none": [],
        "open (status 1-5)": [("status_list", str(s)) for s in (1, 2, 3, 4, 5)],
        "closed by agent (51)": [("status_list", "51")],
        "human": [("type", "2")],
        "channel 13": [("channel", "13")],
        "unsolved": [("solved", "1")],
        "score 1": [("score", "1")],
        "an agent": [("agent_id", agent)],
        "a tag": [("tags", tag)],
        "last 30 days": [("created_from", "2026-10-02"), ("created_to", "2026-10-31")],
        "human + open": [("type", "2"), ("status_list", "2"), ("status_list", "3")],
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def operator_token(db: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "larkdesk", "console", "token", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(done.stdout)["operator_token"])


def signed_in(client: TestClient, token: str) -> None:
    import re

    form = client.get("/console/signin")
    found = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert found is not None
    done = client.post(
        "/console/signin",
        data={"signin_token": found.group(1), "operator_token": token, "next": "/console"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def timed(client: TestClient, url: str, params: list[tuple[str, str]]) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(url, params=params)
    spent = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, params, response.text[:300])
    return spent, response.text


def server_side(db: str, rounds: int) -> None:
    store = open_store(db)
    helpdesk_id = store.list_helpdesks(None)[0].helpdesk_id
    token = operator_token(db)
    app = frozen(create_app(Settings(db=db, rate_limit="off"), store))  # as `serve` does
    client = TestClient(app)
    client.__enter__()  # the app's lifespan, as `larkdesk serve` starts it (templates compiled)
    app.state.services.on_start[0].__self__.pages.warmup.done.wait()  # not timed with the pages
    signed_in(client, token)
    url = f"/console/h/{helpdesk_id}/tickets"
    filters = common_filters(store, helpdesk_id)
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), rounds: {rounds}")
    print("| filter | matching | worst sort: p95 page 1 / p95 next page (ms) | every sort ≤ |")
    print("|---|---|---|---|")
    worst_all = 0.0
    import re

    for name, items in filters.items():
        worst: tuple[float, str] = (0.0, "")
        shown = ""
        for sort in SORT_COLUMNS:
            for direction in ("desc", "asc"):
                params = [*items, ("sort", sort), ("dir", direction)]
                firsts, nexts = [], []
                for _ in range(rounds):
                    spent, html = timed(client, url, params)
                    firsts.append(spent)
                    after = re.search(r'id="next-page" href="[^"]*after=([^"&]+)', html)
                    if after:
                        cursor = after.group(1).replace("%3A", ":")
                        nexts.append(timed(client, url, [*params, ("after", cursor)])[0])
                    total = re.search(r'id="total">([^<]+)<', html)
                    shown = total.group(1) if total else "?"
                one, two = p95(firsts), p95(nexts) if nexts else 0.0
                if max(one, two) > worst[0]:
                    worst = (max(one, two), f"{sort} {direction}: {one:.0f} / {two:.0f}")
        worst_all = max(worst_all, worst[0])
        print(f"| {name} | {shown} | {worst[1]} | {worst[0]:.0f} |", flush=True)
    ticket = store.list_tickets(helpdesk_id, TicketQuery(page_size=1)).tickets[0]
    import msgspec

    ticket_id = msgspec.json.decode(ticket)["ticket_id"]
    pages = [timed(client, f"{url}/{ticket_id}", [])[0] for _ in range(rounds)]
    print(f"\nticket page: p50 {statistics.median(pages):.0f} ms, p95 {p95(pages):.0f} ms")
    print(f"worst tickets-page p95 over every sort and filter: {worst_all:.0f} ms")
    print(f"load: {os.getloadavg()[0]:.1f} (1 min)")
    client.close()
    store.close()


def browser_paints(db: str, rounds: int, shots: Path | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import start_server, stop_server

    store = open_store(db)
    helpdesk_id = store.list_helpdesks(None)[0].helpdesk_id
    body = store.list_tickets(helpdesk_id, TicketQuery(page_size=1)).tickets[0]
    store.close()
    import msgspec

    desk_id = msgspec.json.decode(body)["ticket_id"]
    token = operator_token(db)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (apt-get install chromium)")
    where = Path(tempfile.mkdtemp(prefix="console-bench-"))
    server = start_server(db, "--rate-limit", "off", log_dir=where)
    try:
        desk = Desk(server.base_url, helpdesk_id, desk_id, METRICS_PERIOD)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            paints: dict[str, list[float]] = {name: [] for name in PAGES}
            for _ in range(rounds):
                context = browser.new_context(locale="en-US")
                for name, value in tour(context, desk, operator_sign_in(token), shots).items():
                    paints[name].append(value)
                context.close()
                shots = None  # one set of pictures
            browser.close()
    finally:
        stop_server(server)
    print(f"\nload: {os.getloadavg()[0]:.1f} (1 min); first contentful paint, {rounds} visits")
    print("| page | median (ms) | worst (ms) |\n|---|---|---|")
    for name, values in paints.items():
        print(f"| {name} | {statistics.median(values):.0f} | {max(values):.0f} |")


def screenshots(where: Path) -> None:
    """A 2,000-ticket demo database, a few agent actions, one PNG per page."""
    scratch = Path(tempfile.mkdtemp(prefix="console-shots-"))
    db = str(scratch / "demo.db")
    subprocess.run(
        [sys.executable, "-m", "larkdesk", "demo", "--tickets", "2000", "--db", db],
        check=True,
        capture_output=True,
    )
    store = open_store(db)
    helpdesk_id = store.list_helpdesks(None)[0].helpdesk_id
    body = store.list_tickets(helpdesk_id, TicketQuery(page_size=1, statuses=(2,))).tickets[0]
    import msgspec

    from larkdesk.helpdesk.tickets.bodies import UpdateTicketBody
    from larkdesk.helpdesk.tickets.lifecycle import TicketLifecycle
    from larkdesk.store.base import Actor

    ticket_id = msgspec.json.decode(body)["ticket_id"]
    lifecycle = TicketLifecycle(store)
    console = Actor("operator", source="console")
    for status in (3, 2, 50):  # a little history to show
        lifecycle.update_ticket(
            helpdesk_id, ticket_id, UpdateTicketBody(status=status), None, console
        )
    store.close()
    where.mkdir(parents=True, exist_ok=True)
    _shoot(db, helpdesk_id, ticket_id, where)  # the ticket page shows the one just changed
    for png in (where / f"{name}.png" for name in PAGES):
        # Debian's pngquant (a 256-colour palette) and optipng, when installed
        if shutil.which("pngquant"):
            quant = ["pngquant", "--force", "--ext", ".png", "--quality", "70-95", str(png)]
            subprocess.run(quant, check=True)
        if shutil.which("optipng"):
            subprocess.run(["optipng", "-quiet", "-o2", str(png)], check=True)
        print(f"{png}: {png.stat().st_size // 1024} KiB")


def _shoot(db: str, helpdesk_id: str, ticket_id: str, where: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import start_server, stop_server

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (apt-get install chromium)")
    token = operator_token(db)
    server = start_server(db, "--rate-limit", "off", log_dir=Path(db).parent)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            context = browser.new_context(locale="en-US")
            desk = Desk(server.base_url, helpdesk_id, ticket_id, METRICS_PERIOD)
            tour(context, desk, operator_sign_in(token), where)
            context.close()
            browser.close()
    finally:
        stop_server(server)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a copy of demo-1000000.db (it is migrated)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-server-side", action="store_true")
    parser.add_argument("--screenshots", type=Path, help="save the README's PNGs here")
    args = parser.parse_args(argv)
    if args.screenshots is not None:
        screenshots(args.screenshots)
        return
    if not args.db:
        parser.error("--db is needed (a copy of bench/run.py's demo-1000000.db)")
    open_store(args.db).close()  # migrate first, outside any timing
    if not args.no_server_side:
        server_side(args.db, args.rounds)
    if not args.no_browser:
        browser_paints(args.db, max(3, args.rounds // 4))


if __name__ == "__main__":
    main()
