"""The list API and the token endpoints, in-process: auth, errors, filters, order."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest
from starlette.testclient import TestClient

from larkdesk.auth.credentials import encode_helpdesk_header, hash_secret
from larkdesk.helpdesk.models import Comments, Ticket, TicketTag, TicketUser
from larkdesk.helpdesk.tickets.service import HelpdeskService
from larkdesk.store.base import IssuedToken
from larkdesk.store.sqlite import SQLiteStore

from .backends import raw_content
from .conftest import (
    LIST_PATH,
    TOKEN_PATH,
    Identity,
    auth_headers,
    fetch_token,
    make_client,
    provision,
)

T0 = 1_700_000_000_000


def user(uid: str, name: str = "") -> TicketUser:
    return TicketUser(id=uid, name=name or uid)


def sample_tickets() -> list[Ticket]:
    """Eight tickets with known filter values; 3 and 4 share created_at (a tie)."""
    rows: list[dict[str, Any]] = [
        dict(status=1, ticket_type=1, channel=9, guest=user("ou_g1", "张伟"), tags=["VPN"]),
        dict(
            status=2,
            ticket_type=2,
            channel=2,
            solve=1,
            guest=user("ou_g2", "Emily Chen"),
            agents=["ou_a1"],
            tags=["VPN", "Billing"],
        ),
        dict(
            status=50,
            ticket_type=1,
            channel=9,
            solve=2,
            score=3,
            guest=user("ou_g1", "张伟"),
            updated=T0 + 10_000_000,
        ),
        dict(
            status=51,
            ticket_type=2,
            channel=14,
            solve=2,
            score=1,
            guest=user("ou_g3", "emily stone"),
            agents=["ou_a1", "ou_a2"],
            closed_by="ou_a2",
            tags=["账号问题"],
        ),
        dict(
            status=52,
            ticket_type=2,
            channel=13,
            solve=1,
            score=2,
            guest=user("ou_g2", "Emily Chen"),
            agents=["ou_a2"],
            closed_by="ou_g2",
        ),
        dict(
            status=3, ticket_type=2, channel=0, guest=user("ou_g4", "Wang Fang"), agents=["ou_a3"]
        ),
        dict(
            status=4, ticket_type=2, channel=9, guest=user("ou_g4", "Wang Fang"), tags=["Billing"]
        ),
        dict(status=5, ticket_type=1, channel=2, guest=user("ou_g5", "李娜")),
    ]
    created = [T0, T0 + 1000, T0 + 2000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000, T0 + 6000]
    tickets = []
    for i, (row, at) in enumerate(zip(rows, created, strict=True)):
        tickets.append(
            Ticket(
                ticket_id=str(7_000_000_000_000_000_000 + i),
                created_at=at,
                updated_at=row.get("updated", at + 60_000),
                status=row["status"],
                ticket_type=row["ticket_type"],
                channel=row["channel"],
                solve=row.get("solve"),
                score=row.get("score"),
                guest=row["guest"],
                agents=[user(a) for a in row.get("agents", [])] or None,
                closed_by=user(row["closed_by"]) if "closed_by" in row else None,
                agent_entry_time=at + 5000 if row.get("agents") else None,
                closed_at=at + 50_000 if row["status"] >= 50 else None,
                tags=[TicketTag(id=str(hash(t) % 1000), name=t) for t in row.get("tags", [])]
                or None,
                comments=Comments(content="note", id=1, user_id=7262656095919128578)
                if i == 0
                else None,
            )
        )
    return tickets


@pytest.fixture
def seeded(store: SQLiteStore, identity: Identity) -> Identity:
    HelpdeskService(store).put_tickets(identity.helpdesk_id, sample_tickets())
    return identity


@pytest.fixture
def headers(client: TestClient, seeded: Identity) -> dict[str, str]:
    return auth_headers(client, seeded)


def ids(client: TestClient, headers: dict[str, str], query: str = "") -> list[int]:
    response = client.get(f"{LIST_PATH}?{query}", headers=headers)
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0, body
    return [int(t["ticket_id"]) - 7_000_000_000_000_000_000 for t in body["data"]["tickets"]]


def assert_error(response: Any, status: int, code: int, *words: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    assert body["error"]["log_id"] == response.headers["x-tt-logid"]
    assert "Traceback" not in response.text
    for word in words:
        assert word in body["msg"]
    return body


# -- tokens -----------------------------------------------------------------------


def test_tenant_token_shape_and_expiry(client: TestClient, identity: Identity) -> None:
    tokens = set()
    for path in (TOKEN_PATH, TOKEN_PATH + "/"):
        body = client.post(
            path, json={"app_id": identity.app_id, "app_secret": identity.app_secret}
        ).json()
        assert set(body) == {"code", "msg", "tenant_access_token", "expire"}
        assert (body["code"], body["msg"]) == (0, "ok")
        assert 7190 <= body["expire"] <= 7200  # the seconds the token has left
        assert body["tenant_access_token"].startswith("t-")
        tokens.add(body["tenant_access_token"])
    assert len(tokens) == 1  # the same token while it has more than 30 minutes left


def test_app_token_endpoint(client: TestClient, identity: Identity) -> None:
    response = client.post(
        "/open-apis/auth/v3/app_access_token/internal",
        json={"app_id": identity.app_id, "app_secret": identity.app_secret},
    )
    body = response.json()
    assert body["code"] == 0 and 7190 <= body["expire"] <= 7200 and body["app_access_token"]


@pytest.mark.parametrize(
    ("payload", "code", "msg"),
    [
        ({"app_id": "cli_0000000000000000", "app_secret": "x" * 32}, 10003, "invalid param"),
        ({"app_secret": "x"}, 10003, "invalid param"),
        ({"app_id": 5, "app_secret": "x"}, 10003, "invalid param"),
        ("not json", 10003, "invalid param"),
        ([1, 2], 10003, "invalid param"),
    ],
)
def test_token_failures_are_http_200_with_feishu_codes(
    client: TestClient, payload: Any, code: int, msg: str
) -> None:
    if isinstance(payload, str):
        response = client.post(TOKEN_PATH, content=payload)
    else:
        response = client.post(TOKEN_PATH, json=payload)
    assert response.status_code == 200
    assert response.json() == {"code": code, "msg": msg}


def test_wrong_secret_is_10014(client: TestClient, identity: Identity) -> None:
    response = client.post(TOKEN_PATH, json={"app_id": identity.app_id, "app_secret": "y" * 32})
    assert (response.status_code, response.json()) == (
        200,
        {"code": 10014, "msg": "app secret invalid"},
    )


def test_a_repeated_token_request_answers_a_working_token(
    client: TestClient, seeded: Identity
) -> None:
    # A new token not invalidating the old is tests/test_tokens.py's (it needs a clock).
    first, second = fetch_token(client, seeded), fetch_token(client, seeded)
    assert first == second
    for token in (first, second):
        response = client.get(
            LIST_PATH,
            headers={
                "Authorization": f"Bearer {token}",
                "X-Lark-Helpdesk-Authorization": seeded.helpdesk_header,
            },
        )
        assert response.json()["code"] == 0


def test_secrets_are_stored_hashed(store: SQLiteStore, identity: Identity) -> None:
    content = raw_content(store)
    assert identity.app_secret.encode() not in content
    assert identity.helpdesk_token.encode() not in content


# -- gateway errors ---------------------------------------------------------------


def test_missing_or_malformed_authorization(client: TestClient, seeded: Identity) -> None:
    hd = {"X-Lark-Helpdesk-Authorization": seeded.helpdesk_header}
    assert_error(client.get(LIST_PATH, headers=hd), 400, 99991661, "Missing access token")
    assert_error(client.get(LIST_PATH, headers={**hd, "Authorization": "Basic abc"}), 400, 99991661)
    assert_error(client.get(LIST_PATH, headers={**hd, "Authorization": "Bearer "}), 400, 99991661)


def test_unknown_and_expired_tokens(
    client: TestClient, store: SQLiteStore, seeded: Identity
) -> None:
    hd = {"X-Lark-Helpdesk-Authorization": seeded.helpdesk_header}
    response = client.get(LIST_PATH, headers={**hd, "Authorization": "Bearer t-nope"})
    assert_error(response, 400, 99991663, "Invalid access token")
    expired = "t-" + "e" * 40
    store.save_token(
        IssuedToken(hash_secret(expired), seeded.app_id, "tenant", int(time.time() * 1000) - 1)
    )
    response = client.get(LIST_PATH, headers={**hd, "Authorization": f"Bearer {expired}"})
    assert_error(response, 400, 99991663)


def test_scopes(client: TestClient, store: SQLiteStore, seeded: Identity) -> None:
    other = provision(
        store, "no-scope", scopes=("contact:user.base:readonly",), tenant_key=seeded.tenant_key
    )
    response = client.get(
        LIST_PATH,
        headers={
            "Authorization": f"Bearer {fetch_token(client, other)}",
            "X-Lark-Helpdesk-Authorization": seeded.helpdesk_header,
        },
    )
    assert_error(response, 400, 99991672, "helpdesk:all:readonly", "helpdesk:all")
    reader = provision(
        store, "reader", scopes=("helpdesk:all:readonly",), tenant_key=seeded.tenant_key
    )
    response = client.get(
        LIST_PATH,
        headers={
            "Authorization": f"Bearer {fetch_token(client, reader)}",
            "X-Lark-Helpdesk-Authorization": seeded.helpdesk_header,
        },
    )
    assert response.json()["data"]["total"] == 8


@pytest.mark.parametrize(
    "helpdesk_header",
    [
        None,
        "",
        "!!!not base64!!!",
        "bm9jb2xvbg==",  # "nocolon"
        "OnRva2Vu",
    ],  # ":token"
)
def test_garbled_helpdesk_header_is_401(
    client: TestClient, seeded: Identity, helpdesk_header: str | None
) -> None:
    headers = {"Authorization": f"Bearer {fetch_token(client, seeded)}"}
    if helpdesk_header is not None:
        headers["X-Lark-Helpdesk-Authorization"] = helpdesk_header
    assert_error(client.get(LIST_PATH, headers=headers), 401, 154001, "Unauthorized")


def test_wrong_helpdesk_token_or_foreign_tenant_is_401(
    client: TestClient, store: SQLiteStore, seeded: Identity
) -> None:
    token = fetch_token(client, seeded)
    wrong = encode_helpdesk_header(seeded.helpdesk_id, "ht-wrong")
    response = client.get(
        LIST_PATH,
        headers={"Authorization": f"Bearer {token}", "X-Lark-Helpdesk-Authorization": wrong},
    )
    assert_error(response, 401, 154001)
    stranger = provision(store, "stranger")  # another tenant
    response = client.get(
        LIST_PATH,
        headers={
            "Authorization": f"Bearer {fetch_token(client, stranger)}",
            "X-Lark-Helpdesk-Authorization": seeded.helpdesk_header,
        },
    )
    assert_error(response, 401, 154001)


def test_node_sdk_bearer_form_of_the_helpdesk_header(client: TestClient, seeded: Identity) -> None:
    response = client.get(
        LIST_PATH,
        headers={
            "Authorization": f"Bearer {fetch_token(client, seeded)}",
            "X-Lark-Helpdesk-Authorization": f"Bearer {seeded.helpdesk_header}",
        },
    )
    assert response.json()["data"]["total"] == 8


def test_helpdesks_are_isolated(client: TestClient, store: SQLiteStore, seeded: Identity) -> None:
    sibling = provision(store, "sibling", tenant_key=seeded.tenant_key)
    HelpdeskService(store).put_tickets(sibling.helpdesk_id, [Ticket(ticket_id="42", created_at=T0)])
    body = client.get(LIST_PATH, headers=auth_headers(client, sibling)).json()
    assert body["data"]["total"] == 1 and body["data"]["tickets"][0]["ticket_id"] == "42"
    seen = ids(client, auth_headers(client, seeded), "page_size=200")
    assert len(seen) == 8


def test_unknown_paths_and_methods_are_plain_404(
    client: TestClient, headers: dict[str, str]
) -> None:
    for response in (
        client.get("/open-apis/helpdesk/v1/nothing", headers=headers),
        client.delete(LIST_PATH, headers=headers),
        client.get(TOKEN_PATH),
    ):
        assert response.status_code == 404 and response.text == "404 page not found"
        assert response.headers["x-tt-logid"]


def test_internal_errors_are_155000_without_details(store: SQLiteStore, seeded: Identity) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("secret internals")

    with make_client(store) as client:
        headers = auth_headers(client, seeded)
        store.list_tickets = explode  # type: ignore[assignment,method-assign]
        body = assert_error(client.get(LIST_PATH, headers=headers), 500, 155000)
        assert "secret internals" not in str(body)


def test_rate_limit_is_on_by_default(store: SQLiteStore, seeded: Identity) -> None:
    # The limiter's clock frozen: on a loaded box a second could pass between the calls.
    with mock.patch("time.monotonic", return_value=1_000.0):
        frozen = make_client(store, rate_limit="feishu")
    with frozen as client:
        headers = auth_headers(client, seeded)
        statuses = [client.get(LIST_PATH, headers=headers).status_code for _ in range(60)]
        assert statuses.count(200) == 50 and statuses[-1] == 429
        response = client.get(LIST_PATH, headers=headers)
        assert_error(response, 429, 99991400, "frequency limit")
        assert response.headers["x-ogw-ratelimit-limit"] == "50"
        assert int(response.headers["x-ogw-ratelimit-reset"]) >= 1


# -- the list itself --------------------------------------------------------------


def test_order_is_newest_first_ties_by_ticket_id_desc(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert ids(client, headers) == [7, 6, 5, 4, 3, 2, 1, 0]


def test_pages_are_stable_and_complete(client: TestClient, headers: dict[str, str]) -> None:
    pages = [ids(client, headers, f"page={p}&page_size=3") for p in (1, 2, 3)]
    assert pages == [[7, 6, 5], [4, 3, 2], [1, 0]]
    body = client.get(f"{LIST_PATH}?page=4&page_size=3", headers=headers).json()
    assert body["data"] == {"total": 8, "tickets": []}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ticket_id=7000000000000000004", [4]),
        ("ticket_id=404", []),
        ("agent_id=ou_a1", [3, 1]),
        ("agent_id=ou_a2", [4, 3]),
        ("closed_by_id=ou_a2", [3]),
        ("type=1", [7, 2, 0]),
        ("type=2", [6, 5, 4, 3, 1]),
        ("channel=9", [6, 2, 0]),
        ("channel=0", [5]),
        ("solved=2", [3, 2]),
        ("solved=1", [4, 1]),
        ("score=1", [3]),
        ("status_list=50&status_list=51&status_list=52", [4, 3, 2]),
        ("status_list=1,5", [7, 0]),
        ("guest_name=emily", [4, 3, 1]),
        ("guest_name=EMILY%20C", [4, 1]),
        ("guest_name=张", [2, 0]),
        ("guest_id=ou_g4", [6, 5]),
        ("tags=VPN", [1, 0]),
        ("tags=VPN&tags=账号问题", [3, 1, 0]),
        ("tags[]=Billing", [6, 1]),
        ("tags=nothing", []),
        (f"create_time_start={T0 + 1000}&create_time_end={T0 + 3000}", [4, 3, 2, 1]),
        (f"create_time_start={T0 + 2000}&create_time_end={T0 + 2000}", [3, 2]),
        (f"update_time_start={T0 + 10_000_000}&update_time_end={T0 + 10_000_000}", [2]),
        ("type=2&channel=9", [6]),
        ("agent_id=ou_a1&status_list=51", [3]),
        ("guest_name=emily&solved=1&tags=VPN", [1]),
    ],
)
def test_filters(
    client: TestClient, headers: dict[str, str], query: str, expected: list[int]
) -> None:
    assert ids(client, headers, query) == expected
    body = client.get(f"{LIST_PATH}?{query}&page_size=1", headers=headers).json()
    assert body["data"]["total"] == len(expected)


def test_ticket_fields_and_types(client: TestClient, headers: dict[str, str]) -> None:
    tickets = client.get(f"{LIST_PATH}?page_size=200", headers=headers).json()["data"]["tickets"]
    first = next(t for t in tickets if t["ticket_id"].endswith("0"))
    assert first["comments"]["user_id"] == 7262656095919128578
    assert first["tags"] == [{"id": first["tags"][0]["id"], "name": "VPN"}]
    assert "closed_at" not in first and "agents" not in first  # absent, not null
    closed = next(t for t in tickets if t["status"] == 51)
    assert closed["agent_resolution_time"] == 45 and closed["actual_processing_time"] == 45
    assert closed["bot_service_duration"] == 5
    for ticket in tickets:
        assert isinstance(ticket["ticket_id"], str) and isinstance(ticket["helpdesk_id"], str)
        assert isinstance(ticket["created_at"], int) and isinstance(ticket["updated_at"], int)
        assert None not in ticket.values()


def test_bad_query_is_400_154000_naming_the_parameter(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert_error(
        client.get(f"{LIST_PATH}?page_size=500", headers=headers), 400, 154000, "page_size"
    )
    assert_error(
        client.get(f"{LIST_PATH}?page=51&page_size=200", headers=headers), 400, 154000, "narrow"
    )
    assert_error(
        client.get(f"{LIST_PATH}?create_time_start=1", headers=headers),
        400,
        154000,
        "create_time_end",
    )


def test_garbage_query_strings_never_give_a_500(
    client: TestClient, headers: dict[str, str]
) -> None:
    import random

    rng = random.Random(5)
    names = [
        "page",
        "page_size",
        "type",
        "status_list",
        "status_list[]",
        "tags",
        "guest_name",
        "create_time_start",
        "create_time_end",
        "channel",
        "score",
        "ticket_id",
        "x",
    ]
    alphabet = [
        "1",
        "0",
        "-",
        "+",
        ",",
        "%00",
        "%ff",
        "%e4%b8%ad",
        "9" * 25,
        "a",
        " ",
        "[]",
        "&",
        "=",
    ]
    for _ in range(300):
        query = "&".join(
            f"{rng.choice(names)}={''.join(rng.choices(alphabet, k=rng.randint(0, 4)))}"
            for _ in range(rng.randint(1, 4))
        )
        response = client.get(f"{LIST_PATH}?{query}", headers=headers)
        assert response.status_code in (200, 400), (query, response.text)
        assert response.json()["code"] in (0, 154000), query
