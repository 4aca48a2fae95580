"""The ticket lifecycle over the wire, served on each store (in-process; `--live`: a real
`larkdesk serve`), driven with httpx and the command line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.demo import CUSTOMIZED_FIELDS
from larkdesk.helpdesk.models import Ticket, TicketTag, to_record
from larkdesk.helpdesk.tickets.bodies import UpdateTicketBody
from larkdesk.helpdesk.tickets.lifecycle import TicketLifecycle
from larkdesk.store import open_store
from larkdesk.store.base import Store, User

from .backends import BACKEND_NAMES, postgres_schema, redis_url
from .conftest import (
    LIST_PATH,
    TOKEN_PATH,
    auth_headers,
    larkdesk,
    make_client,
    provision,
    start_server,
    stop_server,
)
from .wire import Wire, serve

START_PATH = "/open-apis/helpdesk/v1/start_service"
FIELDS_PATH = "/open-apis/helpdesk/v1/ticket_customized_fields"
PRIORITY = CUSTOMIZED_FIELDS[1]


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """A demo on each backend; seeds of their own (lark-oapi caches tokens by app_id)."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("lifecycle") / "larkdesk.db"
        out = larkdesk("demo", "--tickets", "300", "--seed", "5", db=db)
        yield str(db), json.loads(out.stdout)
        return
    with postgres_schema() as url:
        out = larkdesk("demo", "--tickets", "300", "--seed", "6", db=url)
        yield url, json.loads(out.stdout)


@pytest.fixture(scope="module")
def server(
    demo_db: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Wire]:
    db = demo_db[0]  # limits off: these tests send far more than 50 requests a second
    extra = ("--redis", redis_url()) if db.startswith("postgresql://") else ()
    extra = (*extra, "--rate-limit", "off")
    logs = tmp_path_factory.mktemp("lifecycle-logs")
    with serve(db, *extra, log_dir=logs) as wire:
        yield wire


@pytest.fixture(scope="module")
def creds(demo_db: tuple[str, dict[str, str]]) -> dict[str, str]:
    return demo_db[1]


def token_for(base_url: str, app_id: str, app_secret: str) -> str:
    body = httpx.post(base_url + TOKEN_PATH, json={"app_id": app_id, "app_secret": app_secret})
    assert body.json()["code"] == 0, body.text
    return str(body.json()["tenant_access_token"])


@pytest.fixture(scope="module")
def api(server: Wire, creds: dict[str, str]) -> Iterator[httpx.Client]:
    """An httpx client on the demo helpdesk, with its tenant token and helpdesk header."""
    token = token_for(server.base_url, creds["app_id"], creds["app_secret"])
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds["helpdesk_id"], creds["helpdesk_token"]
        ),
    }
    with server.client(headers=headers, timeout=30) as client:
        yield client


def listed(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    body = api.get(LIST_PATH, params={"page_size": 200, **params}).json()
    assert body["code"] == 0, body
    return list(body["data"]["tickets"])


def get_ticket(api: httpx.Client, ticket_id: str) -> dict[str, Any]:
    response = api.get(f"{LIST_PATH}/{ticket_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"]["ticket"])


def put(api: httpx.Client, ticket_id: str, **body: Any) -> httpx.Response:
    return api.put(f"{LIST_PATH}/{ticket_id}", json=body)


def an_open_ticket(api: httpx.Client, skip: int = 0) -> dict[str, Any]:
    """An open human ticket with an owner (each test takes its own by `skip`)."""
    found = [t for t in listed(api, status_list=2) if "agent_owner" in t]
    return found[skip]


def assert_bad_request(response: httpx.Response, *words: str) -> None:
    body = response.json()
    assert (response.status_code, body["code"]) == (400, 154000), body
    assert all(word in body["msg"] for word in words), body["msg"]
    assert body["error"]["log_id"] == response.headers["x-tt-logid"]


# -- GET one ticket ---------------------------------------------------------------------


def test_get_ticket_is_the_list_shape_byte_for_byte(api: httpx.Client) -> None:
    for ticket in listed(api)[:20]:
        response = api.get(f"{LIST_PATH}/{ticket['ticket_id']}")
        body = response.json()
        assert (response.status_code, body["code"], body["msg"]) == (200, 0, "success")
        assert body["data"]["ticket"] == ticket
        listed_raw = api.get(LIST_PATH, params={"ticket_id": ticket["ticket_id"]}).content
        raw = response.content.removeprefix(b'{"code":0,"msg":"success","data":{"ticket":')
        assert raw.removesuffix(b"}}") in listed_raw


def test_unknown_or_foreign_ticket_is_not_found(
    api: httpx.Client, server: Wire, creds: dict[str, str]
) -> None:
    missing = api.get(f"{LIST_PATH}/1234567890123456789")
    assert (missing.status_code, missing.json()["code"]) == (404, 154004)
    assert missing.json()["error"]["log_id"] == missing.headers["x-tt-logid"]
    # a second helpdesk of the same tenant, reachable by the same app, sees none of them
    db = server.db
    other = json.loads(
        larkdesk("helpdesk", "create", "--app", creds["app_id"], "--name", "HR", db=db).stdout
    )
    header = encode_helpdesk_header(other["helpdesk_id"], other["helpdesk_token"])
    theirs = listed(api)[0]
    foreign = api.get(
        f"{LIST_PATH}/{theirs['ticket_id']}", headers={"X-Lark-Helpdesk-Authorization": header}
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, 154004)
    assert theirs["ticket_id"] in foreign.json()["msg"] and "guest" not in foreign.text
    denied = put(api, theirs["ticket_id"], comment="x")  # (the right helpdesk: allowed)
    assert denied.json()["code"] == 0
    foreign_put = api.put(
        f"{LIST_PATH}/{theirs['ticket_id']}",
        json={"status": 51},
        headers={"X-Lark-Helpdesk-Authorization": header},
    )
    assert (foreign_put.status_code, foreign_put.json()["code"]) == (404, 154004)
    assert get_ticket(api, theirs["ticket_id"])["status"] == theirs["status"]


def test_customized_fields_are_listed_and_paged(api: httpx.Client, creds: dict[str, str]) -> None:
    body = api.get(FIELDS_PATH).json()
    assert body["code"] == 0 and body["data"]["has_more"] is False
    items = body["data"]["items"]
    assert [i["ticket_customized_field_id"] for i in items] == [f.id for f in CUSTOMIZED_FIELDS]
    assert items[1]["helpdesk_id"] == creds["helpdesk_id"] and items[1]["field_type"] == "dropdown"
    options = [o["display_name"] for o in items[1]["dropdown_options"]["children"]]
    assert options == list(PRIORITY.values)
    first = api.get(FIELDS_PATH, params={"page_size": 1}).json()["data"]
    assert first["has_more"] is True and len(first["items"]) == 1
    second = api.get(
        FIELDS_PATH, params={"page_size": 1, "page_token": first["next_page_token"]}
    ).json()["data"]
    assert second["has_more"] is False and second["items"] == items[1:]
    hidden = api.request("GET", FIELDS_PATH, json={"visible": False}).json()["data"]
    assert hidden["items"] == []
    assert_bad_request(api.get(FIELDS_PATH, params={"page_size": 0}), "page_size")
    assert_bad_request(api.get(FIELDS_PATH, params={"page_token": "nope"}), "page_token")


# -- PUT ----------------------------------------------------------------------------------


def test_closing_with_tags_comment_and_field_shows_everywhere_at_once(api: httpx.Client) -> None:
    before = an_open_ticket(api, skip=0)
    tid = before["ticket_id"]
    response = put(
        api,
        tid,
        status=51,
        tag_names=["VPN", "lifecycle-new-tag"],
        comment="Fixed the VPN profile",
        customized_fields=[{"id": PRIORITY.id, "value": "P1"}],
        solved=2,
    )
    assert response.json() == {"code": 0, "msg": "success", "data": {}}
    after = get_ticket(api, tid)
    assert after["status"] == 51 and after["solve"] == 2
    assert after["closed_by"] == before["agent_owner"]
    assert after["updated_at"] >= after["closed_at"] > before["created_at"]
    served_ms = after["closed_at"] - after["agent_entry_time"]
    assert after["agent_resolution_time"] == served_ms // 1000
    assert after["actual_processing_time"] == after["agent_resolution_time"]
    assert [t["name"] for t in after["tags"]] == ["VPN", "lifecycle-new-tag"]
    vpn = next(t for other in listed(api, tags="VPN") for t in other["tags"] if t["name"] == "VPN")
    assert after["tags"][0]["id"] == vpn["id"]  # an existing tag keeps its id
    assert after["comments"]["content"] == "Fixed the VPN profile"
    assert after["comments"]["user_name"] == before["agent_owner"]["name"]
    assert after["customized_fields"][-1]["value"] == "P1"
    assert after["customized_fields"][-1]["key_name"] == PRIORITY.key_name
    moment = after["updated_at"]
    window = {"update_time_start": moment, "update_time_end": moment}
    assert tid in [t["ticket_id"] for t in listed(api, **window)]
    for filters in (
        {"status_list": 51},
        {"tags": "lifecycle-new-tag"},
        {"closed_by_id": before["agent_owner"]["id"]},
        {"solved": 2},
    ):
        assert tid in [t["ticket_id"] for t in listed(api, **filters, **window)], filters
    # reopening clears the close, and a second close stamps a new time
    put(api, tid, status=2)
    reopened = get_ticket(api, tid)
    assert "closed_at" not in reopened and "closed_by" not in reopened
    assert "agent_resolution_time" not in reopened
    assert tid not in [t["ticket_id"] for t in listed(api, status_list=51, **window)]


def test_comments_keep_their_history(api: httpx.Client, server: Wire) -> None:
    ticket = next(t for t in listed(api) if "comments" in t)
    tid = ticket["ticket_id"]
    for text in ("first", "second"):
        assert put(api, tid, comment=text).json()["code"] == 0
    assert get_ticket(api, tid)["comments"]["content"] == "second"
    store = open_store(server.db)
    try:
        history = [json.loads(c) for c in store.list_comments(tid)]
    finally:
        store.close()
    assert [c["content"] for c in history] == [ticket["comments"]["content"], "first", "second"]
    assert history[0] == ticket["comments"]


BAD_BODIES: list[tuple[bytes, tuple[str, ...]]] = [
    (b'{"status": "50"}', ("status", "expected int, got str")),
    (b'{"status": 7}', ("status", "7")),
    (b'{"status": 50.0}', ("status",)),
    (b'{"solved": 3}', ("solved",)),
    (b'{"ticket_type": true}', ("ticket_type",)),
    (b'{"channel": -1}', ("channel",)),
    (b'{"channel": 99999999999999999999}', ("channel",)),
    (b'{"tag_names": "VPN"}', ("tag_names", "expected array")),
    (b'{"tag_names": ["ok", ""]}', ("tag_names[1]", "blank")),
    (b'{"tag_names": ["a\\u0000b"]}', ("tag_names[0]", "NUL")),
    (b'{"comment": 5}', ("comment",)),
    (b'{"comment": "   "}', ("comment", "blank")),
    (b'{"customized_fields": [{"id": "404", "value": "x"}]}', ("customized_fields[0].id",)),
    (b'{"customized_fields": [{"id": "%s", "value": 1}]}' % PRIORITY.id.encode(), ("value",)),
    (b'{"customized_fields": [{"id": "%s", "value": "P9"}]}' % PRIORITY.id.encode(), ("P9",)),
    (b'{"status": 51, "customized_fields": [{"value": "P1"}]}', ("customized_fields[0].id",)),
    (b'{"status": 51', ("not valid JSON",)),
    (b"\xff\xfe", ("not valid JSON",)),
    (b"[]", ("expected object",)),
    (b"", ("JSON object",)),
    (b"{}", ("nothing to update",)),
    (b'{"comment": "%s"}' % (b"x" * 70_000), ("comment", "longer than 10000")),
    (b'{"comment": "%s"}' % (b"x" * 4_200_000), ("larger than 4194304 bytes",)),
]


@pytest.mark.parametrize(("raw", "words"), BAD_BODIES, ids=lambda v: repr(v)[:40])
def test_a_bad_body_is_refused_and_changes_nothing(
    api: httpx.Client, raw: bytes, words: tuple[str, ...]
) -> None:
    ticket = an_open_ticket(api, skip=1)
    tags_before = listed(api, tags="lifecycle-never")
    response = api.put(
        f"{LIST_PATH}/{ticket['ticket_id']}",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_bad_request(response, *words)
    assert get_ticket(api, ticket["ticket_id"]) == ticket
    assert listed(api, tags="lifecycle-never") == tags_before == []


def test_a_huge_body_is_refused_before_it_is_read(api: httpx.Client) -> None:
    ticket = an_open_ticket(api, skip=1)

    def chunks() -> Iterator[bytes]:  # streamed, no content-length: the limit still holds
        yield b'{"comment": "'
        for _ in range(64):
            yield b"y" * 65536
        yield b'"}'

    response = api.put(f"{LIST_PATH}/{ticket['ticket_id']}", content=chunks())
    assert_bad_request(response, "larger than")
    assert get_ticket(api, ticket["ticket_id"]) == ticket


def test_concurrent_updates_from_several_clients_all_take_effect(
    api: httpx.Client, server: Wire
) -> None:
    ticket = an_open_ticket(api, skip=2)
    tid = ticket["ticket_id"]
    changes: list[dict[str, Any]] = [
        {"status": 51},
        {"tag_names": ["concurrent"]},
        {"customized_fields": [{"id": PRIORITY.id, "value": "P0"}]},
        {"solved": 2},
        {"channel": 14},
        *({"comment": f"parallel {n}"} for n in range(7)),
    ]
    barrier = threading.Barrier(len(changes))
    results: list[int] = []

    def send(change: dict[str, Any]) -> None:
        with httpx.Client(base_url=str(api.base_url), headers=dict(api.headers), timeout=30) as own:
            barrier.wait()
            results.append(own.put(f"{LIST_PATH}/{tid}", json=change).json()["code"])

    threads = [threading.Thread(target=send, args=(c,)) for c in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0] * len(changes)
    after = get_ticket(api, tid)
    assert (after["status"], after["solve"], after["channel"]) == (51, 2, 14)
    assert [t["name"] for t in after["tags"]] == ["concurrent"]
    assert after["customized_fields"][-1]["value"] == "P0"
    store = open_store(server.db)
    try:
        history = [json.loads(c)["content"] for c in store.list_comments(tid)]
    finally:
        store.close()
    assert sorted(h for h in history if h.startswith("parallel")) == [
        f"parallel {n}" for n in range(7)
    ]
    assert after["comments"]["content"] == history[-1]


def test_concurrent_updates_through_two_server_processes_all_take_effect(
    api: httpx.Client, demo_db: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A second `larkdesk serve` on the same database: writers in two processes."""
    ticket = an_open_ticket(api, skip=6)
    tid = ticket["ticket_id"]
    db = demo_db[0]
    extra = ("--redis", redis_url()) if db.startswith("postgresql://") else ()
    second = start_server(db, *extra, "--rate-limit", "off", log_dir=tmp_path)
    try:
        bases = [str(api.base_url), second.base_url]
        texts = [f"two servers {n}" for n in range(10)]
        barrier = threading.Barrier(len(texts))
        codes: list[int] = []

        def send(n: int) -> None:
            with httpx.Client(base_url=bases[n % 2], headers=dict(api.headers)) as own:
                barrier.wait()
                change = {"comment": texts[n], "tag_names": [f"by-{n}"]} if n else {"status": 51}
                codes.append(own.put(f"{LIST_PATH}/{tid}", json=change, timeout=30).json()["code"])

        threads = [threading.Thread(target=send, args=(n,)) for n in range(len(texts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop_server(second)
    assert codes == [0] * len(texts)
    after = get_ticket(api, tid)
    assert after["status"] == 51 and "closed_at" in after  # the status write was not lost
    store = open_store(db)
    try:
        history = {json.loads(c)["content"] for c in store.list_comments(tid)}
    finally:
        store.close()
    assert {f"two servers {n}" for n in range(1, 10)} <= history  # nor any comment
    last = after["comments"]["content"]
    assert [t["name"] for t in after["tags"]] == [f"by-{last.rsplit(' ', 1)[1]}"]


# -- start_service ------------------------------------------------------------------------


def test_start_service_creates_bot_and_human_tickets(api: httpx.Client) -> None:
    sample = an_open_ticket(api, skip=3)
    guest, agent = sample["guest"], sample["agent_owner"]
    bot = api.post(START_PATH, json={"open_id": guest["id"], "customized_info": "from CRM"})
    data = bot.json()["data"]
    assert bot.json()["code"] == 0 and data["chat_id"].startswith("oc_")
    assert len(data["chat_id"]) == 35 and int(data["chat_id"][3:], 16) >= 0
    assert len(data["ticket_id"]) == 19 and data["ticket_id"].isdigit()
    created = get_ticket(api, data["ticket_id"])
    assert (created["ticket_type"], created["status"], created["channel"]) == (1, 1, 9)
    assert created["guest"] == guest and created["updated_at"] == -1 and "agents" not in created
    human = api.post(
        START_PATH,
        json={"open_id": guest["id"], "human_service": True, "appointed_agents": [agent["id"]]},
    ).json()["data"]
    served = get_ticket(api, human["ticket_id"])
    assert (served["ticket_type"], served["status"]) == (2, 2)
    assert served["agents"] == [agent] and served["agent_owner"] == agent
    assert served["agent_entry_time"] == served["created_at"] > created["created_at"] - 1
    assert served["bot_service_duration"] == 0
    queued = api.post(START_PATH, json={"open_id": guest["id"], "human_service": True}).json()
    assert get_ticket(api, queued["data"]["ticket_id"])["status"] == 3
    mine = [t["ticket_id"] for t in listed(api, guest_id=guest["id"], channel=9)]
    assert {data["ticket_id"], human["ticket_id"], queued["data"]["ticket_id"]} <= set(mine)
    assert listed(api)[0]["ticket_id"] in mine  # the newest tickets list first


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ("open_id", "required")),
        ({"open_id": "ou_nobody"}, ("open_id", "ou_nobody", "not a user")),
        ({"open_id": 5}, ("open_id", "expected str")),
        ({"open_id": "GUEST", "human_service": "yes"}, ("human_service", "expected bool")),
        ({"open_id": "GUEST", "appointed_agents": ["GUEST"]}, ("human_service: true",)),
        (
            {"open_id": "GUEST", "human_service": True, "appointed_agents": ["ou_x"]},
            ("appointed_agents[0]", "ou_x"),
        ),
    ],
)
def test_start_service_refuses_bad_bodies(
    api: httpx.Client, body: dict[str, Any], words: tuple[str, ...]
) -> None:
    guest = an_open_ticket(api)["guest"]["id"]
    text = json.dumps(body).replace("GUEST", guest)
    total = api.get(LIST_PATH).json()["data"]["total"]
    assert_bad_request(api.post(START_PATH, content=text), *words)
    assert api.get(LIST_PATH).json()["data"]["total"] == total


def test_writes_need_the_write_scope(server: Wire, creds: dict[str, str]) -> None:
    readonly = json.loads(
        larkdesk(
            "app", "create", "--name", "ro", "--tenant", creds["tenant_key"],
            "--scope", "helpdesk:all:readonly", db=server.db,
        ).stdout
    )  # fmt: skip
    token = token_for(server.base_url, readonly["app_id"], readonly["app_secret"])
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds["helpdesk_id"], creds["helpdesk_token"]
        ),
    }
    with server.client(headers=headers) as ro:
        tid = ro.get(LIST_PATH).json()["data"]["tickets"][0]["ticket_id"]
        assert ro.get(f"{LIST_PATH}/{tid}").json()["code"] == 0
        assert ro.get(FIELDS_PATH).json()["code"] == 0
        for response in (
            ro.put(f"{LIST_PATH}/{tid}", json={"status": 51}),
            ro.post(START_PATH, json={"open_id": "ou_x"}),
        ):
            body = response.json()
            assert (response.status_code, body["code"]) == (400, 99991672)
            assert "[helpdesk:all]" in body["msg"]


# -- lark-oapi, unchanged -----------------------------------------------------------------


def test_the_lifecycle_through_lark_oapi(api: httpx.Client, creds: dict[str, str]) -> None:
    import lark_oapi as lark
    from lark_oapi.api.helpdesk.v1 import (
        CustomizedFieldDisplayItem,
        GetTicketRequest,
        ListTicketCustomizedFieldRequest,
        ListTicketCustomizedFieldRequestBody,
        StartServiceTicketRequest,
        StartServiceTicketRequestBody,
        UpdateTicketRequest,
        UpdateTicketRequestBody,
    )

    client = (
        lark.Client.builder()
        .app_id(creds["app_id"])
        .app_secret(creds["app_secret"])
        .domain(str(api.base_url).rstrip("/"))
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    helpdesk = {
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds["helpdesk_id"], creds["helpdesk_token"]
        )
    }
    option = lark.RequestOption.builder().headers(helpdesk).build()
    sample = an_open_ticket(api, skip=4)
    started = client.helpdesk.v1.ticket.start_service(
        StartServiceTicketRequest.builder()
        .request_body(
            StartServiceTicketRequestBody.builder()
            .human_service(True)
            .appointed_agents([sample["agent_owner"]["id"]])
            .open_id(sample["guest"]["id"])
            .customized_info("order 42")
            .build()
        )
        .build(),
        option,
    )
    assert started.success(), started.msg
    assert started.data.chat_id.startswith("oc_") and len(started.data.ticket_id) == 19
    tid = started.data.ticket_id
    # UpdateTicketRequest wants a user token, which lark-oapi only sends from a client with
    # enable_set_token; larkdesk has no user login and takes a tenant token there
    token = api.headers["Authorization"].removeprefix("Bearer ")
    as_user = lark.RequestOption.builder().headers(helpdesk).user_access_token(token).build()
    user_client = (
        lark.Client.builder()
        .enable_set_token(True)
        .domain(str(api.base_url).rstrip("/"))
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    updated = user_client.helpdesk.v1.ticket.update(
        UpdateTicketRequest.builder()
        .ticket_id(tid)
        .request_body(
            UpdateTicketRequestBody.builder()
            .status(51)
            .tag_names(["SDK"])
            .comment("closed from lark-oapi")
            .customized_fields(
                [CustomizedFieldDisplayItem.builder().id(PRIORITY.id).value("P2").build()]
            )
            .solved(2)
            .build()
        )
        .build(),
        as_user,
    )
    assert updated.success(), updated.msg
    got = client.helpdesk.v1.ticket.get(GetTicketRequest.builder().ticket_id(tid).build(), option)
    assert got.success(), got.msg
    ticket = got.data.ticket
    assert (ticket.ticket_id, ticket.status, ticket.solve, ticket.ticket_type) == (tid, 51, 2, 2)
    assert ticket.closed_by.id == sample["agent_owner"]["id"] and ticket.closed_at > 0
    assert ticket.comments.content == "closed from lark-oapi" and ticket.comments.user_id > 2**53
    assert [t.name for t in ticket.tags] == ["SDK"] and ticket.tags[0].id.isdigit()
    assert ticket.customized_fields[0].value == "P2" and ticket.customized_fields[0].position == 2
    assert ticket.guest.id == sample["guest"]["id"] and ticket.channel == 9
    missing = client.helpdesk.v1.ticket.get(
        GetTicketRequest.builder().ticket_id("1").build(), option
    )
    assert missing.code == 154004 and not missing.success()
    bad = user_client.helpdesk.v1.ticket.update(
        UpdateTicketRequest.builder()
        .ticket_id(tid)
        .request_body(UpdateTicketRequestBody.builder().status(8).build())
        .build(),
        as_user,
    )
    assert bad.code == 154000 and "status" in bad.msg
    fields = client.helpdesk.v1.ticket_customized_field.list(
        ListTicketCustomizedFieldRequest.builder()
        .page_size(10)
        .request_body(ListTicketCustomizedFieldRequestBody.builder().visible(True).build())
        .build(),
        option,
    )
    assert fields.success(), fields.msg
    assert [f.ticket_customized_field_id for f in fields.data.items] == [
        f.id for f in CUSTOMIZED_FIELDS
    ]
    assert fields.data.items[0].field_type == "dropdown" and fields.data.has_more is False


# -- the command line ---------------------------------------------------------------------


def test_cli_ticket_get_and_update(api: httpx.Client, server: Wire) -> None:
    ticket = an_open_ticket(api, skip=5)
    tid, db = ticket["ticket_id"], server.db
    shown = larkdesk("ticket", "get", tid, db=db)
    assert json.loads(shown.stdout) == get_ticket(api, tid) and shown.stdout.count("\n") == 1
    changed = larkdesk(
        "ticket", "update", tid, "--status", "52", "--tag", "cli", "--tag", "VPN",
        "--comment", "from the shell", "--field", f"{PRIORITY.id}=P3", "--solved", "1",
        db=db,
    )  # fmt: skip
    printed = json.loads(changed.stdout)
    assert printed == get_ticket(api, tid)  # what it prints is what the API now answers
    assert (printed["status"], printed["solve"]) == (52, 1)
    assert printed["closed_by"] == ticket["guest"]  # 52: closed by the user
    assert [t["name"] for t in printed["tags"]] == ["cli", "VPN"]
    assert printed["comments"]["content"] == "from the shell"
    clear = ("ticket", "update", tid, "--clear-tags", "--field", f"{PRIORITY.id}=")
    cleared = json.loads(larkdesk(*clear, db=db).stdout)
    assert "tags" not in cleared and PRIORITY.id not in json.dumps(cleared.get("customized_fields"))
    for args, words in (
        (["get", "1"], "Resource not found"),
        (["update", tid, "--status", "9"], "status must be one of"),
        (["update", tid], "nothing to update"),
        (["update", tid, "--field", "nope"], "FIELD_ID=VALUE"),
        (["get", tid, "--helpdesk", "42"], "Resource not found"),
    ):
        failed = larkdesk("ticket", *args, db=db, check=False)
        assert failed.returncode != 0 and words in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr
    assert get_ticket(api, tid) == cleared


def test_cli_field_create_defines_fields_the_api_lists_and_updates_set(
    api: httpx.Client, server: Wire
) -> None:
    db, helpdesk_id = server.db, api.get(FIELDS_PATH).json()["data"]["items"][0]["helpdesk_id"]
    create = ("field", "create", "--helpdesk", helpdesk_id)
    made = larkdesk(
        *create, "--key-name", "region", "--display-name", "地区", "--type", "dropdown",
        "--option", "华东", "--option", "华北", "--required", db=db,
    )  # fmt: skip
    region = json.loads(made.stdout)
    note = json.loads(
        larkdesk(*create, "--key-name", "note", "--display-name", "Note", db=db).stdout
    )
    listed_fields = {f["key_name"]: f for f in api.get(FIELDS_PATH).json()["data"]["items"]}
    assert listed_fields["region"] == region and listed_fields["note"] == note
    assert [c["display_name"] for c in region["dropdown_options"]["children"]] == ["华东", "华北"]
    assert (region["field_type"], region["required"], note["field_type"]) == (
        "dropdown",
        True,
        "text",
    )
    assert int(note["position"]) == int(region["position"]) + 1  # placed after the others
    ticket = an_open_ticket(api, skip=6)
    fields = [
        {"id": region["ticket_customized_field_id"], "value": "华北"},
        {"id": note["ticket_customized_field_id"], "value": "free text, any words"},
    ]
    assert put(api, ticket["ticket_id"], customized_fields=fields).json()["code"] == 0
    shown = {
        f["key_name"]: f["value"] for f in get_ticket(api, ticket["ticket_id"])["customized_fields"]
    }
    assert shown["region"] == "华北" and shown["note"] == "free text, any words"
    wrong = [{"id": region["ticket_customized_field_id"], "value": "华南"}]
    assert_bad_request(put(api, ticket["ticket_id"], customized_fields=wrong), "华南", "region")
    for args, words in (
        (["--key-name", "region", "--display-name", "again"], "already has a field"),
        (["--key-name", "x", "--display-name", "x", "--type", "dropdown"], "at least one option"),
        (["--key-name", "y", "--display-name", "y", "--option", "a"], "only a dropdown"),
    ):
        failed = larkdesk(*create, *args, db=db, check=False)
        assert (
            failed.returncode != 0 and words in failed.stderr and "Traceback" not in failed.stderr
        )
    unknown = larkdesk("field", "create", "--helpdesk", "42", "--key-name", "k", "--display-name",
                       "k", db=db, check=False)  # fmt: skip
    assert unknown.returncode != 0 and "no helpdesk" in unknown.stderr
    assert {f["key_name"] for f in api.get(FIELDS_PATH).json()["data"]["items"]} == {
        *listed_fields
    }  # the refused ones added nothing


def test_each_lifecycle_api_has_its_own_rate_limit(store: Store) -> None:
    identity = provision(store)
    store.upsert_users([User("ou_guest", identity.tenant_key, "Guest")])
    with make_client(store, rate_limit="feishu") as client:
        headers = auth_headers(client, identity)
        started = [
            client.post(START_PATH, headers=headers, json={"open_id": "ou_guest"}) for _ in range(6)
        ]
        assert [r.status_code for r in started] == [200] * 5 + [429]
        assert started[-1].json()["code"] == 99991400
        assert started[-1].headers["x-ogw-ratelimit-limit"] == "5"
        tid = started[0].json()["data"]["ticket_id"]
        assert client.get(f"{LIST_PATH}/{tid}", headers=headers).status_code == 200
        assert client.put(f"{LIST_PATH}/{tid}", headers=headers, json={"status": 50}).is_success
        assert client.get(LIST_PATH, headers=headers).json()["data"]["total"] == 5


def test_writes_in_one_millisecond_keep_their_order(store: Store) -> None:
    hd = provision(store).helpdesk_id
    store.upsert_tickets([to_record(Ticket(ticket_id="1", created_at=1000, status=2), hd)])
    lifecycle = TicketLifecycle(store, clock=lambda: 5000)  # a clock that never moves
    for text in ("a", "b", "c"):
        lifecycle.update_ticket(hd, "1", UpdateTicketBody(comment=text))
    ticket = json.loads(lifecycle.get_ticket(hd, "1"))
    assert ticket["updated_at"] == 5002 and ticket["comments"]["content"] == "c"
    assert [json.loads(c)["content"] for c in store.list_comments("1")] == ["a", "b", "c"]
    assert [json.loads(c)["created_at"] for c in store.list_comments("1")] == [5000, 5001, 5002]


def test_a_tag_named_by_an_update_keeps_the_id_its_tickets_carry(store: Store) -> None:
    hd = provision(store).helpdesk_id
    imported = Ticket(ticket_id="1", created_at=1000, tags=[TicketTag(id="555", name="legacy")])
    store.upsert_tickets([to_record(imported, hd), to_record(Ticket("2", created_at=1000), hd)])
    lifecycle = TicketLifecycle(store)
    lifecycle.update_ticket(hd, "2", UpdateTicketBody(tag_names=["legacy", "fresh"]))
    tags = json.loads(lifecycle.get_ticket(hd, "2"))["tags"]
    assert tags[0] == {"id": "555", "name": "legacy"}
    assert tags[1]["name"] == "fresh" and len(tags[1]["id"]) == 19
    assert {t.name: t.tag_id for t in store.list_tags(hd)} == {
        "legacy": "555",
        "fresh": tags[1]["id"],
    }


def test_serve_demo_brings_an_older_demo_database_up_to_date(tmp_path: Path) -> None:
    import sqlite3

    from larkdesk.cli.serve import ensure_demo
    from larkdesk.demo import seed_demo
    from larkdesk.store.sqlite import SQLiteStore

    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    creds = seed_demo(store, tickets=10, seed=0)
    store.close()
    with sqlite3.connect(path) as conn:  # as a database made before schema version 2 holds
        conn.execute("DELETE FROM helpdesk_tags")
        conn.execute("DELETE FROM customized_fields")
    store = SQLiteStore(path)
    try:
        assert store.list_customized_fields(creds.helpdesk_id) == []
        assert ensure_demo(store) == creds
        assert len(store.list_customized_fields(creds.helpdesk_id)) == len(CUSTOMIZED_FIELDS)
        assert len(store.list_tags(creds.helpdesk_id)) == 50
    finally:
        store.close()


def test_a_user_token_closes_and_comments_as_its_user(
    api: httpx.Client, server: Wire, creds: dict[str, str]
) -> None:
    """PUT with a user access token (`larkdesk user token`) acts as that user: closing by
    an agent (51) names them in `closed_by`, and the comment is theirs. The tenant token
    keeps acting as the ticket's owner (the test above)."""
    added = larkdesk("user", "add", "--app", creds["app_id"], "--name", "Li Na", db=server.db)
    person = json.loads(added.stdout)
    granted = larkdesk(
        "user", "token", "--app", creds["app_id"], "--user", person["open_id"], db=server.db
    )
    token = json.loads(granted.stdout)["user_access_token"]
    before = an_open_ticket(api, skip=3)
    tid = before["ticket_id"]
    as_user = {"Authorization": f"Bearer {token}"}  # the client sends the helpdesk header
    body = {"status": 51, "comment": "closed by Li Na"}
    response = api.put(f"{LIST_PATH}/{tid}", json=body, headers=as_user)
    assert response.json()["code"] == 0, response.text
    after = get_ticket(api, tid)
    assert after["closed_by"]["id"] == person["open_id"] != before["agent_owner"]["id"]
    assert after["closed_by"]["name"] == "Li Na"
    assert after["comments"]["user_name"] == "Li Na"
