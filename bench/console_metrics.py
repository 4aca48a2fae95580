"""The console's Metrics page, server-side, on a big database: p50/p95 of
`GET /console/h/:helpdesk_id/metrics` for periods of 30, 90 and 365 days ending on the
database's newest ticket day, in-process (Starlette's TestClient: the whole handler, the
rollups' read, the page's rendering; no network), signed in with an operator token. With
`--scan`, the same periods through the old per-view scan (`console.metrics`) once each,
and a check that both give the same numbers. Three figures per period: a fresh server's
first view (it reads every day's rollups), views with nothing changed, and views each
right after a write to a ticket of the period's last day (one day read again).

    python bench/console_metrics.py --db /path/copy-of-demo.db [--runs 20] [--scan]

Copy the benchmark database first: opening it migrates it (and migration 0014 fills the
rollups; `--db` prints how long opening took). The server reads the last year's rollups in
the background at start (console/warmup.py): "first view" is taken once that is done
(`warmup_wait_ms`: how long it took), or at once with `--cold`, which stops the warm-up
(a view then reads every day it lacks itself). Figures are in bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import statistics
import time

from starlette.testclient import TestClient

from larkdesk.console.metrics import helpdesk_metrics
from larkdesk.console.rollup_metrics import rollup_metrics
from larkdesk.console.session import Signer
from larkdesk.helpdesk.stored import kept_record
from larkdesk.server.app import create_app
from larkdesk.server.run import frozen
from larkdesk.settings import Settings
from larkdesk.store import open_store
from larkdesk.store.base import TicketQuery

PERIODS = (30, 90, 365)


def _signed_in(client: TestClient, token: str) -> None:
    form = client.get("/console/signin")
    found = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert found is not None, "no sign-in form"
    done = client.post(
        "/console/signin",
        data={"signin_token": found.group(1), "operator_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def _timed(client: TestClient, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.text[:200]
    return (time.perf_counter() - began) * 1000


def _p95(times: list[float]) -> float:
    return times[max(0, math.ceil(0.95 * len(times)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scan", action="store_true")
    parser.add_argument("--cold", action="store_true", help="stop the start's warm-up at once")
    args = parser.parse_args()
    started = time.monotonic()
    store = open_store(args.db)
    opened = time.monotonic() - started
    helpdesk = max(store.list_helpdesks(None), key=lambda h: store.count_tickets(h.helpdesk_id))
    hd = helpdesk.helpdesk_id
    newest = store.scan_tickets(hd, TicketQuery(), None, 1)
    end = dt.datetime.fromtimestamp(newest[0].created_at / 1000, tz=dt.UTC).date()
    token = Signer(store).operator_token(1)
    result: dict[str, object] = {
        "tickets": store.count_tickets(hd),
        "open_seconds": round(opened, 2),
        "load_before": os.getloadavg(),
    }
    victim = newest[0]  # rewritten before each "changed" view: a ticket of the last day
    body = json.loads(victim.body)
    for days in PERIODS:
        start = end - dt.timedelta(days=days - 1)
        url = f"/console/h/{hd}/metrics?start={start}&end={end}"
        # a fresh app (and store, which the app closes): its first view reads every day
        served = open_store(args.db)
        app = frozen(create_app(Settings(db=args.db, rate_limit="off"), served))  # as `serve`
        with TestClient(app) as client:
            began = time.perf_counter()
            warmup = app.state.services.on_start[0].__self__.pages.warmup  # the console's
            if args.cold:
                warmup.stop()
            else:
                warmup.done.wait()
            warmed = (time.perf_counter() - began) * 1000
            _signed_in(client, token)
            first = _timed(client, url)
            same = sorted(_timed(client, url) for _ in range(args.runs))
            changed = []
            for n in range(args.runs):
                body["updated_at"] = body.get("updated_at", 0) + 1
                body["status"] = (50, 2)[n % 2]
                served.upsert_tickets([kept_record(json.dumps(body).encode(), hd)])
                changed.append(_timed(client, url))
            changed.sort()
        row: dict[str, object] = {
            "warmup_wait_ms": round(warmed, 1),
            "first_view_ms": round(first, 1),
            "unchanged_p50_ms": round(statistics.median(same), 1),
            "unchanged_p95_ms": round(_p95(same), 1),
            "after_a_write_p50_ms": round(statistics.median(changed), 1),
            "after_a_write_p95_ms": round(_p95(changed), 1),
        }
        if args.scan:
            began = time.perf_counter()
            scan = helpdesk_metrics(store, hd, start, end)
            row["scan_ms"] = round((time.perf_counter() - began) * 1000, 1)
            kept = rollup_metrics(store, hd, start, end)
            row["created"] = kept.created
            row["same"] = (scan.created, scan.frt(0.5), scan.resolution(0.9), scan.tags) == (
                kept.created,
                kept.frt(0.5),
                kept.resolution(0.9),
                kept.tags,
            )
        result[f"{days}d"] = row
        print(json.dumps({f"{days}d": row}), flush=True)
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
