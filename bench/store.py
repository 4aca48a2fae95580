"""Store-level timings of the operations every request or import makes, on either store.

    python bench/store.py [--db PATH|postgresql://...] [--tickets 50000] [--lookups 20000]

No HTTP: the cost of the store alone, per call. Run it against two checkouts (PYTHONPATH
pointing at each one's src/) to compare a change of the store; bench/README.md records
the figures. Uses only the `Store` protocol, so it runs on any version that has it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from larkdesk.store import open_store
from larkdesk.store.base import (
    App,
    Helpdesk,
    IssuedToken,
    Store,
    TagRecord,
    Tenant,
    TicketRecord,
    TicketWrite,
)

T0 = 1_700_000_000_000


def records(helpdesk_id: str, count: int, start: int = 0) -> Iterator[TicketRecord]:
    """Tickets of ~1.2 KB wire JSON, with one or two agents and up to two tags."""
    rng = random.Random(start)
    padding = "x" * 1100
    for n in range(start, start + count):
        created = T0 + n * 1000
        agents = tuple(f"ou_agent{rng.randrange(50)}" for _ in range(rng.randint(1, 2)))
        tags = tuple(f"tag{rng.randrange(20)}" for _ in range(rng.randint(0, 2)))
        body = json.dumps({"ticket_id": str(n), "created_at": created, "pad": padding})
        yield TicketRecord(
            str(n),
            helpdesk_id,
            created,
            -1,
            2,
            1,
            1,
            None,
            50,
            "ou_g",
            "guest",
            None,
            tuple(dict.fromkeys(agents)),
            tuple(dict.fromkeys(tags)),
            body.encode(),
        )


def per_call_us(work: Callable[[int], object], calls: int) -> float:
    started = time.perf_counter()
    for n in range(calls):
        work(n)
    return (time.perf_counter() - started) / calls * 1e6


def rewrite(body: bytes, tags: Sequence[TagRecord]) -> TicketWrite:
    ticket = json.loads(body)
    n = int(ticket["ticket_id"])
    created = ticket["created_at"]
    updated = created + 60_000
    return TicketWrite(
        TicketRecord(
            str(n),
            "hd",
            created,
            updated,
            2,
            1,
            2,
            3,
            51,
            "ou_g",
            "guest",
            "ou_agent1",
            ("ou_agent1",),
            tuple(t.name for t in tags),
            body,
        )
    )


def measure(store: Store, tickets: int, lookups: int) -> dict[str, float]:
    store.create_tenant(Tenant("t", "t"))
    store.create_app(App("cli_bench", "t", "bench", "h", ("helpdesk:all",)))
    store.create_helpdesk(Helpdesk("hd", "t", "desk", "h"))
    store.save_token(IssuedToken("tok", "cli_bench", "tenant", T0 * 2))
    figures: dict[str, float] = {}
    started = time.perf_counter()
    store.upsert_tickets(records("hd", tickets))
    figures["import tickets/s"] = tickets / (time.perf_counter() - started)
    started = time.perf_counter()
    store.upsert_tickets(records("hd", tickets // 5))  # re-import: every one an update
    figures["re-import tickets/s"] = tickets // 5 / (time.perf_counter() - started)
    figures["gateway lookups µs"] = per_call_us(
        lambda n: (store.find_token("tok"), store.get_app("cli_bench"), store.get_helpdesk("hd")),
        lookups,
    )
    figures["get_ticket µs"] = per_call_us(
        lambda n: store.get_ticket(str(n % tickets), "hd"), lookups
    )
    tag = [TagRecord("1", "vip")]
    figures["update_ticket µs"] = per_call_us(
        lambda n: store.update_ticket("hd", str(n % tickets), tag, rewrite), lookups // 10
    )
    return {k: round(v, 1) for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a PostgreSQL URL (an empty database); default a temp file")
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(args.db or str(Path(scratch) / "bench.db"))
        try:
            figures = measure(store, args.tickets, args.lookups)
        finally:
            store.close()
    print(json.dumps({"store": "postgres" if args.db else "sqlite", **figures}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
