"""Defining custom fields over the wire (`POST/GET/PATCH/DELETE .../ticket_customized_fields`):
served on each store (in-process; `--live`: `larkdesk serve`), driven with httpx and with
lark-oapi unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.demo import CUSTOMIZED_FIELDS
from larkdesk.helpdesk.fields.bodies import FieldBody, TicketCustomizedField, encode_definition
from larkdesk.helpdesk.fields.service import FieldDefinitions
from larkdesk.store.base import CustomizedFieldRecord, Store

from .backends import BACKEND_NAMES
from .conftest import LIST_PATH, TOKEN_PATH, auth_headers, larkdesk, make_client, provision
from .served import served_demo
from .test_lifecycle import assert_bad_request
from .wire import Wire

FIELDS_PATH = "/open-apis/helpdesk/v1/ticket_customized_fields"


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Wire, dict[str, str]]]:
    """A small demo on each backend, served."""
    with served_demo(request.param, tmp_path_factory.mktemp("fields"), 30, (11, 12)) as served:
        yield served


@pytest.fixture(scope="module")
def creds_of(server: tuple[Wire, dict[str, str]]) -> dict[str, str]:
    return server[1]


def client_for(wire: Wire, app: dict[str, str], desk: dict[str, str]) -> httpx.Client:
    with wire.client() as client:
        secret = {"app_id": app["app_id"], "app_secret": app["app_secret"]}
        body = client.post(TOKEN_PATH, json=secret)
    assert body.json()["code"] == 0, body.text
    header = encode_helpdesk_header(desk["helpdesk_id"], desk["helpdesk_token"])
    token = body.json()["tenant_access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Lark-Helpdesk-Authorization": header}
    return wire.client(headers=headers, timeout=30)


@pytest.fixture(scope="module")
def api(server: tuple[Wire, dict[str, str]]) -> Iterator[httpx.Client]:
    live, creds = server
    with client_for(live, creds, creds) as client:
        yield client


@pytest.fixture(scope="module")
def other_desk(server: tuple[Wire, dict[str, str]]) -> dict[str, str]:
    """A second helpdesk of the demo's tenant, reachable by the same app."""
    live, creds = server
    made = larkdesk("helpdesk", "create", "--app", creds["app_id"], "--name", "HR", db=live.db)
    return dict(json.loads(made.stdout))


def listed(api: httpx.Client) -> list[dict[str, Any]]:
    body = api.get(FIELDS_PATH, params={"page_size": 100}).json()
    assert body["code"] == 0, body
    return list(body["data"]["items"])


def created(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post(FIELDS_PATH, json=body)
    assert response.status_code == 200 and response.json()["code"] == 0, response.text
    return dict(response.json()["data"])


def a_ticket(api: httpx.Client, skip: int) -> str:
    tickets = api.get(LIST_PATH, params={"page_size": 50}).json()["data"]["tickets"]
    return str(tickets[skip]["ticket_id"])


def set_value(api: httpx.Client, ticket_id: str, field_id: str, value: str) -> httpx.Response:
    body = {"customized_fields": [{"id": field_id, "value": value}]}
    return api.put(f"{LIST_PATH}/{ticket_id}", json=body)


def shown(api: httpx.Client, ticket_id: str) -> dict[str, str]:
    ticket = api.get(f"{LIST_PATH}/{ticket_id}").json()["data"]["ticket"]
    return {f["key_name"]: f["value"] for f in ticket.get("customized_fields", ())}


def test_a_field_is_created_read_changed_set_and_deleted(
    api: httpx.Client, creds_of: dict[str, str]
) -> None:
    made = created(
        api,
        key_name="region",
        display_name="Region",
        field_type="dropdown",
        description="where the guest is",
        dropdown_options={"children": [{"display_name": "East"}, {"display_name": "North"}]},
    )
    fid = made["ticket_customized_field_id"]
    assert len(fid) == 19 and made["helpdesk_id"] == creds_of["helpdesk_id"]
    assert (made["visible"], made["editable"], made["required"]) == (True, True, False)
    assert int(made["position"]) == len(CUSTOMIZED_FIELDS) + 1  # after the demo's two
    one = api.get(f"{FIELDS_PATH}/{fid}").json()
    assert one["code"] == 0 and one["data"] == made and listed(api)[-1] == made
    tid = a_ticket(api, 0)
    assert set_value(api, tid, fid, "North").json()["code"] == 0
    assert shown(api, tid)["region"] == "North"

    changes = {
        "display_name": "Area",
        "position": "1",
        "required": True,
        "editable": True,
        "visible": True,
        "description": "moved first",
        "dropdown_options": {"children": [{"display_name": "East"}, {"display_name": "West"}]},
    }
    patched = api.patch(f"{FIELDS_PATH}/{fid}", json=changes)
    assert patched.json() == {"code": 0, "msg": "success", "data": {}}
    after = api.get(f"{FIELDS_PATH}/{fid}").json()["data"]
    assert {k: after[k] for k in changes if k != "dropdown_options"} == {
        k: v for k, v in changes.items() if k != "dropdown_options"
    }
    options = after["dropdown_options"]["children"]
    assert [o["display_name"] for o in options] == ["East", "West"]
    assert options[0]["tag"] == made["dropdown_options"]["children"][0]["tag"]  # kept
    assert int(after["updated_at"]) > int(made["updated_at"])
    assert after["created_at"] == made["created_at"] and after["key_name"] == "region"
    order = [f["ticket_customized_field_id"] for f in listed(api)]
    assert order.index(fid) < order.index(CUSTOMIZED_FIELDS[1].id)  # now before position 2
    assert shown(api, tid)["region"] == "North"  # a removed option stays on the ticket
    assert_bad_request(set_value(api, tid, fid, "North"), "North", "region")

    assert api.delete(f"{FIELDS_PATH}/{fid}").json() == {"code": 0, "msg": "success", "data": {}}
    gone = api.get(f"{FIELDS_PATH}/{fid}")
    assert (gone.status_code, gone.json()["code"]) == (404, 154004) and fid in gone.json()["msg"]
    again = api.delete(f"{FIELDS_PATH}/{fid}")
    assert (again.status_code, again.json()["code"]) == (404, 154004)
    assert fid not in {f["ticket_customized_field_id"] for f in listed(api)}
    assert shown(api, tid)["region"] == "North"  # the ticket keeps the deleted field's value
    assert_bad_request(set_value(api, tid, fid, "East"), "customized_fields[0].id", fid)
    assert set_value(api, tid, fid, "").json()["code"] == 0 and "region" not in shown(api, tid)
    recreated = created(api, key_name="region", display_name="Region again", field_type="text")
    assert recreated["ticket_customized_field_id"] != fid  # the key name is free again
    api.delete(f"{FIELDS_PATH}/{recreated['ticket_customized_field_id']}")


def test_helpdesks_see_only_their_own_fields(
    api: httpx.Client, server: tuple[Wire, dict[str, str]], other_desk: dict[str, str]
) -> None:
    live, creds = server
    ours = created(api, key_name="ours", display_name="Ours", field_type="text")
    fid = ours["ticket_customized_field_id"]
    with client_for(live, creds, other_desk) as theirs:
        assert listed(theirs) == []
        for response in (
            theirs.get(f"{FIELDS_PATH}/{fid}"),
            theirs.patch(f"{FIELDS_PATH}/{fid}", json={"display_name": "stolen"}),
            theirs.delete(f"{FIELDS_PATH}/{fid}"),
        ):
            assert (response.status_code, response.json()["code"]) == (404, 154004)
            assert "Ours" not in response.text
        same_key = created(theirs, key_name="ours", display_name="Theirs", field_type="text")
        assert same_key["helpdesk_id"] == other_desk["helpdesk_id"]
        assert listed(theirs) == [same_key]
        # a ticket of the demo helpdesk cannot take the other helpdesk's field
        tid = a_ticket(api, 1)
        foreign = [{"id": same_key["ticket_customized_field_id"], "value": "x"}]
        assert_bad_request(api.put(f"{LIST_PATH}/{tid}", json={"customized_fields": foreign}))
        forged = theirs.post(
            FIELDS_PATH,
            json={"helpdesk_id": creds["helpdesk_id"], "key_name": "k", "display_name": "k",
                  "field_type": "text"},
        )  # fmt: skip
        assert_bad_request(forged, "helpdesk_id")
    assert api.get(f"{FIELDS_PATH}/{fid}").json()["data"] == ours  # unchanged
    api.delete(f"{FIELDS_PATH}/{fid}")


GOOD = {"key_name": "k1", "display_name": "K1", "field_type": "text"}
DROPDOWN = {**GOOD, "field_type": "dropdown"}
BAD_CREATES: list[tuple[bytes, tuple[str, ...]]] = [
    (b"", ("JSON object",)),
    (b"{not json", ("not valid JSON",)),
    (b"[1]", ("expected object",)),
    (json.dumps({**GOOD, "key_name": None}).encode(), ("key_name", "required")),
    (json.dumps({**GOOD, "display_name": "  "}).encode(), ("display_name", "blank")),
    (json.dumps({**GOOD, "field_type": None}).encode(), ("field_type", "required")),
    (json.dumps({**GOOD, "visible": "yes"}).encode(), ("visible", "expected bool")),
    (json.dumps({**GOOD, "position": 3}).encode(), ("position", "expected str")),
    (json.dumps({**GOOD, "position": "first"}).encode(), ("position",)),
    (json.dumps({**GOOD, "field_type": "checkbox"}).encode(), ("field_type", "checkbox")),
    (json.dumps(DROPDOWN).encode(), ("dropdown_options", "at least one option")),
    (json.dumps({**DROPDOWN, "dropdown_options": {"children": []}}).encode(), ("at least one",)),
    (
        json.dumps(
            {**DROPDOWN, "dropdown_options": {"children": [{"display_name": "a"}] * 2}}
        ).encode(),
        ("distinct",),
    ),
    (
        json.dumps({**GOOD, "dropdown_options": {"children": [{"display_name": "a"}]}}).encode(),
        ("only a dropdown",),
    ),
    (
        json.dumps({**DROPDOWN, "dropdown_options": {"children": [{"display_name": 1}]}}).encode(),
        ("dropdown_options.children[0].display_name", "expected str"),
    ),
    (
        json.dumps(
            {
                **DROPDOWN,
                "dropdown_allow_multiple": True,
                "dropdown_options": {"children": [{"display_name": "a"}]},
            }
        ).encode(),
        ("dropdown_allow_multiple",),
    ),
    (
        json.dumps({**GOOD, "key_name": CUSTOMIZED_FIELDS[0].key_name}).encode(),
        ("key_name", "already"),
    ),
    (json.dumps({**GOOD, "description": "x\u0000"}).encode(), ("description", "NUL")),
    (json.dumps({**GOOD, "description": "x" * 70_000}).encode(), ("description", "longer")),
    (json.dumps({**GOOD, "description": "x" * 1_100_000}).encode(), ("larger than 1048576",)),
]


@pytest.mark.parametrize(("raw", "words"), BAD_CREATES)
def test_a_bad_create_is_refused_and_adds_nothing(
    api: httpx.Client, raw: bytes, words: tuple[str, ...]
) -> None:
    before = listed(api)
    response = api.post(FIELDS_PATH, content=raw, headers={"Content-Type": "application/json"})
    assert_bad_request(response, *words)
    assert listed(api) == before


BAD_PATCHES: list[tuple[bytes, tuple[str, ...]]] = [
    (b"{}", ("nothing to change",)),
    (b"{oops", ("not valid JSON",)),
    (b'{"key_name": "renamed"}', ("key_name", "cannot be changed")),
    (b'{"field_type": "text"}', ("field_type", "cannot be changed")),
    (b'{"required": "true"}', ("required", "expected bool")),
    (b'{"position": "0"}', ("position",)),
    (b'{"display_name": ""}', ("display_name", "blank")),
    (b'{"dropdown_options": {"children": []}}', ("at least one option",)),
    (b'{"ticket_customized_field_id": "1", "display_name": "x"}', ("ticket_customized_field_id",)),
]


@pytest.mark.parametrize(("raw", "words"), BAD_PATCHES)
def test_a_bad_patch_is_refused_and_changes_nothing(
    api: httpx.Client, raw: bytes, words: tuple[str, ...]
) -> None:
    priority = CUSTOMIZED_FIELDS[1].id  # a dropdown of the demo
    before = api.get(f"{FIELDS_PATH}/{priority}").json()["data"]
    response = api.patch(
        f"{FIELDS_PATH}/{priority}", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_bad_request(response, *words)
    assert api.get(f"{FIELDS_PATH}/{priority}").json()["data"] == before


def test_options_belong_to_dropdowns_only(api: httpx.Client) -> None:
    note = created(api, key_name="note", display_name="Note", field_type="multiline")
    fid = note["ticket_customized_field_id"]
    options = {"dropdown_options": {"children": [{"display_name": "a"}]}}
    assert_bad_request(api.patch(f"{FIELDS_PATH}/{fid}", json=options), "only a dropdown")
    unknown = api.patch(f"{FIELDS_PATH}/1234567890123456789", json={"display_name": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, 154004)
    api.delete(f"{FIELDS_PATH}/{fid}")


def test_writes_need_the_write_scope(
    server: tuple[Wire, dict[str, str]], api: httpx.Client
) -> None:
    live, creds = server
    readonly = json.loads(
        larkdesk(
            "app", "create", "--name", "ro", "--tenant", creds["tenant_key"],
            "--scope", "helpdesk:all:readonly", db=live.db,
        ).stdout
    )  # fmt: skip
    fid = CUSTOMIZED_FIELDS[0].id
    with client_for(live, readonly, creds) as ro:
        assert ro.get(f"{FIELDS_PATH}/{fid}").json()["code"] == 0
        for response in (
            ro.post(FIELDS_PATH, json=GOOD),
            ro.patch(f"{FIELDS_PATH}/{fid}", json={"display_name": "x"}),
            ro.delete(f"{FIELDS_PATH}/{fid}"),
        ):
            assert (response.status_code, response.json()["code"]) == (400, 99991672)
            assert "[helpdesk:all]" in response.json()["msg"]
    assert api.get(f"{FIELDS_PATH}/{fid}").json()["code"] == 0


def test_fields_through_lark_oapi(api: httpx.Client, creds_of: dict[str, str]) -> None:
    import lark_oapi as lark
    from lark_oapi.api.helpdesk.v1 import (
        CreateTicketCustomizedFieldRequest,
        DeleteTicketCustomizedFieldRequest,
        GetTicketCustomizedFieldRequest,
        PatchTicketCustomizedFieldRequest,
        TicketCustomizedField,
    )

    base = str(api.base_url).rstrip("/")
    helpdesk = {"X-Lark-Helpdesk-Authorization": api.headers["X-Lark-Helpdesk-Authorization"]}
    client = (
        lark.Client.builder()
        .app_id(creds_of["app_id"])
        .app_secret(creds_of["app_secret"])
        .domain(base)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    option = lark.RequestOption.builder().headers(helpdesk).build()
    # create, patch and delete want a user token, which lark-oapi only sends from a client
    # with enable_set_token; larkdesk has no user login and takes a tenant token there
    token = api.headers["Authorization"].removeprefix("Bearer ")
    as_user = lark.RequestOption.builder().headers(helpdesk).user_access_token(token).build()
    user_client = (
        lark.Client.builder().enable_set_token(True).domain(base).log_level(lark.LogLevel.ERROR)
    ).build()
    field = (
        TicketCustomizedField.builder()
        .helpdesk_id(creds_of["helpdesk_id"])
        .key_name("order_no")
        .display_name("Order number")
        .position("9")
        .field_type("text")
        .description("the guest's order")
        .visible(True)
        .editable(True)
        .required(False)
        .build()
    )
    made = user_client.helpdesk.v1.ticket_customized_field.create(
        CreateTicketCustomizedFieldRequest.builder().request_body(field).build(), as_user
    )
    assert made.success(), made.msg
    fid = json.loads(made.raw.content)["data"]["ticket_customized_field_id"]
    got = client.helpdesk.v1.ticket_customized_field.get(
        GetTicketCustomizedFieldRequest.builder().ticket_customized_field_id(fid).build(), option
    )
    assert got.success(), got.msg
    assert (got.data.key_name, got.data.display_name, got.data.position) == (
        "order_no",
        "Order number",
        "9",
    )
    assert got.data.helpdesk_id == creds_of["helpdesk_id"] and got.data.visible is True
    patched = user_client.helpdesk.v1.ticket_customized_field.patch(
        PatchTicketCustomizedFieldRequest.builder()
        .ticket_customized_field_id(fid)
        .request_body(TicketCustomizedField.builder().display_name("Order").required(True).build())
        .build(),
        as_user,
    )
    assert patched.success(), patched.msg
    tid = a_ticket(api, 2)
    value = {"customized_fields": [{"id": fid, "value": "SO-42"}]}
    assert api.put(f"{LIST_PATH}/{tid}", json=value).json()["code"] == 0
    ticket = api.get(f"{LIST_PATH}/{tid}").json()["data"]["ticket"]
    mine = next(f for f in ticket["customized_fields"] if f["id"] == fid)
    assert (mine["display_name"], mine["value"], mine["required"]) == ("Order", "SO-42", True)
    deleted = user_client.helpdesk.v1.ticket_customized_field.delete(
        DeleteTicketCustomizedFieldRequest.builder().ticket_customized_field_id(fid).build(),
        as_user,
    )
    assert deleted.success(), deleted.msg
    missing = client.helpdesk.v1.ticket_customized_field.get(
        GetTicketCustomizedFieldRequest.builder().ticket_customized_field_id(fid).build(), option
    )
    assert missing.code == 154004 and not missing.success()
    refused = user_client.helpdesk.v1.ticket_customized_field.create(
        CreateTicketCustomizedFieldRequest.builder()
        .request_body(TicketCustomizedField.builder().key_name("x").field_type("text").build())
        .build(),
        as_user,
    )
    assert refused.code == 154000 and "display_name" in refused.msg


def _first_refusal(
    client: TestClient, url: str, headers: dict[str, str], most: int
) -> httpx.Response:
    for _ in range(most):
        answer = client.get(url, headers=headers)
        if answer.status_code == 429:
            return answer
    raise AssertionError(f"{most} requests and no 429")


def test_each_field_api_has_its_own_rate_limit(store: Store) -> None:
    identity = provision(store)
    with make_client(store, rate_limit="feishu") as client:
        headers = auth_headers(client, identity)
        made = client.post(FIELDS_PATH, headers=headers, json=GOOD).json()["data"]
        one = f"{FIELDS_PATH}/{made['ticket_customized_field_id']}"
        # 50 a second trips first; on a slow, loaded machine 1000 a minute does at the latest
        limited = _first_refusal(client, one, headers, 1001)
        assert limited.json()["code"] == 99991400
        assert limited.headers["x-ogw-ratelimit-limit"] in ("50", "1000")
        # the other field APIs count on their own, so they still pass at once
        assert client.patch(one, headers=headers, json={"display_name": "K"}).is_success
        assert client.get(FIELDS_PATH, headers=headers).is_success
        second = client.post(FIELDS_PATH, headers=headers, json={**GOOD, "key_name": "k2"})
        assert second.is_success
        assert client.delete(one, headers=headers).is_success


def test_a_synced_definition_with_a_loose_position_can_be_changed(store: Store) -> None:
    """`larkdesk sync` stores Feishu's definitions as they come: a position that is not
    digits (stored as 0) or no `updated_at` must not break a change."""
    helpdesk_id = provision(store).helpdesk_id
    loose = TicketCustomizedField("7", helpdesk_id, "k", "K", position="top", field_type="text")
    store.save_customized_fields(
        [CustomizedFieldRecord(helpdesk_id, "7", 0, encode_definition(loose))]
    )
    fields = FieldDefinitions(store, clock=lambda: 1_700_000_000_000)
    changed = fields.change(helpdesk_id, "7", FieldBody(display_name="Key"))
    assert (changed.display_name, changed.position, changed.updated_at) == (
        "Key",
        "top",
        "1700000000000",
    )
    assert [r.position for r in store.list_customized_fields(helpdesk_id)] == [0]


def test_a_user_token_is_the_fields_creator_and_updater(
    api: httpx.Client, server: tuple[Wire, dict[str, str]]
) -> None:
    """With a user access token a custom-field write records its user in `created_by` /
    `updated_by`; the tenant token leaves them as they were."""
    wire, creds = server
    added = larkdesk("user", "add", "--app", creds["app_id"], "--name", "Zhao Lei", db=wire.db)
    person = json.loads(added.stdout)
    granted = larkdesk(
        "user", "token", "--app", creds["app_id"], "--user", person["open_id"], db=wire.db
    )
    as_user = {"Authorization": f"Bearer {json.loads(granted.stdout)['user_access_token']}"}
    made = api.post(
        FIELDS_PATH,
        json={"key_name": "owner_team", "display_name": "Team", "field_type": "text"},
        headers=as_user,
    )
    assert made.json()["code"] == 0, made.text
    fid = made.json()["data"]["ticket_customized_field_id"]
    shown = api.get(f"{FIELDS_PATH}/{fid}").json()["data"]
    assert shown["created_by"]["id"] == shown["updated_by"]["id"] == person["open_id"]
    assert shown["created_by"]["name"] == "Zhao Lei"
    assert api.patch(f"{FIELDS_PATH}/{fid}", json={"display_name": "Owner"}).json()["code"] == 0
    assert api.get(f"{FIELDS_PATH}/{fid}").json()["data"]["updated_by"] == shown["updated_by"]
    api.delete(f"{FIELDS_PATH}/{fid}")
