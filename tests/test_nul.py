"""A NUL character anywhere a key arrives (helpdesk header, path, token body) gets
Feishu's answer on both stores, never a 500 (PostgreSQL text cannot hold NUL)."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from larkdesk.helpdesk.tickets.service import HelpdeskService
from larkdesk.store.base import Store

from .conftest import TOKEN_PATH, Identity, fetch_token
from .seeded import seed_tickets

TICKETS = "/open-apis/helpdesk/v1/tickets"
FIELDS = "/open-apis/helpdesk/v1/ticket_customized_fields"
HELPDESK_APIS = [
    ("GET", TICKETS, None),
    ("GET", f"{TICKETS}/7", None),
    ("PUT", f"{TICKETS}/7", {"status": 50}),
    ("POST", "/open-apis/helpdesk/v1/start_service", {"open_id": "ou_x"}),
    ("GET", FIELDS, None),
    ("POST", FIELDS, {"key_name": "k", "display_name": "K", "field_type": "text"}),
    ("GET", f"{FIELDS}/7", None),
    ("PATCH", f"{FIELDS}/7", {"display_name": "K"}),
    ("DELETE", f"{FIELDS}/7", None),
]


def _header(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("method", "path", "body"), HELPDESK_APIS)
@pytest.mark.parametrize("where", ["id", "token"])
def test_a_nul_in_the_helpdesk_header_is_154001(
    client: TestClient, identity: Identity, method: str, path: str, body: object, where: str
) -> None:
    text = (
        f"{identity.helpdesk_id}\x00:{identity.helpdesk_token}"
        if where == "id"
        else f"{identity.helpdesk_id}:{identity.helpdesk_token}\x00"
    )
    headers = {
        "Authorization": f"Bearer {fetch_token(client, identity)}",
        "X-Lark-Helpdesk-Authorization": _header(text),
    }
    response = client.request(method, path, json=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, 154001), response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", f"{FIELDS}/7%00", None),
        ("GET", f"{FIELDS}/7%00", None),
        ("PATCH", f"{FIELDS}/7%00", {"display_name": "K"}),
        ("GET", f"{TICKETS}/7%00", None),
        ("PUT", f"{TICKETS}/7%00", {"status": 50}),
        ("GET", f"{TICKETS}?guest_id=a%00", None),
        ("GET", f"{TICKETS}?ticket_id=7%00", None),
    ],
)
def test_a_nul_in_a_path_or_query_is_not_found_or_bad_request(
    client: TestClient, identity: Identity, method: str, path: str, body: object
) -> None:
    headers = {
        "Authorization": f"Bearer {fetch_token(client, identity)}",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }
    response = client.request(method, path, json=body, headers=headers)
    answer = (response.status_code, response.json()["code"])
    assert answer in {(404, 154004), (400, 154000), (200, 0)}, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"app_id": "cli_\u0000", "app_secret": "x"},
        {"app_id": "cli_\u0000"},
        {"app_id": "\u0000", "app_secret": "\u0000"},
    ],
)
def test_a_nul_in_a_token_request_is_10003(client: TestClient, body: dict[str, str]) -> None:
    response = client.post(TOKEN_PATH, json=body)
    assert (response.status_code, response.json()) == (200, {"code": 10003, "msg": "invalid param"})


def test_a_nul_in_the_secret_of_a_real_app_is_10014(client: TestClient, identity: Identity) -> None:
    response = client.post(TOKEN_PATH, json={"app_id": identity.app_id, "app_secret": "\u0000"})
    assert response.json() == {"code": 10014, "msg": "app secret invalid"}


def test_a_nul_in_the_bearer_token_is_99991663(client: TestClient, identity: Identity) -> None:
    headers = {
        "Authorization": "Bearer t-\u0000",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }
    response = client.get(TICKETS, headers=headers)
    assert (response.status_code, response.json()["code"]) == (400, 99991663)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", f"{TICKETS}/{{id}}", {"tag_names": ["vip\u0000"]}),
        ("PUT", f"{TICKETS}/{{id}}", {"comment": "hi\u0000"}),
        ("PUT", f"{TICKETS}/{{id}}", {"customized_fields": [{"id": "1\u0000", "value": "v"}]}),
        ("POST", "/open-apis/helpdesk/v1/start_service", {"open_id": "ou_\u0000"}),
        (
            "POST",
            "/open-apis/helpdesk/v1/start_service",
            {"open_id": "ou_x", "customized_info": "\u0000"},
        ),
        ("POST", FIELDS, {"key_name": "k\u0000", "display_name": "K", "field_type": "text"}),
        ("POST", FIELDS, {"key_name": "k", "display_name": "K\u0000", "field_type": "text"}),
    ],
)
def test_a_nul_in_a_write_body_is_never_a_500(
    client: TestClient, store: Store, identity: Identity, method: str, path: str, body: object
) -> None:
    ticket = seed_tickets()[0]
    HelpdeskService(store).put_tickets(identity.helpdesk_id, [ticket])
    headers = {
        "Authorization": f"Bearer {fetch_token(client, identity)}",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }
    response = client.request(method, path.format(id=ticket.ticket_id), json=body, headers=headers)
    assert response.status_code < 500, response.text
