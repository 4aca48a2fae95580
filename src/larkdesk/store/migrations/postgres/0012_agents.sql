-- larkdesk schema, version 12 (issue 12): the same tables and columns as SQLite's 0012.

CREATE TABLE helpdesk_agents (
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    agent_id    TEXT COLLATE "C" NOT NULL,
    status      BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    schedule    BYTEA,
    PRIMARY KEY (helpdesk_id, agent_id)
);

CREATE TABLE agent_skills (
    agent_skill_id TEXT COLLATE "C" PRIMARY KEY,
    helpdesk_id    TEXT COLLATE "C" NOT NULL,
    created_at     BIGINT NOT NULL,
    body           BYTEA NOT NULL
);
CREATE INDEX agent_skills_helpdesk ON agent_skills (helpdesk_id, created_at);

CREATE TABLE user_access_tokens (
    token_hash    TEXT COLLATE "C" PRIMARY KEY,
    app_id        TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX user_access_tokens_expiry ON user_access_tokens (expires_at_ms);

CREATE TABLE notifications (
    notification_id TEXT COLLATE "C" PRIMARY KEY,
    helpdesk_id     TEXT COLLATE "C" NOT NULL,
    status          BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    body            BYTEA NOT NULL
);
