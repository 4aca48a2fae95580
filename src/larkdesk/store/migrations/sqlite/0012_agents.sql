-- larkdesk schema, version 12 (issue 12): each helpdesk's agents (status, weekly schedule,
-- the skills their schedule names) and agent skills.

CREATE TABLE helpdesk_agents (
    helpdesk_id TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    status      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    schedule    BLOB,  -- JSON {schedule, agent_skill_ids}; NULL: no schedule
    PRIMARY KEY (helpdesk_id, agent_id)
);

CREATE TABLE agent_skills (
    agent_skill_id TEXT PRIMARY KEY,
    helpdesk_id    TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    body           BLOB NOT NULL  -- JSON {name, rules, agent_ids, is_default}
);
CREATE INDEX agent_skills_helpdesk ON agent_skills (helpdesk_id, created_at);

-- User access tokens (`larkdesk user token`): by the hash of their value, as access_tokens.
CREATE TABLE user_access_tokens (
    token_hash    TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX user_access_tokens_expiry ON user_access_tokens (expires_at_ms);

-- Notifications (push campaigns): status and wire JSON (lark-oapi's `Notification`).
CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY,
    helpdesk_id     TEXT NOT NULL,
    status          INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    body            BLOB NOT NULL
);
