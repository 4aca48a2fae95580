-- larkdesk schema, version 2: the ticket lifecycle (tags, comment history, custom fields).
-- The same tables and columns as SQLite's 0002, so `larkdesk migrate` copies them.

CREATE TABLE helpdesk_tags (
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    tag_id      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (helpdesk_id, name)
);

CREATE TABLE ticket_comments (
    seq        BIGINT NOT NULL,
    comment_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    body       BYTEA NOT NULL,
    PRIMARY KEY (seq, comment_id)
);

CREATE TABLE customized_fields (
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    field_id    TEXT COLLATE "C" NOT NULL,
    position    BIGINT NOT NULL,
    body        BYTEA NOT NULL,
    PRIMARY KEY (helpdesk_id, field_id)
);
