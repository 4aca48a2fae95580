"""Bad request bodies are a JSON 400 (154000) or, on the token endpoints, 10003; never a
500: deep nesting, invalid UTF-8, Unicode digits in a custom field's position."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from larkdesk.server.jsonbody import MAX_DEPTH, MalformedBody, decode_json, nesting_depth_exceeds

from .backends import open_backend
from .conftest import TOKEN_PATH, Identity, auth_headers, make_client, provision

TICKET_PATH = "/open-apis/helpdesk/v1/tickets/7000000000000000001"
START_PATH = "/open-apis/helpdesk/v1/start_service"
FIELDS_PATH = "/open-apis/helpdesk/v1/ticket_customized_fields"
ONE_FIELD_PATH = FIELDS_PATH + "/7000000000000000002"
APP_TOKEN_PATH = "/open-apis/auth/v3/app_access_token/internal"

DEEP = b"[" * 1000 + b"]" * 1000
BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("deep array", DEEP, "nested deeper"),
    ("deep under an unknown key", b'{"unknown": ' + DEEP + b"}", "nested deeper"),
    ("deep objects", b'{"a":' * 1000 + b"1" + b"}" * 1000, "nested deeper"),
    ("unclosed arrays", b'{"x": ' + b"[" * 60_000, "not valid JSON"),
    ("invalid UTF-8 in a string", b'{"comment":"\xff"}', "invalid UTF-8"),
    ("invalid UTF-8 under an unknown key", b'{"unknown":"\xff"}', "invalid UTF-8"),
    ("a lone surrogate", b'{"comment":"\xed\xa0\x80"}', "invalid UTF-8"),
]
ENDPOINTS = [
    ("PUT", TICKET_PATH),
    ("POST", START_PATH),
    ("POST", FIELDS_PATH),
    ("PATCH", ONE_FIELD_PATH),
    ("GET", FIELDS_PATH),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Identity]]:
    """The app in-process on SQLite: how a body is read does not depend on the store."""
    with open_backend("sqlite", Path(tmp_path_factory.mktemp("bodies"))) as store:
        identity = provision(store)  # type: ignore[arg-type]
        with make_client(store) as client:  # type: ignore[arg-type]
            yield client, identity


@pytest.fixture(scope="module")
def headers(served: tuple[TestClient, Identity]) -> dict[str, str]:
    return {**auth_headers(*served), "Content-Type": "application/json"}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(("case", "raw", "words"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_malformed_body_is_a_json_400_naming_the_problem(
    served: tuple[TestClient, Identity],
    headers: dict[str, str],
    method: str,
    path: str,
    case: str,
    raw: bytes,
    words: str,
) -> None:
    response = served[0].request(method, path, content=raw, headers=headers)
    body = response.json()
    assert (response.status_code, body["code"]) == (400, 154000), body
    assert words in body["msg"], body["msg"]
    assert body["error"]["log_id"] == response.headers["X-Tt-Logid"]


@pytest.mark.parametrize("path", [TOKEN_PATH, APP_TOKEN_PATH])
@pytest.mark.parametrize(("case", "raw", "words"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_malformed_token_request_is_invalid_param_with_http_200(
    served: tuple[TestClient, Identity], path: str, case: str, raw: bytes, words: str
) -> None:
    response = served[0].post(path, content=raw)
    assert response.status_code == 200
    assert response.json() == {"code": 10003, "msg": "invalid param"}


@pytest.mark.parametrize("position", ["²", "①", "١٢", "１"])
def test_a_position_of_unicode_digits_is_refused(
    served: tuple[TestClient, Identity], headers: dict[str, str], position: str
) -> None:
    client = served[0]
    field = {"key_name": "k_" + str(ord(position[0])), "display_name": "K", "field_type": "text"}
    created = client.post(FIELDS_PATH, json={**field, "position": position}, headers=headers)
    assert (created.status_code, created.json()["code"]) == (400, 154000), created.text
    assert "position" in created.json()["msg"]
    made = client.post(FIELDS_PATH, json=field, headers=headers).json()["data"]
    path = f"{FIELDS_PATH}/{made['ticket_customized_field_id']}"
    patched = client.patch(path, json={"position": position}, headers=headers)
    assert (patched.status_code, patched.json()["code"]) == (400, 154000), patched.text
    listed = client.get(FIELDS_PATH, headers=headers)
    assert listed.status_code == 200 and listed.json()["code"] == 0


def test_nesting_up_to_the_limit_is_accepted_and_strings_do_not_count() -> None:
    inside = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert decode_json(inside) is not None
    assert not nesting_depth_exceeds(b'{"a": "' + b"[" * 5000 + b'\\"{"}')
    with pytest.raises(MalformedBody, match="nested deeper"):
        decode_json(b"[" + inside + b"]")


def test_a_body_of_escaped_quotes_is_checked_in_linear_time() -> None:
    # A string regex that retried from every quote would take minutes on this.
    assert not nesting_depth_exceeds(b'"\\"' * 300_000)
