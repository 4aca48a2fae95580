-- larkdesk schema, version 7: each ticket's conversation (messages) and the images sent in it.
-- The same tables and columns as SQLite's 0007, so `larkdesk migrate` copies them.

CREATE TABLE ticket_messages (
    seq               BIGINT NOT NULL,
    position          BIGINT NOT NULL,
    ticket_message_id TEXT COLLATE "C" NOT NULL,
    message_id        TEXT COLLATE "C" NOT NULL,
    created_at        BIGINT NOT NULL,
    body              BYTEA NOT NULL,
    PRIMARY KEY (seq, position)
);

CREATE INDEX ticket_messages_by_time ON ticket_messages (seq, created_at, position);

CREATE TABLE bot_private_messages (
    message_id  TEXT COLLATE "C" PRIMARY KEY,
    helpdesk_id TEXT COLLATE "C" NOT NULL,
    receiver_id TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    body        BYTEA NOT NULL
);

CREATE TABLE message_images (
    image_key    TEXT COLLATE "C" PRIMARY KEY,
    helpdesk_id  TEXT COLLATE "C" NOT NULL,
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL
);
