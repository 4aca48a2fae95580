"""Agent skills: a name, rules from the catalogue (`GET /agent_skill_rules`) and the
agents who have it. No HTTP, no SQL.

Decisions where Feishu's documents are silent (docs/api.md): the rule catalogue is
larkdesk's own (below); operators are 1 equals, 2 does not equal, 3 contains; a rule's
`operand` is text; every agent id must be one of the helpdesk's agents.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import BadRequest, ResourceNotFound
from ...store.agent_records import SkillRecord
from ...store.base import Store
from ..ids import now_ms, snowflake
from ..json_body import check_text
from .bodies import AgentSkill, SkillBody, SkillRule, StoredSkill, decode_skill, encode
from .service import agent_user

EQUALS, NOT_EQUALS, CONTAINS = 1, 2, 3
RULES = (
    SkillRule(id="1", display_name="Ticket channel", category=1, operator_options=[1, 2]),
    SkillRule(id="2", display_name="User language", category=2, operator_options=[1, 2]),
    SkillRule(id="3", display_name="Customized info", category=3, operator_options=[1, 2, 3]),
)
MAX_NAME, MAX_OPERAND, MAX_RULES = 100, 1000, 20


class AgentSkills:
    def __init__(self, store: Store, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._clock = clock

    def rules(self) -> list[SkillRule]:
        return list(RULES)

    def create(self, helpdesk_id: str, body: SkillBody) -> str:
        if body.name is None:
            raise BadRequest("name is required")
        stored = self._checked(helpdesk_id, body.name, body.rules or [], body.agent_ids or [])
        at = self._clock()
        skill_id = str(snowflake(at))
        self._store.save_agent_skill(SkillRecord(skill_id, helpdesk_id, at, encode(stored)))
        return skill_id

    def get(self, helpdesk_id: str, skill_id: str) -> AgentSkill:
        return self._wire(self._record(helpdesk_id, skill_id))

    def list_skills(self, helpdesk_id: str) -> list[AgentSkill]:
        return [self._wire(r) for r in self._store.list_agent_skills(helpdesk_id)]

    def patch(self, helpdesk_id: str, skill_id: str, body: SkillBody | None) -> None:
        record = self._record(helpdesk_id, skill_id)
        if body is None:
            raise BadRequest("agent_skill is required")
        if body.name is None and body.rules is None and body.agent_ids is None:
            raise BadRequest("nothing to change: give agent_skill.name, rules or agent_ids")
        current = decode_skill(record.body)
        stored = self._checked(
            helpdesk_id,
            body.name if body.name is not None else current.name,
            body.rules if body.rules is not None else current.rules,
            body.agent_ids if body.agent_ids is not None else current.agent_ids,
            "agent_skill.",
        )
        stored.is_default = current.is_default
        self._store.save_agent_skill(
            SkillRecord(skill_id, helpdesk_id, record.created_at, encode(stored))
        )

    def delete(self, helpdesk_id: str, skill_id: str) -> None:
        if not self._store.delete_agent_skill(helpdesk_id, skill_id):
            raise ResourceNotFound(f"the helpdesk has no agent skill {skill_id!r}")

    def _record(self, helpdesk_id: str, skill_id: str) -> SkillRecord:
        for record in self._store.list_agent_skills(helpdesk_id):
            if record.agent_skill_id == skill_id:
                return record
        raise ResourceNotFound(f"the helpdesk has no agent skill {skill_id!r}")

    def _checked(
        self,
        helpdesk_id: str,
        name: str,
        rules: list[SkillRule],
        agent_ids: list[str],
        prefix: str = "",
    ) -> StoredSkill:
        check_text(f"{prefix}name", name, MAX_NAME)
        if len(rules) > MAX_RULES:
            raise BadRequest(f"{prefix}rules: at most {MAX_RULES}")
        catalogue = {r.id: r for r in RULES}
        chosen = []
        for n, rule in enumerate(rules):
            where = f"{prefix}rules[{n}]"
            known = catalogue.get(rule.id)
            if known is None:
                raise BadRequest(f"{where}.id: no rule {rule.id!r} (see GET agent_skill_rules)")
            if rule.selected_operator not in (known.operator_options or ()):
                raise BadRequest(
                    f"{where}.selected_operator must be one of {known.operator_options}"
                )
            check_text(f"{where}.operand", rule.operand or "", MAX_OPERAND)
            chosen.append(
                SkillRule(
                    id=known.id,
                    selected_operator=rule.selected_operator,
                    operator_options=known.operator_options,
                    operand=rule.operand,
                    category=known.category,
                    display_name=known.display_name,
                )
            )
        agents = {a.agent_id for a in self._store.list_agents(helpdesk_id)}
        for n, agent_id in enumerate(agent_ids):
            if agent_id not in agents:
                raise BadRequest(f"{prefix}agent_ids[{n}]: the helpdesk has no agent {agent_id!r}")
        return StoredSkill(name.strip(), chosen, list(dict.fromkeys(agent_ids)))

    def _wire(self, record: SkillRecord) -> AgentSkill:
        stored = decode_skill(record.body)
        return AgentSkill(
            id=record.agent_skill_id,
            agent_skill_id=record.agent_skill_id,
            helpdesk_id=record.helpdesk_id,
            name=stored.name,
            rules=stored.rules,
            agent_ids=stored.agent_ids,
            is_default=stored.is_default,
            agents=[agent_user(self._store.get_user(a), a) for a in stored.agent_ids],
        )
