"""Token issuing as Feishu does it, on both stores: the same token while it has more than
30 minutes left, a new one after, at most two rows per app however often it asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from larkdesk.auth.credentials import hash_secret
from larkdesk.auth.routes import AuthRoutes
from larkdesk.auth.tokens import TokenService
from larkdesk.ratelimit import MemoryRateLimiter
from larkdesk.server.requestlog import RequestLogMiddleware
from larkdesk.store.base import Store
from larkdesk.store.sql import Sql
from larkdesk.store.sqlstore import SqlStore

from .conftest import TOKEN_PATH, Identity, provision

APP_TOKEN_PATH = "/open-apis/auth/v3/app_access_token/internal"
T0 = 1_700_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _rows_per_app(db: Sql) -> dict[str, int]:
    return dict(db.all("SELECT app_id, count(*) FROM access_tokens GROUP BY app_id"))


def rows_per_app(store: Store) -> dict[str, int]:
    assert isinstance(store, SqlStore)
    return store._read(_rows_per_app)


def test_ten_thousand_requests_leave_at_most_two_rows_per_app(store: Store) -> None:
    apps = [provision(store, f"app{i}") for i in range(2)]
    clock = Clock()
    tokens = TokenService(store, clock=clock)
    seen: set[str] = set()
    for n in range(10_000):
        clock.now += 3.6  # 10,000 requests over 10 hours: tokens rotate and expire
        app = apps[n % 2]
        grant = tokens.issue(app.app_id, app.app_secret, "tenant" if n % 3 else "app")
        assert 1800 <= grant.expire <= 7200
        seen.add(grant.token)
        if n % 500 == 0:
            assert max(rows_per_app(store).values()) <= 2
    assert max(rows_per_app(store).values()) <= 2
    assert 10 <= len(seen) <= 20  # one new token per app every 90 minutes


def test_the_same_token_while_more_than_half_an_hour_is_left(store: Store) -> None:
    app = provision(store)
    clock = Clock()
    tokens = TokenService(store, clock=clock)
    first = tokens.issue(app.app_id, app.app_secret, "tenant")
    assert first.expire == 7200 and first.token.startswith("t-") and len(first.token) == 42
    clock.now += 3000
    again = tokens.issue(app.app_id, app.app_secret, "app")  # the endpoints share a series
    assert again.token == first.token and again.expire == 4200
    clock.now += 2400  # 1800 s left: a new token, and the old one still works
    fresh = tokens.issue(app.app_id, app.app_secret, "tenant")
    assert fresh.token != first.token and fresh.expire == 7200
    assert tokens.verify(first.token).app_id == app.app_id
    assert tokens.verify(fresh.token).app_id == app.app_id
    assert rows_per_app(store) == {app.app_id: 2}


def test_the_token_value_is_not_stored(store: Store) -> None:
    app = provision(store)
    token = TokenService(store).issue(app.app_id, app.app_secret, "tenant").token
    found = store.find_token(hash_secret(token))
    assert found is not None and found.salt and token not in repr(found)


def test_workers_asking_at_once_make_one_token(store: Store) -> None:
    app = provision(store)
    clock = Clock()
    services = [TokenService(store, clock=clock) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        grants = list(
            pool.map(lambda s: s.issue(app.app_id, app.app_secret, "tenant"), services * 4)
        )
    assert len({g.token for g in grants}) == 1
    assert rows_per_app(store) == {app.app_id: 1}


def _auth_client(store: Store, clock: Clock) -> TestClient:
    routes = AuthRoutes(TokenService(store), MemoryRateLimiter(clock))
    app = Starlette(routes=routes.routes(), middleware=[Middleware(RequestLogMiddleware)])
    return TestClient(app)


def _ask(client: TestClient, identity: Identity, path: str = TOKEN_PATH) -> dict[str, object]:
    body = {"app_id": identity.app_id, "app_secret": identity.app_secret}
    result: dict[str, object] = client.post(path, json=body).json()
    return result


def test_both_endpoints_answer_the_same_token_over_http(store: Store) -> None:
    identity = provision(store)
    with _auth_client(store, Clock()) as client:
        tenant = _ask(client, identity)
        app = _ask(client, identity, APP_TOKEN_PATH)
    assert tenant["tenant_access_token"] == app["app_access_token"] == app["tenant_access_token"]
    assert isinstance(app["expire"], int) and 7190 <= app["expire"] <= 7200


def test_token_requests_are_rate_limited_per_app(store: Store) -> None:
    first, second = provision(store, "first"), provision(store, "second")
    clock = Clock(100.0)
    with _auth_client(store, clock) as client:
        codes = [_ask(client, first)["code"] for _ in range(51)]
        other = _ask(client, second)
        response = client.post(TOKEN_PATH, json={"app_id": first.app_id, "app_secret": "x"})
        clock.now += 1.0
        later = _ask(client, first)
    assert codes[:50] == [0] * 50 and codes[50] == 99991400
    assert other["code"] == 0  # another app has its own budget
    assert response.status_code == 429 and response.headers["x-ogw-ratelimit-reset"] == "1"
    assert later["code"] == 0
