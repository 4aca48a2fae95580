"""The conversation APIs in-process on each store, driven with httpx: ticket messages
(create, list with window and pages), bot messages, ticket_images, answer_user_query, the
operator API, and every bad input answered 400/154000 (or 404/154004), never 500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import Store, User

from .backends import db_location
from .conftest import LIST_PATH, Identity, auth_headers, provision

START_PATH = "/open-apis/helpdesk/v1/start_service"
BOT_PATH = "/open-apis/helpdesk/v1/message"
IMAGES_PATH = "/open-apis/helpdesk/v1/ticket_images"
OPERATOR = "/larkdesk/v1/tickets/{}/messages"
OPERATOR_TOKEN = "op-secret-for-tests"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"pixels"
POST_CONTENT = {
    "zh_cn": {
        "title": "VPN",
        "content": [
            [{"tag": "text", "text": "line one "}, {"tag": "a", "text": "link", "href": "h"}],
            [{"tag": "img", "image_key": "img_v2_x"}],
        ],
    }
}


def messages_path(ticket_id: str) -> str:
    return f"{LIST_PATH}/{ticket_id}/messages"


@dataclass
class Desk:
    client: TestClient
    identity: Identity
    headers: dict[str, str]
    operator: dict[str, str]

    def start(self, guest: str, agent: str | None = None) -> str:
        body: dict[str, Any] = {"open_id": guest}
        if agent:
            body |= {"human_service": True, "appointed_agents": [agent]}
        answer = self.client.post(START_PATH, headers=self.headers, json=body).json()
        assert answer["code"] == 0, answer
        return str(answer["data"]["ticket_id"])

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        answer = self.client.get(f"{LIST_PATH}/{ticket_id}", headers=self.headers).json()
        return dict(answer["data"]["ticket"])

    def messages(self, ticket_id: str, **params: Any) -> dict[str, Any]:
        answer = self.client.get(messages_path(ticket_id), headers=self.headers, params=params)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["data"])

    def say(self, ticket_id: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(OPERATOR.format(ticket_id), headers=self.operator, json=body)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["data"])


@pytest.fixture
def desk(store: Store) -> Iterator[Desk]:
    identity = provision(store)  # type: ignore[arg-type]
    store.upsert_users(
        [
            User("ou_guest", identity.tenant_key, "Guest", avatar_url="https://a/g.png"),
            User("ou_guest2", identity.tenant_key, "Second guest"),
            User("ou_agent", identity.tenant_key, "Agent"),
        ]
    )
    settings = Settings(db=db_location(store), rate_limit="off", operator_token=OPERATOR_TOKEN)
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        yield Desk(client, identity, auth_headers(client, identity), operator)


def assert_refused(response: Any, status: int, code: int, *words: str) -> None:
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    assert all(word in body["msg"] for word in words), body["msg"]


def test_messages_are_created_listed_and_set_the_agents_response_times(desk: Desk) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    desk.say(tid, **{"as": "guest", "content": "my VPN is down"})
    assert "agent_first_response_time" not in desk.ticket(tid)
    made = desk.client.post(
        messages_path(tid), headers=desk.headers, json={"msg_type": "text", "content": "on it"}
    ).json()
    assert made["code"] == 0 and made["data"]["message_id"].startswith("om_")
    post = {"msg_type": "post", "content": _json(POST_CONTENT)}
    assert desk.client.post(messages_path(tid), headers=desk.headers, json=post).is_success
    ticket = desk.ticket(tid)
    first, last = ticket["agent_first_response_time"], ticket["agent_last_response_time"]
    assert first < last == ticket["updated_at"]
    assert ticket["agent_first_response_duration"] == (first - ticket["agent_entry_time"]) // 1000
    listed = desk.messages(tid)
    assert listed["total"] == 3
    guest, text, rich = listed["messages"]
    assert set(guest) == {"id", "message_id", "message_type", "created_at", "content"} | {
        "user_name",
        "avatar_url",
        "user_id",
    }
    assert (guest["user_id"], guest["user_name"], guest["content"]) == (
        "ou_guest",
        "Guest",
        "my VPN is down",
    )
    assert (text["message_id"], text["user_id"], text["content"]) == (
        made["data"]["message_id"],
        "ou_agent",
        "on it",
    )
    assert len(text["id"]) == 19 and text["message_type"] == "text"
    assert rich["message_type"] == "post" and '"title":"VPN"' in rich["content"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_content_is_read_in_feishus_forms(desk: Desk) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    for body in (
        {"msg_type": "text", "content": '{"text": "im style"}'},
        {"msg_type": "text", "content": {"text": "an object"}},
        {"msg_type": "post", "content": {"msg_type": "post", "content": {"post": POST_CONTENT}}},
        {"msg_type": "post", "content": _json({"title": "t", "content": [[{"tag": "text"}]]})},
    ):
        answer = desk.client.post(messages_path(tid), headers=desk.headers, json=body)
        assert answer.json()["code"] == 0, (body, answer.text)
    contents = [m["content"] for m in desk.messages(tid)["messages"]]
    assert contents[:2] == ["im style", "an object"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"msg_type": "image", "content": "x"}, ["msg_type must be 'text' or 'post'"]),
        ({"content": "x"}, ["msg_type"]),
        ({"msg_type": "text"}, ["content is required"]),
        ({"msg_type": "text", "content": 5}, ["content"]),
        ({"msg_type": "text", "content": "   "}, ["content", "blank"]),
        ({"msg_type": "text", "content": {"txt": "x"}}, ["content", "text"]),
        ({"msg_type": "post", "content": "just words"}, ["content", "JSON object"]),
        ({"msg_type": "post", "content": {"zh_cn": {"content": "x"}}}, ["content", "lines"]),
        ({"msg_type": "post", "content": {"zh_cn": {"content": [[{"x": 1}]]}}}, ["tag"]),
        ({"msg_type": "post", "content": {"zh_cn": {"content": []}}}, ["neither text"]),
        ({"msg_type": "text", "content": "a\x00b"}, ["NUL"]),
    ],
)
def test_bad_messages_are_refused_naming_the_field(
    desk: Desk, body: dict[str, Any], words: list[str]
) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    response = desk.client.post(messages_path(tid), headers=desk.headers, json=body)
    assert_refused(response, 400, 154000, *words)
    assert desk.messages(tid)["total"] == 0


def test_unknown_tickets_are_not_found(desk: Desk) -> None:
    body = {"msg_type": "text", "content": "x"}
    for response in (
        desk.client.post(messages_path("1"), headers=desk.headers, json=body),
        desk.client.get(messages_path("1"), headers=desk.headers),
        desk.client.get(IMAGES_PATH, headers=desk.headers, params={"ticket_id": 1, "msg_id": 2}),
        desk.client.post(OPERATOR.format("1"), headers=desk.operator, json={"as": "guest"} | body),
    ):
        assert_refused(response, 404, 154004)


def test_the_list_pages_and_windows_by_seconds(desk: Desk) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    before = int(time.time()) - 1
    for n in range(5):
        desk.say(tid, **{"as": "guest" if n % 2 else "agent", "content": f"m{n}"})
    after = int(time.time()) + 1
    page = desk.messages(tid, page_size=2, page=2)
    assert page["total"] == 5 and [m["content"] for m in page["messages"]] == ["m2", "m3"]
    assert desk.messages(tid, page=4, page_size=2) == {"messages": [], "total": 5}
    assert desk.messages(tid, time_start=before, time_end=after)["total"] == 5
    assert desk.messages(tid, time_start=0, time_end=before - 100)["total"] == 0
    assert desk.messages(tid)["total"] == 5 and len(desk.messages(tid)["messages"]) == 5


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"page_size": 0}, ["page_size must be between 1 and 200"]),
        ({"page_size": 201}, ["page_size"]),
        ({"page": 0}, ["page must be between"]),
        ({"page": "x"}, ["page must be an integer"]),
        ({"time_start": 5}, ["time_end is required when time_start is given"]),
        ({"time_end": 5}, ["time_start is required"]),
        ({"time_start": 9, "time_end": 5}, ["time_start (9) must not be after time_end (5)"]),
        ({"time_start": -1, "time_end": 5}, ["time_start"]),
        ({"time_start": 1, "time_end": 2**63}, ["time_end"]),
    ],
)
def test_bad_list_queries_are_refused(desk: Desk, params: dict[str, Any], words: list[str]) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    response = desk.client.get(messages_path(tid), headers=desk.headers, params=params)
    assert_refused(response, 400, 154000, *words)


def test_images_from_the_guest_are_downloaded(desk: Desk) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    sent = desk.say(tid, **{"as": "guest", "image": base64.b64encode(PNG).decode()})
    listed = desk.messages(tid)["messages"][0]
    assert listed["message_type"] == "image" and listed["content"].startswith("img_v2_")
    for msg_id in (sent["ticket_message_id"], sent["message_id"]):
        got = desk.client.get(
            IMAGES_PATH, headers=desk.headers, params={"ticket_id": tid, "msg_id": msg_id}
        )
        assert got.status_code == 200 and got.content == PNG
        assert got.headers["content-type"] == "image/png"
        assert (
            got.headers["content-disposition"] == f'attachment; filename="{listed["content"]}.png"'
        )
    query = {"ticket_id": tid, "msg_id": sent["message_id"], "index": 1}
    assert_refused(desk.client.get(IMAGES_PATH, headers=desk.headers, params=query), 404, 154004)
    for params, words in (
        ({"msg_id": "1"}, ["ticket_id is required"]),
        ({"ticket_id": tid}, ["msg_id is required"]),
        ({"ticket_id": tid, "msg_id": "1", "index": -1}, ["index"]),
    ):
        response = desk.client.get(IMAGES_PATH, headers=desk.headers, params=params)
        assert_refused(response, 400, 154000, *words)
    text = desk.say(tid, **{"as": "agent", "content": "thanks"})
    query = {"ticket_id": tid, "msg_id": text["message_id"]}
    assert_refused(desk.client.get(IMAGES_PATH, headers=desk.headers, params=query), 404, 154004)


def test_the_operator_api_is_off_without_a_token(store: Store) -> None:
    settings = Settings(db=db_location(store), rate_limit="off")
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as off:
        body = {"as": "guest", "content": "hi"}
        response = off.post(OPERATOR.format("1"), headers={"Authorization": "Bearer x"}, json=body)
        assert_refused(response, 401, 154001, "LARKDESK_OPERATOR_TOKEN")


def test_the_operator_api_needs_its_token_and_checks_its_body(desk: Desk) -> None:
    tid = desk.start("ou_guest")
    path, body = OPERATOR.format(tid), {"as": "guest", "content": "hi"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, desk.headers):
        assert_refused(desk.client.post(path, headers=headers, json=body), 401, 154001)
    for bad, words in (
        ({"as": "boss", "content": "x"}, ["as must be one of guest, agent, bot"]),
        ({"as": "agent", "content": "x"}, ["no agent yet"]),
        ({"as": "guest", "image": "%%%"}, ["image must be base64"]),
        ({"as": "guest", "image": base64.b64encode(b"not an image").decode()}, ["PNG"]),
        ({"as": "guest", "msg_type": "file", "content": "x"}, ["msg_type"]),
        ({"as": "guest", "msg_type": "text", "content": "x", "image": "AA=="}, ["image"]),
    ):
        assert_refused(desk.client.post(path, headers=desk.operator, json=bad), 400, 154000, *words)
    assert desk.say(tid, **{"as": "bot", "content": "I am the bot"})["position"] == 1


def test_bot_messages_land_in_the_guests_open_bot_ticket(desk: Desk) -> None:
    bot_ticket = desk.start("ou_guest")
    body = {
        "msg_type": "text",
        "content": '{"text":"hello from the bot"}',
        "receiver_id": "ou_guest",
    }
    sent = desk.client.post(BOT_PATH, headers=desk.headers, json=body).json()
    assert sent["code"] == 0 and sent["data"]["message_id"].startswith("om_")
    (listed,) = desk.messages(bot_ticket)["messages"]
    assert listed["message_id"] == sent["data"]["message_id"] and "user_id" not in listed
    private = desk.client.post(
        BOT_PATH, headers=desk.headers, json=body | {"receive_type": "user"}
    ).json()
    assert private["code"] == 0 and desk.messages(bot_ticket)["total"] == 1
    desk.start("ou_guest2", "ou_agent")
    for bad, words in (
        (body | {"receiver_id": "ou_guest2"}, ["in progress with an agent"]),
        (body | {"receiver_id": "ou_agent"}, ["no open ticket"]),
        (body | {"receiver_id": "ou_nobody"}, ["not a user of this tenant"]),
        (body | {"receive_type": "group"}, ["receive_type must be 'chat' or 'user'"]),
        (body | {"msg_type": "file"}, ["msg_type must be one of"]),
        (body | {"msg_type": "image", "content": '{"image_key":"img_v2_nope"}'}, ["image_key"]),
        ({k: v for k, v in body.items() if k != "receiver_id"}, ["receiver_id is required"]),
    ):
        response = desk.client.post(BOT_PATH, headers=desk.headers, json=bad)
        assert_refused(response, 400, 154000, *words)
    response = desk.client.post(
        BOT_PATH + "?user_id_type=union_id", headers=desk.headers, json=body
    )
    assert_refused(response, 400, 154000, "user_id_type")


def test_bot_cards_and_images_it_holds(desk: Desk) -> None:
    bot_ticket = desk.start("ou_guest")
    image = desk.say(bot_ticket, **{"as": "guest", "image": base64.b64encode(PNG).decode()})
    key = desk.messages(bot_ticket)["messages"][0]["content"]
    body = {"receiver_id": "ou_guest", "msg_type": "image", "content": _json({"image_key": key})}
    assert desk.client.post(BOT_PATH, headers=desk.headers, json=body).json()["code"] == 0
    card = {"header": {"title": {"tag": "plain_text", "content": "Pick one"}}, "elements": []}
    body = {"receiver_id": "ou_guest", "msg_type": "interactive", "content": _json(card)}
    assert desk.client.post(BOT_PATH, headers=desk.headers, json=body).json()["code"] == 0
    listed = desk.messages(bot_ticket)["messages"]
    assert [m["message_type"] for m in listed] == ["image", "image", "interactive"]
    assert image["position"] == 1 and listed[1]["content"] == key


def test_answer_user_query_only_while_the_bot_serves(desk: Desk) -> None:
    bot_ticket, human = desk.start("ou_guest"), desk.start("ou_guest2", "ou_agent")
    body = {"event_id": "ev-1", "faqs": [{"id": "6900000000000000001", "score": 0.9}]}
    answer = desk.client.post(
        f"{LIST_PATH}/{bot_ticket}/answer_user_query", headers=desk.headers, json=body
    )
    assert answer.json() == {"code": 0, "msg": "success", "data": {}}
    (listed,) = desk.messages(bot_ticket)["messages"]
    assert listed["content"] == "FAQ 6900000000000000001 (score 0.9)"
    assert "agent_first_response_time" not in desk.ticket(bot_ticket)
    refused = desk.client.post(
        f"{LIST_PATH}/{human}/answer_user_query", headers=desk.headers, json=body
    )
    assert_refused(refused, 400, 154000, "in progress with an agent")
    for bad, words in (
        ({"faqs": body["faqs"]}, ["event_id is required"]),
        ({"event_id": "e"}, ["faqs is required"]),
        ({"event_id": "e", "faqs": [{"score": 1}]}, ["faqs[0].id is required"]),
        ({"event_id": "e", "faqs": [{"id": "1"}]}, ["faqs[0].score is required"]),
        ({"event_id": "e", "faqs": [{"id": "1", "score": "high"}]}, ["faqs[0].score"]),
    ):
        response = desk.client.post(
            f"{LIST_PATH}/{bot_ticket}/answer_user_query", headers=desk.headers, json=bad
        )
        assert_refused(response, 400, 154000, *words)
    missing = desk.client.post(f"{LIST_PATH}/1/answer_user_query", headers=desk.headers, json=body)
    assert_refused(missing, 404, 154004)


def test_sending_needs_the_write_scope_and_reading_the_read_scope(desk: Desk, store: Store) -> None:
    tid = desk.start("ou_guest", "ou_agent")
    reader = provision(store, "reader", ("helpdesk:all:readonly",), desk.identity.tenant_key)  # type: ignore[arg-type]
    headers = auth_headers(desk.client, reader)
    headers["X-Lark-Helpdesk-Authorization"] = desk.identity.helpdesk_header
    body = {"msg_type": "text", "content": "x"}
    assert_refused(desk.client.post(messages_path(tid), headers=headers, json=body), 400, 99991672)
    assert desk.client.get(messages_path(tid), headers=headers).json()["code"] == 0


def test_each_message_api_has_its_own_rate_limit(store: Store) -> None:
    identity = provision(store)  # type: ignore[arg-type]
    store.upsert_users([User("ou_guest", identity.tenant_key, "Guest")])
    settings = Settings(db=db_location(store), rate_limit="feishu")
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        headers = auth_headers(client, identity)
        tid = client.post(START_PATH, headers=headers, json={"open_id": "ou_guest"}).json()
        path = messages_path(tid["data"]["ticket_id"])
        listed = [client.get(path, headers=headers) for _ in range(51)]
        assert [r.status_code for r in listed] == [200] * 50 + [429]
        assert listed[-1].headers["x-ogw-ratelimit-limit"] == "50"
        body = {"msg_type": "text", "content": "still counted apart"}
        assert client.post(path, headers=headers, json=body).json()["code"] == 0
