"""Limits follow Feishu's documented maxima: each endpoint's body limit holds its largest
legal body with headroom; ticket get is 10/s; every 429 says when to retry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.server import limits as server_limits
from larkdesk.store.base import User

from .backends import open_backend
from .conftest import LIST_PATH, Identity, auth_headers, make_client, provision

HEADROOM = 1.25
ASTRAL = "😀"  # 12 bytes as a JSON escape pair: the most any encoder spends on a character
TID = "7000000000000000001"


def text(length: int, char: str = ASTRAL) -> str:
    return char * length


def largest_update() -> dict[str, Any]:
    """Every field of `PUT .../tickets/:id` at its documented maximum; the custom fields
    echo their definitions, as a client writing back what it read does."""
    item = {
        "id": text(255),
        "value": text(1024),
        "key_name": text(255),
        "display_name": text(255),
        "position": 1_000_000_000,
        "required": False,
        "editable": False,
    }
    return {
        "status": 52,
        "tag_names": [text(255) for _ in range(100)],
        "comment": text(10_000),
        "customized_fields": [item] * 100,
        "ticket_type": 2,
        "solved": 2,
        "channel": 2**63 - 1,
    }


def largest_start() -> dict[str, Any]:
    return {
        "human_service": True,
        "appointed_agents": [text(255) for _ in range(100)],
        "open_id": text(255),
        "customized_info": text(4096),
    }


def largest_field() -> dict[str, Any]:
    options = [{"display_name": text(255), "tag": "t" * 40} for _ in range(100)]
    return {
        "ticket_customized_field_id": "7" * 19,
        "helpdesk_id": "7" * 19,
        "key_name": text(255),
        "display_name": text(255),
        "position": "1000000000",
        "field_type": "dropdown",
        "description": text(4096),
        "visible": True,
        "editable": True,
        "required": True,
        "dropdown_options": {"children": options},
        "dropdown_allow_multiple": False,
    }


def encoded_size(body: dict[str, Any]) -> int:
    """The larger of escaped compact JSON and pretty-printed JSON."""
    return max(len(json.dumps(body).encode()), len(json.dumps(body, indent=2).encode()))


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        (largest_update(), server_limits.UPDATE_TICKET_BODY_BYTES),
        (largest_start(), server_limits.START_SERVICE_BODY_BYTES),
        (largest_field(), server_limits.FIELD_BODY_BYTES),
        ({"visible": False}, server_limits.LIST_FIELDS_BODY_BYTES),
        ({"app_id": text(255), "app_secret": text(255)}, server_limits.TOKEN_BODY_BYTES),
    ],
    ids=["update", "start_service", "field", "list_fields", "token"],
)
def test_each_body_limit_holds_the_largest_legal_body_with_headroom(
    body: dict[str, Any], limit: int
) -> None:
    assert encoded_size(body) * HEADROOM <= limit


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Identity]]:
    with open_backend("sqlite", tmp_path) as store:
        identity = provision(store)  # type: ignore[arg-type]
        store.upsert_tickets(
            [to_record(Ticket(ticket_id=TID, created_at=1, status=2), identity.helpdesk_id)]
        )
        store.upsert_users([User("ou_guest", identity.tenant_key, "Guest")])
        with make_client(store, rate_limit="feishu") as client:  # type: ignore[arg-type]
            yield client, identity


def test_an_update_with_the_most_and_longest_tag_names_and_comment_is_accepted(
    served: tuple[TestClient, Identity],
) -> None:
    client, identity = served
    headers = auth_headers(client, identity)
    cjk = [f"{n:03d}" + text(252, "紧") for n in range(100)]
    for tags, comment in ((cjk, text(10_000, "紧")), ([text(255)] * 1, text(10_000))):
        raw = json.dumps({"tag_names": tags, "comment": comment}).encode()  # \\u escapes
        assert len(raw) > 64 * 1024
        response = client.put(f"{LIST_PATH}/{TID}", content=raw, headers=headers)
        assert response.json()["code"] == 0, response.text[:300]
    ticket = client.get(f"{LIST_PATH}/{TID}", headers=headers).json()["data"]["ticket"]
    assert ticket["comments"]["content"] == text(10_000)


def test_start_service_with_the_longest_customized_info_is_accepted(
    served: tuple[TestClient, Identity],
) -> None:
    client, identity = served
    body = {"open_id": "ou_guest", "customized_info": text(4096)}
    response = client.post(
        "/open-apis/helpdesk/v1/start_service", json=body, headers=auth_headers(client, identity)
    )
    assert response.json()["code"] == 0, response.text


def test_ticket_get_is_limited_to_10_a_second_with_retry_after(
    served: tuple[TestClient, Identity],
) -> None:
    client, identity = served
    headers = auth_headers(client, identity)
    answers = [client.get(f"{LIST_PATH}/{TID}", headers=headers) for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    limited = answers[-1]
    assert limited.json()["code"] == 99991400
    assert limited.headers["X-Ogw-Ratelimit-Limit"] == "10"
    reset = limited.headers["X-Ogw-Ratelimit-Reset"]
    assert limited.headers["Retry-After"] == reset and int(reset) >= 1
    assert client.get(LIST_PATH, headers=headers).status_code == 200  # its own counter


def test_every_429_carries_retry_after(served: tuple[TestClient, Identity]) -> None:
    client, identity = served
    headers = auth_headers(client, identity)
    answers = [client.get(LIST_PATH, headers=headers) for _ in range(51)]
    limited = answers[-1]
    assert limited.status_code == 429 and limited.headers["X-Ogw-Ratelimit-Limit"] == "50"
    assert int(limited.headers["Retry-After"]) >= 1
