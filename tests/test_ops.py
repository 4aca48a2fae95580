"""/healthz, /readyz and /metrics in-process, on both stores: what they answer, that the
metrics count known traffic by route template, and who may read /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.server.shutdown import ShutdownHooks
from larkdesk.settings import Settings
from larkdesk.store.base import Store
from larkdesk.store.migrations import load_migrations

from .backends import db_location
from .conftest import LIST_PATH, TOKEN_PATH, Identity, auth_headers

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, **headers: str) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def latest(store: Store) -> int:
    backend = "postgres" if hasattr(store, "url") else "sqlite"
    return max(m.version for m in load_migrations(backend))


@pytest.fixture
def ops_client(store: Store) -> Iterator[TestClient]:
    settings = Settings(db=db_location(store), rate_limit="feishu")
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        yield client


def test_healthz_and_readyz_answer_json(ops_client: TestClient, store: Store) -> None:
    health = ops_client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = ops_client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["store"] == {
        "ok": True,
        "schema_version": latest(store),
        "latest_migration": latest(store),
    }
    assert "redis" not in body["checks"]  # not configured, not checked


def test_metrics_count_known_traffic_by_route_template(
    ops_client: TestClient, identity: Identity
) -> None:
    before = scrape(ops_client)
    headers = auth_headers(ops_client, identity)  # one tenant token issued
    for size in (10, 20, 30):  # three queries (a repeated one is answered from the cache)
        listed_page = ops_client.get(LIST_PATH, params={"page_size": size}, headers=headers)
        assert listed_page.status_code == 200
    for ticket_id in ("7000000000000000001", "7000000000000000002"):
        missing = ops_client.get(f"{LIST_PATH}/{ticket_id}", headers=headers)
        assert missing.json()["code"] == 154004
    assert ops_client.get("/open-apis/no/such/api").status_code == 404
    after = scrape(ops_client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    listed = {"method": "GET", "api": LIST_PATH, "status": "200", "code": "0"}
    assert delta("larkdesk_requests_total", **listed) == 3
    # an id in the path is counted under the template, never as its own series
    got = {"method": "GET", "api": f"{LIST_PATH}/{{id}}"}
    assert delta("larkdesk_requests_total", **got, status="404", code="154004") == 2
    assert not any("7000000000000000001" in str(key) for key in after)
    assert delta("larkdesk_requests_total", method="GET", api="unmatched", status="404", code="")
    assert delta("larkdesk_request_duration_seconds_count", method="GET", api=LIST_PATH) == 3
    token = {"method": "POST", "api": TOKEN_PATH, "status": "200", "code": "0"}
    assert delta("larkdesk_requests_total", **token) == 1
    assert delta("larkdesk_tokens_issued_total", kind="tenant") == 1
    assert delta("larkdesk_store_query_seconds_count", operation="list_tickets") == 3
    assert value(after, "larkdesk_outbox_waiting") >= 0  # read from the store at scrape


def test_rate_limit_rejections_are_counted_per_app(
    ops_client: TestClient, identity: Identity
) -> None:
    headers = auth_headers(ops_client, identity)
    before = scrape(ops_client)
    codes = [
        ops_client.get(f"{LIST_PATH}/7000000000000000001", headers=headers).json()["code"]
        for _ in range(16)  # the get API allows 10 a second
    ]
    rejected = codes.count(99991400)
    assert rejected >= 1
    after = scrape(ops_client)
    labels = {"app_id": identity.app_id, "api": "helpdesk.v1.ticket.get"}
    name = "larkdesk_rate_limit_rejections_total"
    assert value(after, name, **labels) - value(before, name, **labels) == rejected


def _client(store: Store, **settings: object) -> TestClient:
    full = Settings(db=db_location(store), rate_limit="off", **settings)  # type: ignore[arg-type]
    return TestClient(create_app(full, store), raise_server_exceptions=False)


def test_metrics_on_a_public_host_need_the_metrics_token(store: Store) -> None:
    with _client(store, host="0.0.0.0") as public:
        refused = public.get("/metrics")
        assert refused.status_code == 403
        assert "LARKDESK_METRICS_TOKEN" in refused.json()["error"]
        assert public.get("/healthz").status_code == 200  # load balancers still see these
        assert public.get("/readyz").status_code == 200
    with _client(store, host="0.0.0.0", metrics_token="m-secret-1") as guarded:
        assert guarded.get("/metrics").status_code == 401
        wrong = guarded.get("/metrics", headers={"Authorization": "Bearer m-secret-2"})
        assert wrong.status_code == 401
        scrape(guarded, Authorization="Bearer m-secret-1")
    with _client(store, host="127.0.0.1", metrics_token="m-secret-1") as loopback:
        assert loopback.get("/metrics").status_code == 401  # a token set is always asked for


def test_readyz_turns_unavailable_while_shutting_down(store: Store) -> None:
    ran: list[str] = []
    with _client(store) as client:
        hooks: ShutdownHooks = client.app.state.services.shutdown  # type: ignore[attr-defined]

        async def close_long_connections() -> None:
            ran.append("closed")

        hooks.register(close_long_connections)
        assert client.get("/readyz").status_code == 200
        client.portal.call(hooks.begin)  # type: ignore[union-attr]
        client.portal.call(hooks.wait)  # type: ignore[union-attr]
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failed"] == ["shutdown"]
        assert client.get("/healthz").status_code == 200
    assert ran == ["closed"]


def test_shutdown_hooks_are_bounded_and_isolated() -> None:
    ran: list[str] = []

    async def hangs() -> None:
        await asyncio.sleep(60)

    async def fails() -> None:
        raise RuntimeError("boom")

    async def closes() -> None:
        ran.append("closed")

    async def scenario() -> float:
        hooks = ShutdownHooks(timeout_s=0.3)
        for hook in (hangs, fails, closes):
            hooks.register(hook)
        loop = asyncio.get_running_loop()
        started = loop.time()
        hooks.begin()
        hooks.begin()  # a second signal starts nothing twice
        await hooks.wait()
        return loop.time() - started

    took = asyncio.run(scenario())
    assert ran == ["closed"]
    assert 0.25 < took < 2


def test_client_chosen_methods_and_paths_make_no_new_series(ops_client: TestClient) -> None:
    for method in ("FOOBAR", "BAZQUX"):
        assert ops_client.request(method, f"/open-apis/{method.lower()}/x").status_code == 404
    samples = scrape(ops_client)
    methods = {dict(labels).get("method") for name, labels in samples}
    apis = {dict(labels).get("api") for name, labels in samples}
    assert "FOOBAR" not in methods and "BAZQUX" not in methods
    assert not any(api and "foobar" in api for api in apis)
    other = {"method": "other", "api": "unmatched", "status": "404", "code": ""}
    assert value(samples, "larkdesk_requests_total", **other) >= 2
