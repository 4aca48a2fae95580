"""Long-connection delivery on loopback, against a real `larkdesk serve`:

    python bench/longconn.py [--rate 200] [--seconds 10] [--workers 1] [--backlog 5000]

1. latency: status changes (PUT) at `--rate` per second; commit-to-ack-sender latency
   (arrival at the client minus the event's create_time, ms) p50/p99;
2. throughput: `--backlog` events written to the outbox by another process while the
   client is connected; the time until the client has them all.
The client is a bare `websockets` client in its own process speaking pbbp2 (larkdesk's own
frames module), acking every event at once. Results are printed as JSON; bench/README.md
records them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
from events import api, larkdesk, paced_changes, percentile, stop
from websockets.asyncio.client import connect

from larkdesk.events import pbbp2
from larkdesk.events.wire import new_event_id
from larkdesk.store import open_store
from larkdesk.store.event_records import OutboundEvent

UPDATED = "helpdesk.ticket.updated_v1"


def _client(base: str, app: dict[str, str], control: Connection) -> None:
    arrivals: list[tuple[int, int]] = []

    async def main() -> None:
        found = httpx.post(
            f"{base}/callback/ws/endpoint",
            json={"AppID": app["app_id"], "AppSecret": app["app_secret"]},
        ).json()
        async with connect(found["data"]["URL"], proxy=None, max_size=None) as ws:
            control.send("connected")

            async def receive() -> None:
                async for data in ws:
                    frame = pbbp2.decode(data)  # type: ignore[arg-type]
                    if frame.method != pbbp2.DATA:
                        continue
                    now = time.time_ns() // 1_000_000
                    created = json.loads(frame.payload)["header"]["create_time"]
                    arrivals.append((now, int(created)))
                    frame.payload = b'{"code":200}'
                    await ws.send(frame.encode())

            task = asyncio.create_task(receive())
            loop = asyncio.get_running_loop()
            while True:
                await loop.run_in_executor(None, control.poll, None)
                command = control.recv()
                if command == "stop":
                    task.cancel()
                    return
                control.send(list(arrivals))
                if command == "reset":
                    arrivals.clear()

    asyncio.run(main())


def serve(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = ["serve", "--db", db, "--port", str(port), "--rate-limit", "off"]
    process = subprocess.Popen(
        [sys.executable, "-m", "larkdesk", *command, "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            time.sleep(3)  # every worker up (the first to start answers)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("larkdesk serve did not start")


def arrivals(control: Connection, command: str = "reset") -> list[tuple[int, int]]:
    control.send(command)
    found: list[tuple[int, int]] = control.recv()
    return found


def outbox_states(db: str) -> dict[str, int]:
    """Every event written, counted by state (at the end: all `delivered`)."""
    store = open_store(db)
    states: dict[str, int] = {}
    for entry in store.event_log(None, False, 1_000_000):
        states[entry.state] = states.get(entry.state, 0) + 1
    store.close()
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--port", type=int, default=18932)
    args = parser.parse_args()
    results: dict[str, object] = {"workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        creds = json.loads(larkdesk(db, "demo", "--tickets", "200"))
        app = json.loads(
            larkdesk(db, "app", "create", "--name", "lc", "--tenant", creds["tenant_key"])
        )
        larkdesk(db, "app", "events", app["app_id"], "--mode", "long-connection")
        base = f"http://127.0.0.1:{args.port}"
        server = serve(db, args.port, args.workers)
        control, theirs = multiprocessing.Pipe()
        client = multiprocessing.Process(target=_client, args=(base, app, theirs), daemon=True)
        try:
            store = open_store(db)
            store.subscribe_events(app["app_id"], creds["helpdesk_id"], [UPDATED])
            store.close()
            client.start()
            assert control.recv() == "connected"
            time.sleep(1)
            client_api = api(base, creds)
            listed = asyncio.run(
                client_api.get("/open-apis/helpdesk/v1/tickets", params={"page_size": 100})
            )
            ticket_ids = [t["ticket_id"] for t in listed.json()["data"]["tickets"]]
            arrivals(control)
            sent = asyncio.run(paced_changes(api(base, creds), ticket_ids, args.rate, args.seconds))
            time.sleep(2)
            latencies = [a - c for a, c in arrivals(control)]
            results["latency"] = {
                "sent": sent,
                "received": len(latencies),
                "p50_ms": percentile(latencies, 0.5),
                "p99_ms": percentile(latencies, 0.99),
                "max_ms": max(latencies, default=0),
            }
            arrivals(control)
            now = time.time_ns() // 1_000_000
            body = b'{"ticket_id":"1","helpdesk_id":"1"}'
            store = open_store(db)
            store.add_events(
                [
                    OutboundEvent(new_event_id(), UPDATED, creds["helpdesk_id"], now, body)
                    for _ in range(args.backlog)
                ]
            )
            store.close()
            started = time.perf_counter()
            while len(arrivals(control, "peek")) < args.backlog:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            results["backlog"] = {
                "events": args.backlog,
                "seconds": round(elapsed, 2),
                "events_per_s": round(args.backlog / elapsed),
            }
            time.sleep(1)
            results["outbox"] = outbox_states(db)
        finally:
            control.send("stop")
            stop(server)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
