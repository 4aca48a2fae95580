"""Event delivery benchmarks on loopback, against a real `larkdesk serve` (one worker):

    python bench/events.py [--rate 200] [--seconds 10] [--backlog 20000] [--puts 3000]

1. latency: status changes (PUT) at `--rate` per second; commit-to-receiver latency (arrival at
   the receiver minus the event's create_time, ms) p50/p99;
2. throughput: `--backlog` events written to the outbox while the server is down, then
   the time one worker takes to deliver them all to a fast receiver;
3. PUT throughput (8 concurrent clients) with a subscribed app and without.
The receiver is a bare asyncio HTTP server in its own process (answers 200 at once).
Results are printed as JSON; bench/README.md records them.
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

from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.events.wire import new_event_id
from larkdesk.store import open_store
from larkdesk.store.event_records import OutboundEvent

CREATED = "helpdesk.ticket.created_v1"
UPDATED = "helpdesk.ticket.updated_v1"


# -- the receiver (its own process) ---------------------------------------------------------


def _receiver(port_out: Connection, control: Connection) -> None:
    arrivals: list[tuple[int, int]] = []  # (arrival ms, header.create_time)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    v
                    for k, _, v in (line.partition(b":") for line in head.split(b"\r\n"))
                    if k.lower() == b"content-length"
                )
            )
            body = await reader.readexactly(length)
            now = time.time_ns() // 1_000_000
            message = json.loads(body)
            if "challenge" in message:
                answer = json.dumps({"challenge": message["challenge"]}).encode()
            else:
                arrivals.append((now, int(message["header"]["create_time"])))
                answer = b'{"msg":"success"}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(answer), answer)
            )
            await writer.drain()

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _serve(handle, r, w), "127.0.0.1", 0, backlog=1024
        )
        port_out.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(None, control.poll, None)
            command = control.recv()
            if command == "stop":
                return
            control.send(list(arrivals))
            if command == "reset":
                arrivals.clear()

    asyncio.run(main())


async def _serve(
    handle: object, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        await handle(reader, writer)  # type: ignore[operator]
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


# -- the server and its apps ------------------------------------------------------------------


def larkdesk(db: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "larkdesk", *args, "--db", db],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def serve(db: str, port: int) -> subprocess.Popen[bytes]:
    command = ["serve", "--db", db, "--port", str(port), "--rate-limit", "off", "--workers", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "larkdesk", *command, "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("larkdesk serve did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def api(base: str, creds: dict[str, str]) -> httpx.AsyncClient:
    answer = httpx.post(
        f"{base}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": creds["app_id"], "app_secret": creds["app_secret"]},
        timeout=60,
    )
    if "tenant_access_token" not in answer.text:
        raise RuntimeError(f"no token: HTTP {answer.status_code} {answer.text}")
    token = answer.json()["tenant_access_token"]
    helpdesk = encode_helpdesk_header(creds["helpdesk_id"], creds["helpdesk_token"])
    headers = {"Authorization": f"Bearer {token}", "X-Lark-Helpdesk-Authorization": helpdesk}
    limits = httpx.Limits(max_connections=400)
    return httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, trust_env=False, limits=limits
    )


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))]) if ordered else 0.0


# -- the three measurements --------------------------------------------------------------------


async def paced_changes(
    client: httpx.AsyncClient, ticket_ids: list[str], rate: int, seconds: float
) -> int:
    """Status changes at `rate` per second (each one `helpdesk.ticket.updated_v1`)."""
    sent, started = 0, time.perf_counter()
    tasks = []
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate) - sent
        for n in range(sent, sent + due):
            ticket = ticket_ids[n % len(ticket_ids)]
            status = 2 + (n // len(ticket_ids)) % 2  # alternate, so every PUT changes it
            path = f"/open-apis/helpdesk/v1/tickets/{ticket}"
            tasks.append(asyncio.create_task(client.put(path, json={"status": status})))
        sent += due
        await asyncio.sleep(0.002)
    await asyncio.gather(*tasks)
    return sent


async def puts(client: httpx.AsyncClient, ticket_ids: list[str], count: int) -> float:
    queue = [(ticket_ids[n % len(ticket_ids)], 2 + n % 2) for n in range(count)]

    async def worker() -> None:
        while queue:
            ticket_id, status = queue.pop()
            await client.put(f"/open-apis/helpdesk/v1/tickets/{ticket_id}", json={"status": status})

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(8)))
    return count / (time.perf_counter() - started)


def start_receiver() -> tuple[str, Connection, multiprocessing.Process]:
    port_in, port_out = multiprocessing.Pipe(duplex=False)
    control, theirs = multiprocessing.Pipe()
    receiver = multiprocessing.Process(target=_receiver, args=(port_out, theirs), daemon=True)
    receiver.start()
    return f"http://127.0.0.1:{port_in.recv()}/hook", control, receiver


def arrivals(control: Connection, command: str = "reset") -> list[tuple[int, int]]:
    control.send(command)
    found: list[tuple[int, int]] = control.recv()
    return found


def measure_latency(
    base: str,
    creds: dict[str, str],
    ticket_ids: list[str],
    control: Connection,
    rate: int,
    seconds: float,
) -> dict[str, float]:
    arrivals(control)
    sent = asyncio.run(paced_changes(api(base, creds), ticket_ids, rate, seconds))
    time.sleep(2)
    latencies = [arrived - created for arrived, created in arrivals(control)]
    return {
        "sent": sent,
        "received": len(latencies),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=0),
    }


def measure_backlog(
    db: str, port: int, helpdesk_id: str, control: Connection, count: int
) -> dict[str, float]:
    arrivals(control)
    now = time.time_ns() // 1_000_000
    body = b'{"ticket_id":"1","helpdesk_id":"1"}'
    store = open_store(db)
    store.add_events(
        [OutboundEvent(new_event_id(), CREATED, helpdesk_id, now, body) for _ in range(count)]
    )
    store.close()
    started = time.perf_counter()
    server = serve(db, port)
    while len(arrivals(control, "peek")) < count:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started  # includes the server's start-up
    stop(server)
    return {"events": count, "seconds": round(elapsed, 2), "events_per_s": round(count / elapsed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--backlog", type=int, default=20000)
    parser.add_argument("--puts", type=int, default=3000)
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    url, control, _ = start_receiver()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        creds = json.loads(larkdesk(db, "demo", "--tickets", "200"))
        base = f"http://127.0.0.1:{args.port}"
        server = serve(db, args.port)
        try:
            results.update(run_all(args, db, base, creds, url, control))
        finally:
            stop(server)
        results["backlog"] = measure_backlog(
            db, args.port, creds["helpdesk_id"], control, args.backlog
        )
    control.send("stop")
    print(json.dumps(results, indent=2))


def run_all(
    args: argparse.Namespace,
    db: str,
    base: str,
    creds: dict[str, str],
    url: str,
    control: Connection,
) -> dict[str, object]:
    """PUT throughput with events off and on, then the latency at a steady rate."""
    results: dict[str, object] = {}
    listener = json.loads(
        larkdesk(db, "app", "create", "--name", "bench", "--tenant", creds["tenant_key"])
    )
    larkdesk(db, "app", "events", listener["app_id"], "--url", url)
    listed = asyncio.run(
        api(base, creds).get("/open-apis/helpdesk/v1/tickets", params={"page_size": 100})
    )
    tickets = listed.json()["data"]["tickets"]
    ticket_ids = [t["ticket_id"] for t in tickets]
    results["puts_per_s_events_off"] = round(
        asyncio.run(puts(api(base, creds), ticket_ids, args.puts))
    )
    store = open_store(db)
    store.subscribe_events(listener["app_id"], creds["helpdesk_id"], [CREATED, UPDATED])
    store.close()
    results["puts_per_s_events_on"] = round(
        asyncio.run(puts(api(base, creds), ticket_ids, args.puts))
    )
    time.sleep(2)
    results["latency"] = measure_latency(base, creds, ticket_ids, control, args.rate, args.seconds)
    return results


if __name__ == "__main__":
    main()
