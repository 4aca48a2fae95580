"""A helpdesk's agents: who they are, their status, their weekly schedule. No HTTP, no SQL.

Decisions where Feishu's documents are silent (docs/api.md):
- an agent is a user of the helpdesk's tenant added with `larkdesk agent add`;
- status 1 is online, 2 offline (new agents are online);
- a schedule is a list of `{weekday, start_time, end_time}`: weekday 1-7 (Monday-Sunday),
  9 every day, 10 weekdays, 11 weekends; times "HH:MM", start before end;
- `agent_emails` answers the agents' emails joined by commas (agents without one left out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ...errors import BadRequest, ResourceNotFound
from ...store.agent_records import AgentRecord
from ...store.base import Store, User
from ..ids import now_ms
from .bodies import (
    AgentSchedule,
    AgentSkillLessInfo,
    AgentUser,
    ScheduleInfo,
    StoredSchedule,
    WeekdaySchedule,
    decode_schedule,
    decode_skill,
    encode,
)

ONLINE, OFFLINE = 1, 2
STATUSES = (ONLINE, OFFLINE)
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7, 9, 10, 11)
MAX_SLOTS = 50
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")


def agent_user(user: User | None, agent_id: str) -> AgentUser:
    if user is None:
        return AgentUser(id=agent_id)
    return AgentUser(
        id=user.user_id,
        avatar_url=user.avatar_url or None,
        name=user.name,
        email=user.email or None,
        department=user.department or None,
    )


def check_status(name: str, status: int | None) -> int:
    if status is None:
        raise BadRequest(f"{name} is required")
    if status not in STATUSES:
        raise BadRequest(f"{name} must be 1 (online) or 2 (offline), got {status}")
    return status


class Agents:
    def __init__(self, store: Store, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._clock = clock

    def add(self, helpdesk_id: str, user_ids: Sequence[str]) -> list[AgentRecord]:
        """Make tenant users agents of the helpdesk (`larkdesk agent add`); idempotent."""
        helpdesk = self._store.get_helpdesk(helpdesk_id)
        if helpdesk is None:
            raise ResourceNotFound(f"no helpdesk with id {helpdesk_id!r}")
        records = []
        at = self._clock()
        for n, user_id in enumerate(dict.fromkeys(user_ids)):
            user = self._store.get_user(user_id)
            if user is None or user.tenant_key != helpdesk.tenant_key:
                raise BadRequest(f"the helpdesk's tenant has no user {user_id!r}")
            found = self._store.get_agent(helpdesk_id, user_id)
            # one millisecond apart: the order they were added in is the order listed
            records.append(found or AgentRecord(helpdesk_id, user_id, ONLINE, at + n))
        self._store.save_agents(records)
        return records

    def get(self, helpdesk_id: str, agent_id: str) -> AgentRecord:
        found = self._store.get_agent(helpdesk_id, agent_id)
        if found is None:
            raise ResourceNotFound(f"the helpdesk has no agent {agent_id!r}")
        return found

    def emails(self, helpdesk_id: str) -> str:
        users = (self._store.get_user(a.agent_id) for a in self._store.list_agents(helpdesk_id))
        return ",".join(u.email for u in users if u is not None and u.email)

    def set_status(self, helpdesk_id: str, agent_id: str, status: int | None) -> None:
        agent = self.get(helpdesk_id, agent_id)
        status = check_status("status", status)
        self._store.save_agents(
            [AgentRecord(helpdesk_id, agent_id, status, agent.created_at, agent.schedule)]
        )

    def schedule_of(self, helpdesk_id: str, agent_id: str) -> AgentSchedule:
        return self._wire(self.get(helpdesk_id, agent_id))

    def list_schedules(self, helpdesk_id: str, statuses: Sequence[int]) -> list[AgentSchedule]:
        """The schedules of the helpdesk's agents that have one (of those statuses)."""
        for status in statuses:
            check_status("status", status)
        return [
            self._wire(a)
            for a in self._store.list_agents(helpdesk_id)
            if a.schedule is not None and (not statuses or a.status in statuses)
        ]

    def create_schedules(self, helpdesk_id: str, infos: list[ScheduleInfo] | None) -> None:
        if not infos:
            raise BadRequest("agent_schedules must hold at least one schedule")
        records = []
        for n, info in enumerate(infos):
            name = f"agent_schedules[{n}]"
            if not info.agent_id:
                raise BadRequest(f"{name}.agent_id is required")
            agent = self._store.get_agent(helpdesk_id, info.agent_id)
            if agent is None:
                raise BadRequest(f"{name}.agent_id: the helpdesk has no agent {info.agent_id!r}")
            records.append(self._scheduled(helpdesk_id, agent, info, name))
        self._store.save_agents(records)

    def patch_schedule(self, helpdesk_id: str, agent_id: str, info: ScheduleInfo | None) -> None:
        agent = self.get(helpdesk_id, agent_id)
        if info is None:
            raise BadRequest("agent_schedule is required")
        if info.schedule is None and info.agent_skill_ids is None:
            raise BadRequest("nothing to change: give agent_schedule.schedule or agent_skill_ids")
        current = decode_schedule(agent.schedule) if agent.schedule else StoredSchedule([], [])
        merged = ScheduleInfo(
            agent_id,
            info.schedule if info.schedule is not None else current.schedule,
            info.agent_skill_ids if info.agent_skill_ids is not None else current.agent_skill_ids,
        )
        self._store.save_agents([self._scheduled(helpdesk_id, agent, merged, "agent_schedule")])

    def delete_schedule(self, helpdesk_id: str, agent_id: str) -> None:
        agent = self.get(helpdesk_id, agent_id)
        self._store.save_agents(
            [AgentRecord(helpdesk_id, agent_id, agent.status, agent.created_at, None)]
        )

    def _scheduled(
        self, helpdesk_id: str, agent: AgentRecord, info: ScheduleInfo, name: str
    ) -> AgentRecord:
        slots = _checked_slots(name, info.schedule or [])
        skills = {s.agent_skill_id for s in self._store.list_agent_skills(helpdesk_id)}
        skill_ids = list(dict.fromkeys(info.agent_skill_ids or ()))
        for n, skill_id in enumerate(skill_ids):
            if skill_id not in skills:
                raise BadRequest(
                    f"{name}.agent_skill_ids[{n}]: the helpdesk has no skill {skill_id!r}"
                )
        body = encode(StoredSchedule(slots, skill_ids))
        return AgentRecord(helpdesk_id, agent.agent_id, agent.status, agent.created_at, body)

    def _wire(self, agent: AgentRecord) -> AgentSchedule:
        stored = decode_schedule(agent.schedule) if agent.schedule else StoredSchedule([], [])
        skills = {s.agent_skill_id: s for s in self._store.list_agent_skills(agent.helpdesk_id)}
        named = []
        for skill_id in stored.agent_skill_ids:
            if skill_id in skills:  # a deleted skill drops out of the schedules naming it
                skill = decode_skill(skills[skill_id].body)
                named.append(AgentSkillLessInfo(skill_id, skill.name, skill.is_default))
        return AgentSchedule(
            status=agent.status,
            agent=agent_user(self._store.get_user(agent.agent_id), agent.agent_id),
            schedule=stored.schedule,
            agent_skills=named,
        )


def _checked_slots(name: str, slots: list[WeekdaySchedule]) -> list[WeekdaySchedule]:
    if len(slots) > MAX_SLOTS:
        raise BadRequest(f"{name}.schedule: at most {MAX_SLOTS} entries")
    for n, slot in enumerate(slots):
        where = f"{name}.schedule[{n}]"
        if slot.weekday not in WEEKDAYS:
            raise BadRequest(f"{where}.weekday must be 1-7, 9, 10 or 11, got {slot.weekday}")
        for key in ("start_time", "end_time"):
            value = getattr(slot, key)
            if value is None or not _TIME.fullmatch(value):
                raise BadRequest(f"{where}.{key} must be HH:MM, got {value!r}")
        if (slot.start_time or "") >= (slot.end_time or ""):
            raise BadRequest(f"{where}: start_time must be before end_time")
    return slots
