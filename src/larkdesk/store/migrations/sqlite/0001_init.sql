-- larkdesk schema, version 1: identities, hashed access tokens, tickets.

CREATE TABLE tenants (
    tenant_key TEXT PRIMARY KEY,
    name       TEXT NOT NULL
);

CREATE TABLE apps (
    app_id      TEXT PRIMARY KEY,
    tenant_key  TEXT NOT NULL REFERENCES tenants(tenant_key),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL  -- space-separated
);

CREATE TABLE helpdesks (
    helpdesk_id TEXT PRIMARY KEY,
    tenant_key  TEXT NOT NULL REFERENCES tenants(tenant_key),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL
);

CREATE TABLE users (
    user_id    TEXT PRIMARY KEY,
    tenant_key TEXT NOT NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    city       TEXT NOT NULL DEFAULT '',
    country    TEXT NOT NULL DEFAULT '',
    avatar_url TEXT NOT NULL DEFAULT ''
);

CREATE TABLE access_tokens (
    token_hash    TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at_ms);

-- One narrow row per ticket: the filter and order columns. Filters scan these rows or
-- their indexes; the wire JSON lives apart (ticket_bodies) and is read for one page only.
CREATE TABLE tickets (
    seq          INTEGER PRIMARY KEY,
    ticket_id    TEXT NOT NULL UNIQUE,
    helpdesk_id  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    ticket_type  INTEGER,
    channel      INTEGER,
    solve        INTEGER,
    score        INTEGER,
    status       INTEGER,
    guest_id     TEXT,
    guest_name   TEXT,  -- casefolded, for the case-insensitive substring filter
    closed_by_id TEXT
);

-- Each ticket's wire JSON, ready to send.
CREATE TABLE ticket_bodies (
    seq  INTEGER PRIMARY KEY,
    body BLOB NOT NULL
);

-- Tickets per helpdesk, kept by every write, so an unfiltered list needs no COUNT(*).
CREATE TABLE helpdesk_ticket_counts (
    helpdesk_id TEXT PRIMARY KEY,
    tickets     INTEGER NOT NULL
);
-- The list order (newest first, ticket_id descending) and the create_time window.
CREATE INDEX tickets_order ON tickets (helpdesk_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_updated ON tickets (helpdesk_id, updated_at);
CREATE INDEX tickets_status ON tickets (helpdesk_id, status, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_type ON tickets (helpdesk_id, ticket_type, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_channel ON tickets (helpdesk_id, channel, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_solve ON tickets (helpdesk_id, solve, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_score ON tickets (helpdesk_id, score, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_guest ON tickets (helpdesk_id, guest_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_closed_by ON tickets (helpdesk_id, closed_by_id, created_at DESC, ticket_id DESC);
CREATE INDEX tickets_guest_name ON tickets (helpdesk_id, guest_name, created_at DESC, ticket_id DESC);

-- The distinct (casefolded) guest names per helpdesk: a guest_name substring filter scans
-- these few rows, then reads the matching tickets through tickets_guest_name.
CREATE TABLE guest_names (
    helpdesk_id TEXT NOT NULL,
    guest_name  TEXT NOT NULL,
    PRIMARY KEY (helpdesk_id, guest_name)
) WITHOUT ROWID;

CREATE TABLE ticket_agents (
    agent_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX ticket_agents_seq ON ticket_agents (seq);

CREATE TABLE ticket_tags (
    tag_name TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (tag_name, seq)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_seq ON ticket_tags (seq);
