"""What the wire-level test modules share: a demo served on a backend, an httpx client
holding an identity's tokens, and the check of a successful Feishu answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from larkdesk.auth import provision as accounts
from larkdesk.store.base import Store

from .backends import postgres_schema
from .conftest import TOKEN_PATH, Identity, larkdesk
from .wire import Wire, serve


@contextmanager
def served_demo(
    backend: str, where: Path, tickets: int, seeds: tuple[int, int]
) -> Iterator[tuple[Wire, dict[str, str]]]:
    """`larkdesk demo --tickets N` on `backend` ("sqlite": a file in `where`; "postgres": a
    schema of its own), served with the rate limit off; yields the server and the demo's
    credentials. Each backend gets its own seed (`seeds`), hence its own app_id: lark-oapi
    caches tenant tokens by app_id for the whole process, so a demo app shared with another
    module's server would be handed a token this server never issued."""
    seed = seeds[0] if backend == "sqlite" else seeds[1]
    with _database(backend, where) as db:
        out = larkdesk("demo", "--tickets", str(tickets), "--seed", str(seed), db=db)
        with serve(db, "--rate-limit", "off", log_dir=where) as wire:
            yield wire, json.loads(out.stdout)


@contextmanager
def _database(backend: str, where: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(where / "larkdesk.db")
        return
    with postgres_schema() as url:
        yield url


def sibling_desk(store: Store, of: Identity, name: str = "sibling") -> Identity:
    """A second helpdesk of `of`'s app (same tenant, same app credentials)."""
    made = accounts.create_helpdesk(store, of.app_id, name)
    return Identity(of.app_id, of.app_secret, of.tenant_key, made.helpdesk_id, made.helpdesk_token)


def api_client(wire: Wire, who: Identity) -> httpx.Client:
    """An httpx client on `wire` sending `who`'s tenant token and helpdesk credentials."""
    with wire.client() as client:
        token = client.post(
            TOKEN_PATH, json={"app_id": who.app_id, "app_secret": who.app_secret}
        ).json()["tenant_access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": who.helpdesk_header,
    }
    return wire.client(headers=headers, timeout=30)


def ok(response: httpx.Response) -> Any:
    """The `data` of a 200 answer with code 0 and msg "success" (Feishu's)."""
    body = response.json()
    assert (response.status_code, body["code"], body["msg"]) == (200, 0, "success"), body
    return body["data"]
