"""The conversation over the wire, served on each store (in-process; `--live`: a real
`larkdesk serve`), driven with
lark-oapi unchanged (ticket messages, bot messages, ticket images, FAQ answers), the
operator API with httpx, and `larkdesk ticket say` against the same database."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from larkdesk.auth.credentials import encode_helpdesk_header

from .backends import BACKEND_NAMES, postgres_schema
from .conftest import LIST_PATH, larkdesk
from .test_lifecycle import token_for
from .wire import Wire, serve

OPERATOR_TOKEN = "operator-token-for-the-live-tests"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Wire, dict[str, str]]]:
    """A small demo on each backend, served with an operator token; seeds of their own
    (lark-oapi caches tokens by app_id)."""
    logs = tmp_path_factory.mktemp("messages")
    if request.param == "sqlite":
        yield from _serve(str(logs / "larkdesk.db"), "21", logs)
        return
    with postgres_schema() as url:
        yield from _serve(url, "22", logs)


def _serve(db: str, seed: str, logs: Path) -> Iterator[tuple[Wire, dict[str, str]]]:
    out = larkdesk("demo", "--tickets", "40", "--seed", seed, db=db)  # type: ignore[arg-type]
    with (
        mock.patch.dict(os.environ, {"LARKDESK_OPERATOR_TOKEN": OPERATOR_TOKEN}),
        serve(db, "--rate-limit", "off", log_dir=logs) as wire,
    ):
        yield wire, json.loads(out.stdout)


@pytest.fixture(scope="module")
def api(server: tuple[Wire, dict[str, str]]) -> Iterator[httpx.Client]:
    live, creds = server
    token = token_for(live.base_url, creds["app_id"], creds["app_secret"])
    header = encode_helpdesk_header(creds["helpdesk_id"], creds["helpdesk_token"])
    headers = {"Authorization": f"Bearer {token}", "X-Lark-Helpdesk-Authorization": header}
    with live.client(headers=headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sdk(server: tuple[Wire, dict[str, str]]) -> tuple[Any, Any]:
    """A lark-oapi client on the server and the request option carrying the helpdesk."""
    import lark_oapi as lark

    live, creds = server
    client = (
        lark.Client.builder()
        .app_id(creds["app_id"])
        .app_secret(creds["app_secret"])
        .domain(live.base_url)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    header = encode_helpdesk_header(creds["helpdesk_id"], creds["helpdesk_token"])
    option = lark.RequestOption.builder().headers({"X-Lark-Helpdesk-Authorization": header})
    return client, option.build()


def people(api: httpx.Client) -> tuple[list[str], str]:
    """Guests of the demo and one of its agents."""
    tickets = api.get(LIST_PATH, params={"page_size": 40}).json()["data"]["tickets"]
    agent = next(t["agent_owner"]["id"] for t in tickets if "agent_owner" in t)
    guests = list(dict.fromkeys(t["guest"]["id"] for t in tickets))
    return guests, agent


def start(sdk: tuple[Any, Any], guest: str, agent: str | None = None) -> str:
    from lark_oapi.api.helpdesk.v1 import StartServiceTicketRequest, StartServiceTicketRequestBody

    client, option = sdk
    body = StartServiceTicketRequestBody.builder().open_id(guest)
    if agent:
        body = body.human_service(True).appointed_agents([agent])
    request = StartServiceTicketRequest.builder().request_body(body.build()).build()
    started = client.helpdesk.v1.ticket.start_service(request, option)
    assert started.success(), started.msg
    return str(started.data.ticket_id)


def say(live: Wire, ticket_id: str, **body: Any) -> dict[str, Any]:
    with live.client() as client:
        answer = client.post(
            f"/larkdesk/v1/tickets/{ticket_id}/messages",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            json=body,
        )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def test_ticket_messages_and_images_through_lark_oapi(
    server: tuple[Wire, dict[str, str]], api: httpx.Client, sdk: tuple[Any, Any]
) -> None:
    from lark_oapi.api.helpdesk.v1 import (
        CreateTicketMessageRequest,
        CreateTicketMessageRequestBody,
        ListTicketMessageRequest,
        TicketImageTicketRequest,
    )

    client, option = sdk
    guests, agent = people(api)
    tid = start(sdk, guests[0], agent)
    since = int(time.time()) - 1
    say(server[0], tid, **{"as": "guest", "content": "the VPN drops every hour"})
    image = say(server[0], tid, **{"as": "guest", "image": base64.b64encode(PNG).decode()})
    body = CreateTicketMessageRequestBody.builder().msg_type("text")
    request = CreateTicketMessageRequest.builder().ticket_id(tid)
    made = client.helpdesk.v1.ticket_message.create(
        request.request_body(
            body.content(json.dumps({"text": "Try the new profile"})).build()
        ).build(),
        option,
    )
    assert made.success(), made.msg
    assert made.data.message_id.startswith("om_")
    until = int(time.time()) + 1
    listed = client.helpdesk.v1.ticket_message.list(
        ListTicketMessageRequest.builder()
        .ticket_id(tid)
        .time_start(since)
        .time_end(until)
        .page(1)
        .page_size(10)
        .build(),
        option,
    )
    assert listed.success(), listed.msg
    assert listed.data.total == 3
    first, picture, answer = listed.data.messages
    assert (first.user_id, first.message_type, first.content) == (
        guests[0],
        "text",
        "the VPN drops every hour",
    )
    assert picture.message_type == "image" and picture.id == image["ticket_message_id"]
    assert (answer.message_id, answer.user_id) == (made.data.message_id, agent)
    assert answer.content == "Try the new profile" and answer.created_at >= since * 1000
    got = client.helpdesk.v1.ticket.ticket_image(
        TicketImageTicketRequest.builder().ticket_id(tid).msg_id(picture.id).index(0).build(),
        option,
    )
    assert got.success() and got.file.read() == PNG
    # lark-oapi takes file_name from exactly "Content-Disposition"; uvicorn's httptools
    # writes header names in lower case (FIDELITY.md's header-case point, server-wide), so
    # check the header itself here.
    headers = {name.lower(): value for name, value in got.raw.headers.items()}
    assert headers["content-disposition"] == f'attachment; filename="{picture.content}.png"'
    assert headers["content-type"] == "image/png"
    ticket = api.get(f"{LIST_PATH}/{tid}").json()["data"]["ticket"]
    assert ticket["agent_first_response_time"] == answer.created_at == ticket["updated_at"]
    refused = client.helpdesk.v1.ticket_message.create(
        request.request_body(body.msg_type("card").content("{}").build()).build(), option
    )
    assert refused.code == 154000 and "msg_type" in refused.msg


def test_ticket_messages_through_async_lark_oapi(api: httpx.Client, sdk: tuple[Any, Any]) -> None:
    """lark-oapi's async calls (`acreate`, `alist`) reach the same endpoints alike."""
    import asyncio

    from lark_oapi.api.helpdesk.v1 import (
        CreateTicketMessageRequest,
        CreateTicketMessageRequestBody,
        ListTicketMessageRequest,
    )

    client, option = sdk
    guests, agent = people(api)
    tid = start(sdk, guests[-1], agent)
    body = CreateTicketMessageRequestBody.builder().msg_type("text").content("async hello")
    create = CreateTicketMessageRequest.builder().ticket_id(tid).request_body(body.build())
    listing = ListTicketMessageRequest.builder().ticket_id(tid).page_size(5).build()

    async def talk() -> tuple[Any, Any]:
        made = await client.helpdesk.v1.ticket_message.acreate(create.build(), option)
        return made, await client.helpdesk.v1.ticket_message.alist(listing, option)

    made, listed = asyncio.run(talk())
    assert made.success(), made.msg
    assert listed.success(), listed.msg
    assert [m.message_id for m in listed.data.messages] == [made.data.message_id]
    assert listed.data.messages[0].content == "async hello"


def bot_says(guest: str, text: str) -> Any:
    """lark-oapi's bot-message request: `text` into the guest's conversation."""
    from lark_oapi.api.helpdesk.v1 import BotMessage, CreateBotMessageRequest

    message = (
        BotMessage.builder()
        .msg_type("text")
        .content(json.dumps({"text": text}))
        .receiver_id(guest)
        .receive_type("chat")
        .build()
    )
    return CreateBotMessageRequest.builder().user_id_type("open_id").request_body(message).build()


def faq_answer(ticket_id: str, faq_id: str, score: float) -> Any:
    """lark-oapi's answer_user_query request: one FAQ with its score."""
    from lark_oapi.api.helpdesk.v1 import (
        AnswerUserQueryTicketRequest,
        AnswerUserQueryTicketRequestBody,
        UserQueryFaqInfo,
    )

    faq = UserQueryFaqInfo.builder().id(faq_id).score(score).build()
    body = AnswerUserQueryTicketRequestBody.builder().event_id("ev").faqs([faq]).build()
    return AnswerUserQueryTicketRequest.builder().ticket_id(ticket_id).request_body(body).build()


def test_bot_messages_and_faq_answers_through_lark_oapi(
    api: httpx.Client, sdk: tuple[Any, Any]
) -> None:
    from lark_oapi.api.helpdesk.v1 import ListTicketMessageRequest

    client, option = sdk
    guests, agent = people(api)
    tid = start(sdk, guests[1])
    sent = client.helpdesk.v1.bot_message.create(
        bot_says(guests[1], "Hello, I am the helpdesk bot"), option
    )
    assert sent.success(), sent.msg
    answer = faq_answer(tid, "6900000000000000042", 0.75)
    answered = client.helpdesk.v1.ticket.answer_user_query(answer, option)
    assert answered.success(), answered.msg
    listed = client.helpdesk.v1.ticket_message.list(
        ListTicketMessageRequest.builder().ticket_id(tid).build(), option
    )
    hello, faq_answered = listed.data.messages
    assert hello.message_id == sent.data.message_id and hello.user_id is None
    assert faq_answered.content == "FAQ 6900000000000000042 (score 0.75)"
    human = start(sdk, guests[2], agent)
    refused = client.helpdesk.v1.ticket.answer_user_query(
        faq_answer(human, "6900000000000000042", 0.75), option
    )
    assert refused.code == 154000 and "agent" in refused.msg


def test_cli_ticket_say_round_trip(
    server: tuple[Wire, dict[str, str]],
    api: httpx.Client,
    sdk: tuple[Any, Any],
    tmp_path: Path,
) -> None:
    live = server[0]
    guests, agent = people(api)
    tid = start(sdk, guests[3], agent)
    guest_said = larkdesk("ticket", "say", tid, "--as", "guest", "it is broken", db=live.db)
    printed = json.loads(guest_said.stdout)
    assert printed["position"] == 1 and printed["msg_type"] == "text"
    listed = api.get(f"{LIST_PATH}/{tid}/messages").json()["data"]
    assert listed["messages"][0]["content"] == "it is broken"
    assert listed["messages"][0]["message_id"] == printed["message_id"]
    assert "agent_first_response_time" not in api.get(f"{LIST_PATH}/{tid}").json()["data"]["ticket"]
    agent_said = larkdesk("ticket", "say", tid, "--as", "agent", "fixed", db=live.db)
    answered = json.loads(agent_said.stdout)
    ticket = api.get(f"{LIST_PATH}/{tid}").json()["data"]["ticket"]
    assert ticket["agent_first_response_time"] == answered["created_at"]
    picture = tmp_path / "screen.png"
    picture.write_bytes(PNG)
    shown = larkdesk(
        "ticket", "say", tid, "--as", "guest", "--image", str(picture), "see", db=live.db
    )
    image_line, text_line = (json.loads(line) for line in shown.stdout.splitlines())
    assert (image_line["msg_type"], text_line["msg_type"]) == ("image", "text")
    assert (image_line["position"], text_line["position"]) == (3, 4)
    for args, words in (
        ([tid, "--as", "guest"], "give TEXT"),
        (["1", "--as", "guest", "x"], "no ticket"),
        ([tid, "--as", "agent", "--agent", "ou_nobody", "x"], "not an agent of the ticket"),
    ):
        failed = larkdesk("ticket", "say", *args, db=live.db, check=False)
        assert failed.returncode != 0 and words in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr


def test_bot_messages_and_faq_answers_through_async_lark_oapi(
    api: httpx.Client, sdk: tuple[Any, Any]
) -> None:
    """lark-oapi's async `bot_message.acreate` and `ticket.aanswer_user_query`."""
    import asyncio

    client, option = sdk
    guests, _ = people(api)
    tid = start(sdk, guests[3])

    async def talk() -> tuple[Any, Any]:
        sent = await client.helpdesk.v1.bot_message.acreate(
            bot_says(guests[3], "async bot"), option
        )
        answered = await client.helpdesk.v1.ticket.aanswer_user_query(
            faq_answer(tid, "6900000000000000043", 0.5), option
        )
        return sent, answered

    sent, answered = asyncio.run(talk())
    assert sent.success(), sent.msg
    assert answered.success(), answered.msg
    shown = api.get(f"{LIST_PATH}/{tid}/messages").json()["data"]["messages"]
    assert [m["content"] for m in shown] == ["async bot", "FAQ 6900000000000000043 (score 0.5)"]
