"""One list request end to end, in process: where the time goes per request.

    python bench/profile_list.py DB [--requests 2000] [--query Q2] [--profile]

Calls the larkdesk ASGI app (routing, middleware, gateway, thread hop, SQL, body) and the
floor's ASGI callable directly, without HTTP, `--requests` times each, alternated, and
prints µs per request; `--profile` prints cProfile's top functions of larkdesk's run.
The database must be a demo database (`larkdesk demo`), the first demo helpdesk queried.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import floor
from larkdesk import demo
from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.server.app import create_app
from larkdesk.settings import Settings

DAY_MS = 86_400_000
MONTH = (demo.DEMO_END_MS - 30 * DAY_MS, demo.DEMO_END_MS)
QUERIES: dict[str, dict[str, Any]] = {
    "Q1": {},
    "Q2": {
        "status_list": "1,2,3",
        "create_time_start": MONTH[0],
        "create_time_end": MONTH[1],
        "page_size": 200,
    },
    "Q4": {"page": 50, "page_size": 200},
}


async def call(app: Any, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> bytes:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(body)


async def token(app: Any) -> str:
    import json

    creds = demo.demo_credentials(0)
    payload = json.dumps({"app_id": creds.app_id, "app_secret": creds.app_secret}).encode()
    scope_path = "/open-apis/auth/v3/tenant_access_token/internal"
    out: list[bytes] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": scope_path,
        "raw_path": scope_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    await app(scope, receive, send)
    return str(json.loads(b"".join(out))["tenant_access_token"])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--query", default="Q1", choices=sorted(QUERIES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    creds = demo.demo_credentials(0)
    os.environ["LARKDESK_DB"] = args.db
    os.environ["FLOOR_HELPDESK_ID"] = creds.helpdesk_id
    app = create_app(Settings(db=args.db, rate_limit="off", log_level="warning"))
    floor_app = floor.create()
    bearer = await token(app)
    headers = [
        (b"authorization", f"Bearer {bearer}".encode()),
        (
            b"x-lark-helpdesk-authorization",
            encode_helpdesk_header(creds.helpdesk_id, creds.helpdesk_token).encode(),
        ),
    ]
    path = "/open-apis/helpdesk/v1/tickets"
    query = urlencode(QUERIES[args.query])
    first = await call(app, path, query, headers)
    assert first == await call(floor_app, path, query, []), first[:200]
    for _ in range(args.rounds):
        for name, target in (("larkdesk", app), ("floor", floor_app)):
            started = time.perf_counter()
            for _ in range(args.requests):
                await call(target, path, query, headers)
            per = (time.perf_counter() - started) / args.requests * 1e6
            print(f"{name:9} {args.query} {per:8.1f} µs/request", flush=True)
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            await call(app, path, query, headers)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
