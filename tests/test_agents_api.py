"""Agents, schedules and skills over the wire on each store, driven with httpx and
lark-oapi; the people and agents come from `larkdesk user add` / `larkdesk agent add`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import lark_oapi as lark
import pytest
from lark_oapi.api.helpdesk.v1 import (
    AgentEmailAgentRequest,
    CreateAgentSkillRequest,
    CreateAgentSkillRequestBody,
    GetAgentSchedulesRequest,
    ListAgentSkillRuleRequest,
    PatchAgentRequest,
    PatchAgentRequestBody,
)

from .backends import BACKEND_NAMES, db_location, open_backend
from .conftest import TOKEN_PATH, Identity, larkdesk, provision
from .served import api_client as http
from .served import ok, sibling_desk
from .test_lifecycle import assert_bad_request
from .wire import Wire, serve

PREFIX = "/open-apis/helpdesk/v1"
PEOPLE = [
    {"open_id": "ou_agent_li", "name": "李雷", "email": "li@example.com", "department": "IT"},
    {"open_id": "ou_agent_han", "name": "韩梅梅", "email": "han@example.com"},
    {"open_id": "ou_agent_kim", "name": "Kim Park"},
]


@dataclass
class Desk:
    wire: Wire
    main: Identity
    sibling: Identity


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("agents")
    with open_backend(request.param, tmp) as store:
        main = provision(store, name=f"agents-{request.param}")
        sibling = sibling_desk(store, main)
        db = db_location(store)
        people = tmp / "people.ndjson"
        people.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PEOPLE) + "\n")
        added = larkdesk(
            "agent", "add", "--helpdesk", main.helpdesk_id, "--ndjson", str(people), db=db
        )
        lines = [json.loads(line) for line in added.stdout.splitlines()]
        assert [line["open_id"] for line in lines] == [p["open_id"] for p in PEOPLE]
        assert lines[0] == {**PEOPLE[0], "status": "1"}
        outsider = larkdesk("user", "add", "--app", main.app_id, "--name", "Guest Only", db=db)
        assert json.loads(outsider.stdout)["open_id"].startswith("ou_")
        with serve(db, "--rate-limit", "off") as wire:
            yield Desk(wire, main, sibling)


@pytest.fixture(scope="module")
def api(desk: Desk) -> Iterator[httpx.Client]:
    with http(desk.wire, desk.main) as client:
        yield client


def not_found(response: httpx.Response) -> None:
    assert (response.status_code, response.json()["code"]) == (404, 154004), response.text


def test_agent_emails_and_status(api: httpx.Client) -> None:
    assert ok(api.get(f"{PREFIX}/agent_emails")) == {"agents": "li@example.com,han@example.com"}
    ok(api.patch(f"{PREFIX}/agents/ou_agent_han", json={"status": 2}))
    schedule = ok(api.get(f"{PREFIX}/agents/ou_agent_han/schedules"))["agent_schedule"]
    assert schedule["status"] == 2 and schedule["agent"]["name"] == "韩梅梅"
    assert schedule["schedule"] == [] and schedule["agent_skills"] == []
    assert_bad_request(api.patch(f"{PREFIX}/agents/ou_agent_han", json={"status": 7}), "status")
    assert_bad_request(api.patch(f"{PREFIX}/agents/ou_agent_han", json={}), "status")
    assert_bad_request(
        api.patch(f"{PREFIX}/agents/ou_agent_han", json={"status": "1"}), "status", "int"
    )
    not_found(api.patch(f"{PREFIX}/agents/ou_nobody", json={"status": 1}))
    ok(api.patch(f"{PREFIX}/agents/ou_agent_han", json={"status": 1}))


def test_skills_and_schedules(api: httpx.Client) -> None:
    rules = ok(api.get(f"{PREFIX}/agent_skill_rules"))["rules"]
    assert [r["id"] for r in rules] == ["1", "2", "3"]
    body = {
        "name": "中文支持",
        "rules": [{"id": "2", "selected_operator": 1, "operand": "zh_cn"}],
        "agent_ids": ["ou_agent_li", "ou_agent_han"],
    }
    skill_id = ok(api.post(f"{PREFIX}/agent_skills", json=body))["agent_skill_id"]
    skill = ok(api.get(f"{PREFIX}/agent_skills/{skill_id}"))["agent_skill"]
    assert skill["name"] == "中文支持" and skill["agent_ids"] == body["agent_ids"]
    assert [a["name"] for a in skill["agents"]] == ["李雷", "韩梅梅"]
    assert skill["rules"][0]["display_name"] == "User language"

    week = [{"weekday": 10, "start_time": "09:00", "end_time": "18:00"}]
    create = {
        "agent_schedules": [
            {"agent_id": "ou_agent_li", "schedule": week, "agent_skill_ids": [skill_id]},
            {"agent_id": "ou_agent_kim", "schedule": week},
        ]
    }
    ok(api.post(f"{PREFIX}/agent_schedules", json=create))
    mine = ok(api.get(f"{PREFIX}/agents/ou_agent_li/schedules"))["agent_schedule"]
    assert mine["schedule"] == week
    assert mine["agent_skills"] == [{"id": skill_id, "name": "中文支持", "is_default": False}]
    listed = ok(api.get(f"{PREFIX}/agent_schedules"))["agent_schedules"]
    assert sorted(s["agent"]["id"] for s in listed) == ["ou_agent_kim", "ou_agent_li"]
    ok(api.patch(f"{PREFIX}/agents/ou_agent_kim", json={"status": 2}))
    offline = ok(api.get(f"{PREFIX}/agent_schedules", params={"status": 2}))["agent_schedules"]
    assert [s["agent"]["id"] for s in offline] == ["ou_agent_kim"]

    weekend = [{"weekday": 11, "start_time": "10:00", "end_time": "24:00"}]
    patch = {"agent_schedule": {"schedule": weekend}}
    ok(api.patch(f"{PREFIX}/agents/ou_agent_li/schedules", json=patch))
    mine = ok(api.get(f"{PREFIX}/agents/ou_agent_li/schedules"))["agent_schedule"]
    assert mine["schedule"] == weekend and len(mine["agent_skills"]) == 1

    ok(api.patch(f"{PREFIX}/agent_skills/{skill_id}", json={"agent_skill": {"name": "Chinese"}}))
    assert ok(api.get(f"{PREFIX}/agent_skills"))["agent_skills"][0]["name"] == "Chinese"
    ok(api.delete(f"{PREFIX}/agent_skills/{skill_id}"))
    not_found(api.get(f"{PREFIX}/agent_skills/{skill_id}"))
    mine = ok(api.get(f"{PREFIX}/agents/ou_agent_li/schedules"))["agent_schedule"]
    assert mine["agent_skills"] == []
    ok(api.delete(f"{PREFIX}/agents/ou_agent_kim/schedules"))
    listed = ok(api.get(f"{PREFIX}/agent_schedules"))["agent_schedules"]
    assert [s["agent"]["id"] for s in listed] == ["ou_agent_li"]


def test_bad_bodies_name_the_field(api: httpx.Client) -> None:
    slot = {"weekday": 1, "start_time": "09:00", "end_time": "18:00"}
    cases = [
        ({"agent_schedules": []}, "agent_schedules"),
        ({"agent_schedules": [{"schedule": [slot]}]}, "agent_schedules[0].agent_id"),
        ({"agent_schedules": [{"agent_id": "ou_x"}]}, "agent_schedules[0].agent_id"),
        (
            {
                "agent_schedules": [
                    {"agent_id": "ou_agent_li", "schedule": [{**slot, "weekday": 8}]}
                ]
            },
            "agent_schedules[0].schedule[0].weekday",
        ),
        (
            {
                "agent_schedules": [
                    {"agent_id": "ou_agent_li", "schedule": [{**slot, "end_time": "9"}]}
                ]
            },
            "agent_schedules[0].schedule[0].end_time",
        ),
        (
            {
                "agent_schedules": [
                    {"agent_id": "ou_agent_li", "schedule": [{**slot, "start_time": "19:00"}]}
                ]
            },
            "start_time must be before end_time",
        ),
        (
            {"agent_schedules": [{"agent_id": "ou_agent_li", "agent_skill_ids": ["9"]}]},
            "agent_skill_ids[0]",
        ),
    ]
    for body, words in cases:
        assert_bad_request(api.post(f"{PREFIX}/agent_schedules", json=body), words)
    skills = f"{PREFIX}/agent_skills"
    assert_bad_request(api.post(skills, json={}), "name is required")
    assert_bad_request(api.post(skills, json={"name": "x", "agent_ids": ["ou_x"]}), "agent_ids[0]")
    assert_bad_request(
        api.post(skills, json={"name": "x", "rules": [{"id": "9", "selected_operator": 1}]}),
        "rules[0].id",
    )
    assert_bad_request(
        api.post(skills, json={"name": "x", "rules": [{"id": "1", "selected_operator": 3}]}),
        "rules[0].selected_operator",
    )
    assert_bad_request(api.get(f"{PREFIX}/agent_schedules", params={"status": "x"}), "status")
    not_found(api.get(f"{PREFIX}/agents/ou_nobody/schedules"))
    not_found(api.delete(f"{PREFIX}/agent_skills/404"))


def test_another_helpdesk_has_no_agents(desk: Desk, api: httpx.Client) -> None:
    skill_id = ok(api.post(f"{PREFIX}/agent_skills", json={"name": "mine"}))["agent_skill_id"]
    with http(desk.wire, desk.sibling) as other:
        assert ok(other.get(f"{PREFIX}/agent_emails")) == {"agents": ""}
        not_found(other.get(f"{PREFIX}/agents/ou_agent_li/schedules"))
        not_found(other.patch(f"{PREFIX}/agents/ou_agent_li", json={"status": 2}))
        not_found(other.get(f"{PREFIX}/agent_skills/{skill_id}"))
        assert ok(other.get(f"{PREFIX}/agent_skills"))["agent_skills"] == []
        assert ok(other.get(f"{PREFIX}/agent_schedules"))["agent_schedules"] == []
    ok(api.delete(f"{PREFIX}/agent_skills/{skill_id}"))


def test_agent_add_refuses_strangers(desk: Desk) -> None:
    out = larkdesk(
        "agent",
        "add",
        "--helpdesk",
        desk.main.helpdesk_id,
        "--user",
        "ou_stranger",
        db=desk.wire.db,
        check=False,
    )
    assert out.returncode != 0 and "no user 'ou_stranger'" in out.stderr


def test_through_lark_oapi(desk: Desk) -> None:
    client = (
        lark.Client.builder()
        .app_id(desk.main.app_id)
        .app_secret(desk.main.app_secret)
        .domain(desk.wire.base_url)
        .enable_set_token(True)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    with desk.wire.client() as raw:
        token = raw.post(
            TOKEN_PATH, json={"app_id": desk.main.app_id, "app_secret": desk.main.app_secret}
        ).json()["tenant_access_token"]
    option = (
        lark.RequestOption.builder()
        .tenant_access_token(token)
        .user_access_token(token)
        .headers({"X-Lark-Helpdesk-Authorization": desk.main.helpdesk_header})
        .build()
    )
    v1 = client.helpdesk.v1
    emails = v1.agent.agent_email(AgentEmailAgentRequest.builder().build(), option)
    assert emails.success() and "li@example.com" in emails.data.agents
    patched = v1.agent.patch(
        PatchAgentRequest.builder()
        .agent_id("ou_agent_li")
        .request_body(PatchAgentRequestBody.builder().status(1).build())
        .build(),
        option,
    )
    assert patched.success(), patched.msg
    made = v1.agent_skill.create(
        CreateAgentSkillRequest.builder()
        .request_body(
            CreateAgentSkillRequestBody.builder().name("SDK").agent_ids(["ou_agent_kim"]).build()
        )
        .build(),
        option,
    )
    assert made.success() and made.data.agent_skill_id
    got = v1.agent_schedules.get(
        GetAgentSchedulesRequest.builder().agent_id("ou_agent_kim").build(), option
    )
    assert got.success() and got.data.agent_schedule.agent.name == "Kim Park"
    rules = v1.agent_skill_rule.list(ListAgentSkillRuleRequest.builder().build(), option)
    assert [r.id for r in rules.data.rules] == ["1", "2", "3"]
