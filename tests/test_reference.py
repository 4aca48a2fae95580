"""The list API against a plain-Python reference, over demo data, for many random filters."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from larkdesk import demo
from larkdesk.helpdesk.models import Ticket, derive
from larkdesk.store.base import Store

from .backends import BACKEND_NAMES, open_backend
from .conftest import LIST_PATH, Identity, auth_headers, make_client

SEED = 7
COUNT = 3000
COMBINATIONS = 400


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str], list[Ticket]]]:
    with open_backend(request.param, tmp_path_factory.mktemp("reference")) as store:
        yield from _world(store)


def _world(store: Store) -> Iterator[tuple[TestClient, dict[str, str], list[Ticket]]]:
    creds = demo.seed_demo(store, tickets=COUNT, seed=SEED)
    people = demo.demo_world(SEED, creds.tenant_key)
    tickets = [derive(t) for t in demo.generate_tickets(SEED, creds.helpdesk_id, people, COUNT)]
    identity = Identity(
        creds.app_id, creds.app_secret, creds.tenant_key, creds.helpdesk_id, creds.helpdesk_token
    )
    with make_client(store) as client:
        yield client, auth_headers(client, identity), tickets


def random_query(rng: random.Random, tickets: list[Ticket]) -> dict[str, Any]:
    """A few filters with values taken from the data, so that many combinations match."""
    t = rng.choice(tickets)
    other = rng.choice(tickets)
    choices: dict[str, Any] = {
        "ticket_id": t.ticket_id,
        "agent_id": rng.choice(t.agents).id if t.agents else "ou_nobody",
        "closed_by_id": t.closed_by.id if t.closed_by else "ou_nobody",
        "type": t.ticket_type,
        "channel": t.channel,
        "solved": t.solve,
        "score": t.score,
        "status_list": sorted({t.status, other.status} if rng.random() < 0.5 else {t.status}),
        "guest_name": _substring(rng, t.guest.name if t.guest and t.guest.name else "x"),
        "guest_id": t.guest.id if t.guest else "ou_nobody",
        "tags": [tag.name for tag in (t.tags or [])][:2]
        + ([rng.choice(other.tags).name] if other.tags else []),
    }
    choices = {k: v for k, v in choices.items() if v not in (None, [])}
    query = {
        k: choices[k]
        for k in rng.sample(sorted(choices), k=rng.randint(1, 3))
        if k != "ticket_id" or rng.random() < 0.2
    }
    if rng.random() < 0.4:
        a, b = sorted((t.created_at, other.created_at))
        query["create_time_start"], query["create_time_end"] = a, b
    if rng.random() < 0.3 and t.updated_at > 0:
        query["update_time_start"], query["update_time_end"] = (
            t.updated_at - 10**9,
            t.updated_at + 10**9,
        )
    query["page_size"] = rng.choice([1, 5, 20, 200])
    query["page"] = rng.randint(1, 3)
    return query


def _substring(rng: random.Random, name: str) -> str:
    start = rng.randrange(max(1, len(name) - 1))
    piece = name[start : start + 2]
    return piece.upper() if rng.random() < 0.3 else piece


def reference(tickets: list[Ticket], q: dict[str, Any]) -> list[Ticket]:
    def keep(t: Ticket) -> bool:
        checks = [
            "ticket_id" not in q or t.ticket_id == q["ticket_id"],
            "agent_id" not in q or any(a.id == q["agent_id"] for a in t.agents or []),
            "closed_by_id" not in q
            or (t.closed_by is not None and t.closed_by.id == q["closed_by_id"]),
            "type" not in q or t.ticket_type == q["type"],
            "channel" not in q or t.channel == q["channel"],
            "solved" not in q or t.solve == q["solved"],
            "score" not in q or t.score == q["score"],
            "status_list" not in q or t.status in q["status_list"],
            "guest_name" not in q
            or (
                t.guest is not None
                and t.guest.name is not None
                and q["guest_name"].casefold() in t.guest.name.casefold()
            ),
            "guest_id" not in q or (t.guest is not None and t.guest.id == q["guest_id"]),
            "tags" not in q or any(tag.name in q["tags"] for tag in t.tags or []),
            "create_time_start" not in q
            or q["create_time_start"] <= t.created_at <= q["create_time_end"],
            "update_time_start" not in q
            or (
                t.updated_at is not None
                and q["update_time_start"] <= t.updated_at <= q["update_time_end"]
            ),
        ]
        return all(checks)

    return sorted(filter(keep, tickets), key=lambda t: (t.created_at, t.ticket_id), reverse=True)


def test_random_filter_combinations_match_the_reference(
    world: tuple[TestClient, dict[str, str], list[Ticket]],
) -> None:
    client, headers, tickets = world
    rng = random.Random(2024)
    nonempty = 0
    for _ in range(COMBINATIONS):
        query = random_query(rng, tickets)
        expected = reference(tickets, query)
        response = client.get(f"{LIST_PATH}?{urlencode(query, doseq=True)}", headers=headers)
        body = response.json()
        assert body["code"] == 0, (query, body)
        assert body["data"]["total"] == len(expected), query
        start = (query["page"] - 1) * query["page_size"]
        want = [t.ticket_id for t in expected[start : start + query["page_size"]]]
        assert [t["ticket_id"] for t in body["data"]["tickets"]] == want, query
        nonempty += bool(want)
    assert nonempty > COMBINATIONS // 4  # the combinations really exercised matches


def test_every_ticket_is_served_exactly_as_derived(
    world: tuple[TestClient, dict[str, str], list[Ticket]],
) -> None:
    client, headers, tickets = world
    by_id = {t.ticket_id: t for t in tickets}
    served = []
    for page in range(1, COUNT // 200 + 2):
        served += client.get(f"{LIST_PATH}?page={page}&page_size=200", headers=headers).json()[
            "data"
        ]["tickets"]
    assert len(served) == COUNT == len({t["ticket_id"] for t in served})
    import msgspec

    for wire in served:
        mine = by_id[wire["ticket_id"]]
        assert wire == msgspec.json.decode(msgspec.json.encode(mine)) | {
            "helpdesk_id": wire["helpdesk_id"]
        }
