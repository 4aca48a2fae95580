"""Every Helpdesk endpoint larkdesk serves, called through the official Node SDK's client
(`@larksuiteoapi/node-sdk`, pinned in tests/node, unchanged) against `larkdesk serve`: the
SDK fetches its tenant token, sends the helpdesk's credentials its own way, and parses
each answer. tests/node/client.js runs the calls; locally a missing node skips with the
reason, under CI=true it fails (as tests/test_events_node.py)."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from larkdesk.helpdesk.surface import ENDPOINTS

from .conftest import larkdesk
from .test_events_delivery import TICKET_EVENTS, Desk
from .test_events_node import NODE_DIR, _node, node_desk

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(120))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from node_desk(tmp_path_factory.mktemp("node-client"), 30, 29)


def node_calls(desk: Desk, *calls: tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Run `calls` ((resource, method, payload) of `client.helpdesk.v1`) in one Node client."""
    config = {
        "appId": desk.creds["app_id"],
        "appSecret": desk.creds["app_secret"],
        "domain": desk.server.base_url,
        "helpDeskId": desk.creds["helpdesk_id"],
        "helpDeskToken": desk.creds["helpdesk_token"],
    }
    wanted = [{"resource": r, "method": m, "payload": p} for r, m, p in calls]
    done = subprocess.run(
        [_node(), "client.js"],
        check=False,
        cwd=NODE_DIR,
        input=json.dumps({"config": config, "calls": wanted}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(calls), done.stdout
    return answers


def node_methods(desk: Desk) -> list[tuple[str, str]]:
    """Every [resource, method] of the Node SDK's `client.helpdesk.v1`."""
    config = {"appId": desk.creds["app_id"], "appSecret": desk.creds["app_secret"]}
    done = subprocess.run(
        [_node(), "client.js"],
        check=True,
        cwd=NODE_DIR,
        input=json.dumps({"config": config, "enumerate": True}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [(resource, method) for resource, method in json.loads(done.stdout)]


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["ok"] and answer["data"]["code"] == 0, answer
    return dict(answer["data"].get("data") or {})


def test_tickets_through_the_node_client(desk: Desk) -> None:
    listed, fields, missing = node_calls(
        desk,
        ("ticket", "list", {"params": {"page_size": 20}}),
        ("ticketCustomizedField", "list", {"params": {"page_size": 10}}),
        ("ticket", "get", {"path": {"ticket_id": "1"}}),
    )
    page = ok(listed)
    assert page["total"] == 30 and len(page["tickets"]) == 20
    assert "items" in ok(fields)
    # The SDK throws on an error status; the answer is still Feishu's JSON.
    assert not missing["ok"] and missing["status"] == 404
    assert missing["data"]["code"] == 154004

    human = next(t for t in page["tickets"] if "agent_owner" in t)
    guest, agent = page["tickets"][0]["guest"]["id"], human["agent_owner"]["id"]
    one, started, bot, subscribed, unsubscribed = node_calls(
        desk,
        ("ticket", "get", {"path": {"ticket_id": human["ticket_id"]}}),
        (
            "ticket",
            "startService",
            {"data": {"open_id": guest, "human_service": True, "appointed_agents": [agent]}},
        ),
        ("ticket", "startService", {"data": {"open_id": guest}}),
        ("event", "subscribe", {"data": {"events": TICKET_EVENTS}}),
        ("event", "unsubscribe", {"data": {"events": TICKET_EVENTS[:1]}}),
    )
    assert ok(one)["ticket"] == human
    assert ok(subscribed) == {} and ok(unsubscribed) == {}
    tid, bot_tid = ok(started)["ticket_id"], ok(bot)["ticket_id"]

    changed, after, refused = node_calls(
        desk,
        ("ticket", "update", {"path": {"ticket_id": tid}, "data": {"status": 3}}),
        ("ticket", "get", {"path": {"ticket_id": tid}}),
        ("ticket", "update", {"path": {"ticket_id": tid}, "data": {"status": 99}}),
    )
    assert ok(changed) == {} and ok(after)["ticket"]["status"] == 3
    assert not refused["ok"] and refused["status"] == 400
    assert refused["data"]["code"] == 154000 and "status" in refused["data"]["msg"]
    assert bot_tid != tid


def test_the_conversation_through_the_node_client(desk: Desk, tmp_path: Path) -> None:
    (page,) = node_calls(desk, ("ticket", "list", {"params": {"page_size": 30}}))
    tickets = ok(page)["tickets"]
    guest = tickets[-1]["guest"]["id"]
    agent = next(t["agent_owner"]["id"] for t in tickets if "agent_owner" in t)
    human, bot = node_calls(
        desk,
        (
            "ticket",
            "startService",
            {"data": {"open_id": guest, "human_service": True, "appointed_agents": [agent]}},
        ),
        ("ticket", "startService", {"data": {"open_id": tickets[-2]["guest"]["id"]}}),
    )
    tid, bot_tid = ok(human)["ticket_id"], ok(bot)["ticket_id"]
    picture = tmp_path / "screen.png"
    picture.write_bytes(PNG)
    said = larkdesk("ticket", "say", tid, "--as", "guest", "--image", str(picture), db=desk.db)  # type: ignore[arg-type]
    image_id = json.loads(said.stdout.splitlines()[0])["ticket_message_id"]

    made, listed, image, sent, answered = node_calls(
        desk,
        (
            "ticketMessage",
            "create",
            {
                "path": {"ticket_id": tid},
                "data": {"msg_type": "text", "content": json.dumps({"text": "from Node"})},
            },
        ),
        ("ticketMessage", "list", {"path": {"ticket_id": tid}, "params": {"page_size": 10}}),
        ("ticket", "ticketImage", {"params": {"ticket_id": tid, "msg_id": image_id, "index": 0}}),
        (
            "botMessage",
            "create",
            {
                "params": {"user_id_type": "open_id"},
                "data": {
                    "msg_type": "text",
                    "content": json.dumps({"text": "bot says hi"}),
                    "receiver_id": tickets[-2]["guest"]["id"],
                    "receive_type": "chat",
                },
            },
        ),
        (
            "ticket",
            "answerUserQuery",
            {
                "path": {"ticket_id": bot_tid},
                "data": {"event_id": "ev", "faqs": [{"id": "6900000000000000042", "score": 0.5}]},
            },
        ),
    )
    message_id = ok(made)["message_id"]
    messages = ok(listed)["messages"]
    assert [m["message_type"] for m in messages] == ["image", "text"]
    assert messages[1]["message_id"] == message_id and messages[1]["content"] == "from Node"
    assert image["ok"] and base64.b64decode(image["bytes"]) == PNG
    assert ok(sent)["message_id"].startswith("om_")
    assert ok(answered) == {}
    (bot_messages,) = node_calls(desk, ("ticketMessage", "list", {"path": {"ticket_id": bot_tid}}))
    contents = [m["content"] for m in ok(bot_messages)["messages"]]
    assert contents == ["bot says hi", "FAQ 6900000000000000042 (score 0.5)"]


# Every path parameter the Node SDK's helpdesk URLs have, set to an id no helpdesk has.
UNKNOWN_IDS = dict.fromkeys(
    (
        "ticket_id",
        "id",
        "image_key",
        "agent_id",
        "agent_skill_id",
        "notification_id",
        "ticket_customized_field_id",
    ),
    "7000000000000000001",
)


def test_every_node_sdk_helpdesk_method_is_served(desk: Desk) -> None:
    """Each of the Node SDK's 50 helpdesk v1 methods, called with empty bodies and unknown
    ids: each answers Feishu's JSON (a success, or an error the SDK throws with its body),
    never plain text and never 501/155000 (an endpoint larkdesk does not serve)."""
    pairs = node_methods(desk)
    assert len(pairs) == len(ENDPOINTS) == 50
    answers = node_calls(desk, *[(r, m, {"path": UNKNOWN_IDS}) for r, m in pairs])
    for (resource, method), answer in zip(pairs, answers, strict=True):
        where = f"helpdesk.v1.{resource}.{method}"
        if answer["ok"] and "bytes" in answer:
            continue  # an image: served (unknown ids answer JSON errors, below)
        body = answer["data"]
        assert isinstance(body, dict) and isinstance(body.get("code"), int), (where, answer)
        if answer["ok"]:
            assert body["code"] == 0, (where, body)
        else:
            assert answer["status"] in (400, 403, 404), (where, answer["status"], body)
            assert body["code"] != 155000 and body["code"] > 0, (where, body)
