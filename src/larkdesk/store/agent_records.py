"""Agents and agent skills, as the store trades them (store/agents.py holds the SQL)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """One agent of one helpdesk; `schedule` is its schedule's JSON, None without one."""

    helpdesk_id: str
    agent_id: str
    status: int
    created_at: int
    schedule: bytes | None = None


@dataclass(frozen=True, slots=True)
class SkillRecord:
    agent_skill_id: str
    helpdesk_id: str
    created_at: int
    body: bytes


@dataclass(frozen=True, slots=True)
class UserTokenRecord:
    """A user access token the store knows by its hash: whose, for which app, until when."""

    token_hash: str
    app_id: str
    user_id: str
    expires_at_ms: int
