"""Each helpdesk's agents (status, schedule) and its agent skills."""

from __future__ import annotations

from typing import Any

from .agent_records import AgentRecord, SkillRecord, UserTokenRecord
from .identities import names_nothing
from .sql import REPLACE, Sql, Table

DAY_MS = 86_400_000
AGENTS = Table(
    "helpdesk_agents",
    (
        ("helpdesk_id", "text"),
        ("agent_id", "text"),
        ("status", "bigint"),
        ("created_at", "bigint"),
        ("schedule", "bytea"),
    ),
    key=("helpdesk_id", "agent_id"),
)
SKILLS = Table(
    "agent_skills",
    (
        ("agent_skill_id", "text"),
        ("helpdesk_id", "text"),
        ("created_at", "bigint"),
        ("body", "bytea"),
    ),
    key=("agent_skill_id",),
)


def _agent(row: tuple[Any, ...]) -> AgentRecord:
    helpdesk_id, agent_id, status, created_at, schedule = row
    return AgentRecord(
        helpdesk_id, agent_id, status, created_at, bytes(schedule) if schedule else None
    )


def save_agents(db: Sql, records: list[AgentRecord]) -> None:
    rows = [(r.helpdesk_id, r.agent_id, r.status, r.created_at, r.schedule) for r in records]
    db.insert_rows(AGENTS, rows, REPLACE)


def list_agents(db: Sql, helpdesk_id: str) -> list[AgentRecord]:
    rows = db.all(
        "SELECT helpdesk_id, agent_id, status, created_at, schedule FROM helpdesk_agents"
        " WHERE helpdesk_id = ? ORDER BY created_at, agent_id",
        (helpdesk_id,),
    )
    return [_agent(row) for row in rows]


def get_agent(db: Sql, helpdesk_id: str, agent_id: str) -> AgentRecord | None:
    if names_nothing(agent_id):
        return None
    row = db.one(
        "SELECT helpdesk_id, agent_id, status, created_at, schedule FROM helpdesk_agents"
        " WHERE helpdesk_id = ? AND agent_id = ?",
        (helpdesk_id, agent_id),
    )
    return _agent(row) if row else None


def save_skill(db: Sql, record: SkillRecord) -> None:
    r = record
    db.insert_rows(SKILLS, [(r.agent_skill_id, r.helpdesk_id, r.created_at, r.body)], REPLACE)


def list_skills(db: Sql, helpdesk_id: str) -> list[SkillRecord]:
    rows = db.all(
        "SELECT agent_skill_id, helpdesk_id, created_at, body FROM agent_skills"
        " WHERE helpdesk_id = ? ORDER BY created_at, agent_skill_id",
        (helpdesk_id,),
    )
    return [SkillRecord(s, h, c, bytes(b)) for s, h, c, b in rows]


def delete_skill(db: Sql, helpdesk_id: str, agent_skill_id: str) -> bool:
    if names_nothing(agent_skill_id):
        return False
    changed = db.run(
        "DELETE FROM agent_skills WHERE helpdesk_id = ? AND agent_skill_id = ?",
        (helpdesk_id, agent_skill_id),
    )
    return changed > 0


def save_user_token(db: Sql, record: UserTokenRecord) -> None:
    r = record
    stale = r.expires_at_ms - 2 * DAY_MS  # long expired: the table does not grow without end
    db.run("DELETE FROM user_access_tokens WHERE expires_at_ms < ?", (stale,))
    db.run(
        "INSERT INTO user_access_tokens (token_hash, app_id, user_id, expires_at_ms)"
        " VALUES (?, ?, ?, ?)",
        (r.token_hash, r.app_id, r.user_id, r.expires_at_ms),
    )


def find_user_token(db: Sql, token_hash: str) -> UserTokenRecord | None:
    if names_nothing(token_hash):
        return None
    row = db.one(
        "SELECT token_hash, app_id, user_id, expires_at_ms FROM user_access_tokens"
        " WHERE token_hash = ?",
        (token_hash,),
    )
    return UserTokenRecord(*row) if row else None
