-- larkdesk schema, version 2: the ticket lifecycle (tags, comment history, custom fields).

-- Each helpdesk's tags: a name is unique per helpdesk and keeps its id for good.
CREATE TABLE helpdesk_tags (
    helpdesk_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    tag_id      TEXT NOT NULL,
    PRIMARY KEY (helpdesk_id, name)
) WITHOUT ROWID;

-- Every comment a ticket was given (its wire JSON); the ticket shows the latest.
-- Keyed by the ticket's seq like the other per-ticket tables.
CREATE TABLE ticket_comments (
    seq        INTEGER NOT NULL,
    comment_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (seq, comment_id)
) WITHOUT ROWID;

-- Each helpdesk's custom-field definitions (wire JSON), which updates are checked against.
CREATE TABLE customized_fields (
    helpdesk_id TEXT NOT NULL,
    field_id    TEXT NOT NULL,
    position    INTEGER NOT NULL,
    body        BLOB NOT NULL,
    PRIMARY KEY (helpdesk_id, field_id)
);
