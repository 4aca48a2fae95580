"""Redis caches only what the database confirmed: a token entry written into Redis by
anyone but larkdesk (unsigned, signed with another key, or copied from another token's key)
is ignored, and the token is judged by the database."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from larkdesk.auth.credentials import hash_secret
from larkdesk.auth.tokens import REDIS_TOKEN_PREFIX, RedisTokens
from larkdesk.helpdesk.tickets.service import HelpdeskService
from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import App, Store

from .backends import db_location, redis_url
from .conftest import LIST_PATH, Identity, fetch_token, provision
from .seeded import seed_tickets

FORGED = "t-" + "f" * 40


@pytest.fixture
def redis_client() -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_url())
    yield client
    client.close()


@pytest.fixture
def reader(store: Store) -> Identity:
    """An app that may only read, with one ticket in its helpdesk."""
    identity = provision(store, "reader", scopes=("helpdesk:all:readonly",))  # type: ignore[arg-type]
    HelpdeskService(store).put_tickets(identity.helpdesk_id, seed_tickets()[:1])
    return identity


def _client(store: Store) -> TestClient:
    settings = Settings(db=db_location(store), rate_limit="off", redis=redis_url())
    return TestClient(create_app(settings, store), raise_server_exceptions=False)


def _entry_granting_all(app_id: str, tenant_key: str) -> bytes:
    """What the old, unsigned format held: an app with write scope, valid for an hour."""
    fields = {
        "app_id": app_id,
        "tenant_key": tenant_key,
        "name": "forged",
        "secret_hash": "0" * 64,
        "scopes": ["helpdesk:all"],
        "expires_at_ms": 2**62,
    }
    return json.dumps(fields).encode()


def _put(client: TestClient, token: str, identity: Identity) -> tuple[int, int]:
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }
    ticket_id = seed_tickets()[0].ticket_id
    response = client.put(f"{LIST_PATH}/{ticket_id}", json={"status": 50}, headers=headers)
    return response.status_code, response.json()["code"]


def test_forged_entries_are_refused_and_a_real_one_accepted(
    store: Store, reader: Identity, redis_client: Any
) -> None:
    forged_key = REDIS_TOKEN_PREFIX + hash_secret(FORGED)
    with _client(store) as client:
        real = fetch_token(client, reader)
        real_key = REDIS_TOKEN_PREFIX + hash_secret(real)
        signed_real_entry = redis_client.get(real_key)
        assert signed_real_entry is not None  # issuing wrote the signed entry
        unsigned = _entry_granting_all(reader.app_id, reader.tenant_key)
        other_key = RedisTokens(redis_url(), secrets.token_bytes(32))
        app = App(reader.app_id, reader.tenant_key, "x", "0" * 64, ("helpdesk:all",))
        for entry in (unsigned, signed_real_entry):  # unsigned; copied from another key
            redis_client.set(forged_key, entry, px=60_000)
            assert _put(client, FORGED, reader) == (400, 99991663)
        other_key.remember(hash_secret(FORGED), app, 2**62, 0)  # signed with another key
        other_key.close()
        assert _put(client, FORGED, reader) == (400, 99991663)
        # the real token, its entry replaced by one granting write: the database says read
        redis_client.set(real_key, unsigned, px=60_000)
        client.app.state.services.tokens._cache.clear()  # type: ignore[attr-defined]
        assert _put(client, real, reader) == (400, 99991672)
        headers = {
            "Authorization": f"Bearer {real}",
            "X-Lark-Helpdesk-Authorization": reader.helpdesk_header,
        }
        assert client.get(LIST_PATH, headers=headers).json()["code"] == 0
        assert redis_client.get(real_key) != unsigned  # written back, signed, from the database
