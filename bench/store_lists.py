"""Store-level timings of the list reads (the list API's plans, the console's sorted pages
and counts) on an existing database, per call, no HTTP.

    python bench/store_lists.py DB HELPDESK_ID [--rounds 3] [--calls 200]

Uses only the `Store` protocol, so it runs on any version that has it: point PYTHONPATH
at each checkout's src/ and run both on copies of the same data (a newer checkout migrates
its copy first), alternated; the best round of each query is printed in µs per call.
The queries are the list benchmark's Q1-Q4 (bench/run.py) and a few console reads, their
agent, tag and time window taken from the helpdesk's newest ticket.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from larkdesk.store import open_store
from larkdesk.store.base import Store, TicketQuery, Window
from larkdesk.store.console_records import TimeSlot

DAY_MS = 86_400_000


def reads(store: Store, helpdesk_id: str) -> dict[str, Callable[[], object]]:
    newest = json.loads(store.scan_tickets(helpdesk_id, TicketQuery(), None, 1)[0].body)
    end = int(newest["created_at"])
    month = Window(end - 30 * DAY_MS, end)
    agent = next(
        json.loads(t.body)["agents"][0]["id"]
        for t in store.scan_tickets(helpdesk_id, TicketQuery(), None, 100)
        if json.loads(t.body).get("agents")
    )
    tag = next(
        json.loads(t.body)["tags"][0]["name"]
        for t in store.scan_tickets(helpdesk_id, TicketQuery(), None, 1000)
        if json.loads(t.body).get("tags")
    )
    q2 = TicketQuery(statuses=(1, 2, 3), created=month, page_size=200)
    queries = {
        "Q1 first page": TicketQuery(),
        "Q2 status + month, 200": q2,
        "Q3 agent, 200": TicketQuery(agent_id=agent, page_size=200),
        "Q4 page 50 x 200": TicketQuery(page=50, page_size=200),
        "tag, 50": TicketQuery(tags=(tag,), page_size=50),
    }
    slot = TimeSlot()
    found: dict[str, Callable[[], object]] = {
        f"list {name}": (lambda q=q: store.list_tickets(helpdesk_id, q))  # type: ignore[misc]
        for name, q in queries.items()
    }
    found["console by status, 50"] = lambda: store.sorted_tickets(
        helpdesk_id, TicketQuery(), slot, "status", True, None, 50
    )
    found["console status 2 by score, 50"] = lambda: store.sorted_tickets(
        helpdesk_id, TicketQuery(statuses=(2,)), slot, "score", True, None, 50
    )
    found["console count status + month"] = lambda: store.count_matching(
        helpdesk_id, q2, slot, 10_000
    )
    found["scan 200"] = lambda: store.scan_tickets(helpdesk_id, TicketQuery(), None, 200)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("helpdesk_id")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    store = open_store(args.db)
    try:
        work = reads(store, args.helpdesk_id)
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, read in work.items():
                read()  # warm
                started = time.perf_counter()
                for _ in range(args.calls):
                    read()
                per_call = (time.perf_counter() - started) / args.calls * 1e6
                best[name] = min(best.get(name, per_call), per_call)
    finally:
        store.close()
    print(json.dumps({name: round(us, 1) for name, us in best.items()}, indent=1))


if __name__ == "__main__":
    main()
