"""Agents, schedules and skills on the wire (lark-oapi's `AgentSchedule`, `AgentUser`,
`WeekdaySchedule`, `AgentSkill`, `AgentSkillRule`, ...) and the bodies of their APIs."""

from __future__ import annotations

import msgspec


class WeekdaySchedule(msgspec.Struct, omit_defaults=True):
    start_time: str | None = None
    end_time: str | None = None
    weekday: int | None = None


class AgentUser(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    avatar_url: str | None = None
    name: str | None = None
    email: str | None = None
    department: str | None = None
    company_name: str | None = None


class AgentSkillLessInfo(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    name: str | None = None
    is_default: bool | None = None


class AgentSchedule(msgspec.Struct, omit_defaults=True):
    status: int | None = None
    agent: AgentUser | None = None
    schedule: list[WeekdaySchedule] | None = None
    agent_skills: list[AgentSkillLessInfo] | None = None


class ScheduleInfo(msgspec.Struct):
    """lark-oapi's `AgentScheduleUpdateInfo`."""

    agent_id: str | None = None
    schedule: list[WeekdaySchedule] | None = None
    agent_skill_ids: list[str] | None = None


class CreateSchedulesBody(msgspec.Struct):
    agent_schedules: list[ScheduleInfo] | None = None


class PatchScheduleBody(msgspec.Struct):
    agent_schedule: ScheduleInfo | None = None


class StoredSchedule(msgspec.Struct):
    schedule: list[WeekdaySchedule]
    agent_skill_ids: list[str]


class SkillRule(msgspec.Struct, omit_defaults=True):
    """lark-oapi's `AgentSkillRule`: a rule of the catalogue (`GET /agent_skill_rules`)
    with the operator and operand a skill chose."""

    id: str | None = None
    selected_operator: int | None = None
    operator_options: list[int] | None = None
    operand: str | None = None
    category: int | None = None
    display_name: str | None = None


class StoredSkill(msgspec.Struct, omit_defaults=True):
    name: str
    rules: list[SkillRule]
    agent_ids: list[str]
    is_default: bool = False


class AgentSkill(msgspec.Struct, omit_defaults=True):
    id: str | None = None
    helpdesk_id: str | None = None
    name: str | None = None
    rules: list[SkillRule] | None = None
    agent_ids: list[str] | None = None
    is_default: bool | None = None
    agents: list[AgentUser] | None = None
    agent_skill_id: str | None = None


class SkillBody(msgspec.Struct):
    """Create's body, and patch's `agent_skill` (lark-oapi's `AgentSkill`: ids ignored)."""

    name: str | None = None
    rules: list[SkillRule] | None = None
    agent_ids: list[str] | None = None
    id: str | None = None
    agent_skill_id: str | None = None
    helpdesk_id: str | None = None
    is_default: bool | None = None


class PatchSkillBody(msgspec.Struct):
    agent_skill: SkillBody | None = None


class PatchAgentBody(msgspec.Struct):
    status: int | None = None


encode = msgspec.json.Encoder().encode
decode_schedule = msgspec.json.Decoder(StoredSchedule).decode
decode_skill = msgspec.json.Decoder(StoredSkill).decode
