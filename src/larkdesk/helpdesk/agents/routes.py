"""Thin HTTP handlers for agents, schedules and skills: read parameters, one service call,
wrap. Reads accept `helpdesk:all:readonly` or `helpdesk:all`; writes need `helpdesk:all`;
each API has its own rate-limit counter at Feishu's helpdesk tier."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ..json_body import decode_body, read_body
from ..params import group_params, parse_int
from ..scopes import READ_SCOPES, WRITE_SCOPES
from ..surface import PREFIX
from .bodies import (
    CreateSchedulesBody,
    PatchAgentBody,
    PatchScheduleBody,
    PatchSkillBody,
    SkillBody,
)
from .service import Agents
from .skills import AgentSkills


def _api(name: str, scopes: tuple[str, ...]) -> Api:
    """Writes are USER-token APIs in lark-oapi: they take a user's token too."""
    writes = scopes == WRITE_SCOPES
    return Api("helpdesk.v1." + name, scopes, FEISHU_HELPDESK_LIMITS, user_token=writes)


AGENT_EMAILS = _api("agent.agent_email", READ_SCOPES)
PATCH_AGENT = _api("agent.patch", WRITE_SCOPES)
GET_SCHEDULE = _api("agent_schedules.get", READ_SCOPES)
PATCH_SCHEDULE = _api("agent_schedules.patch", WRITE_SCOPES)
DELETE_SCHEDULE = _api("agent_schedules.delete", WRITE_SCOPES)
LIST_SCHEDULES = _api("agent_schedule.list", READ_SCOPES)
CREATE_SCHEDULES = _api("agent_schedule.create", WRITE_SCOPES)
LIST_SKILLS, GET_SKILL = _api("agent_skill.list", READ_SCOPES), _api("agent_skill.get", READ_SCOPES)
CREATE_SKILL = _api("agent_skill.create", WRITE_SCOPES)
PATCH_SKILL = _api("agent_skill.patch", WRITE_SCOPES)
DELETE_SKILL = _api("agent_skill.delete", WRITE_SCOPES)
SKILL_RULES = _api("agent_skill_rule.list", READ_SCOPES)


class AgentRoutes:
    def __init__(self, gateway: Gateway, agents: Agents, skills: AgentSkills) -> None:
        self._gateway = gateway
        self._agents = agents
        self._skills = skills

    async def agent_emails(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, AGENT_EMAILS)
        emails = await anyio.to_thread.run_sync(self._agents.emails, caller.helpdesk.helpdesk_id)
        return envelope.success({"agents": emails})

    async def patch_agent(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_AGENT)
        body = decode_body(await read_body(request), PatchAgentBody)
        await anyio.to_thread.run_sync(
            self._agents.set_status,
            caller.helpdesk.helpdesk_id,
            request.path_params["agent_id"],
            body.status,
        )
        return envelope.success({})

    async def get_schedule(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_SCHEDULE)
        found = await anyio.to_thread.run_sync(
            self._agents.schedule_of, caller.helpdesk.helpdesk_id, request.path_params["agent_id"]
        )
        return envelope.success({"agent_schedule": found})

    async def patch_schedule(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_SCHEDULE)
        body = decode_body(await read_body(request), PatchScheduleBody)
        await anyio.to_thread.run_sync(
            self._agents.patch_schedule,
            caller.helpdesk.helpdesk_id,
            request.path_params["agent_id"],
            body.agent_schedule,
        )
        return envelope.success({})

    async def delete_schedule(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_SCHEDULE)
        await anyio.to_thread.run_sync(
            self._agents.delete_schedule,
            caller.helpdesk.helpdesk_id,
            request.path_params["agent_id"],
        )
        return envelope.success({})

    async def list_schedules(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_SCHEDULES)
        params = group_params(request.query_params.multi_items())
        statuses = [
            parse_int("status", part.strip())
            for value in params.get("status", ())
            for part in value.split(",")
            if part.strip()
        ]
        found = await anyio.to_thread.run_sync(
            self._agents.list_schedules, caller.helpdesk.helpdesk_id, statuses
        )
        return envelope.success({"agent_schedules": found})

    async def create_schedules(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_SCHEDULES)
        body = decode_body(await read_body(request), CreateSchedulesBody)
        await anyio.to_thread.run_sync(
            self._agents.create_schedules, caller.helpdesk.helpdesk_id, body.agent_schedules
        )
        return envelope.success({})

    async def list_skills(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_SKILLS)
        found = await anyio.to_thread.run_sync(
            self._skills.list_skills, caller.helpdesk.helpdesk_id
        )
        return envelope.success({"agent_skills": found})

    async def create_skill(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_SKILL)
        body = decode_body(await read_body(request), SkillBody)
        skill_id = await anyio.to_thread.run_sync(
            self._skills.create, caller.helpdesk.helpdesk_id, body
        )
        return envelope.success({"agent_skill_id": skill_id})

    async def get_skill(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_SKILL)
        found = await anyio.to_thread.run_sync(
            self._skills.get, caller.helpdesk.helpdesk_id, request.path_params["agent_skill_id"]
        )
        return envelope.success({"agent_skill": found})

    async def patch_skill(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_SKILL)
        body = decode_body(await read_body(request), PatchSkillBody)
        await anyio.to_thread.run_sync(
            self._skills.patch,
            caller.helpdesk.helpdesk_id,
            request.path_params["agent_skill_id"],
            body.agent_skill,
        )
        return envelope.success({})

    async def delete_skill(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_SKILL)
        await anyio.to_thread.run_sync(
            self._skills.delete, caller.helpdesk.helpdesk_id, request.path_params["agent_skill_id"]
        )
        return envelope.success({})

    async def skill_rules(self, request: Request) -> Response:
        await self._gateway.admit(request.headers, SKILL_RULES)
        return envelope.success({"rules": self._skills.rules()})

    def routes(self) -> list[Route]:
        agent, skill = PREFIX + "/agents/{agent_id}", PREFIX + "/agent_skills/{agent_skill_id}"
        return [
            Route(PREFIX + "/agent_emails", self.agent_emails, methods=["GET"]),
            Route(agent, self.patch_agent, methods=["PATCH"]),
            Route(agent + "/schedules", self.get_schedule, methods=["GET"]),
            Route(agent + "/schedules", self.patch_schedule, methods=["PATCH"]),
            Route(agent + "/schedules", self.delete_schedule, methods=["DELETE"]),
            Route(PREFIX + "/agent_schedules", self.list_schedules, methods=["GET"]),
            Route(PREFIX + "/agent_schedules", self.create_schedules, methods=["POST"]),
            Route(PREFIX + "/agent_skills", self.list_skills, methods=["GET"]),
            Route(PREFIX + "/agent_skills", self.create_skill, methods=["POST"]),
            Route(skill, self.get_skill, methods=["GET"]),
            Route(skill, self.patch_skill, methods=["PATCH"]),
            Route(skill, self.delete_skill, methods=["DELETE"]),
            Route(PREFIX + "/agent_skill_rules", self.skill_rules, methods=["GET"]),
        ]
