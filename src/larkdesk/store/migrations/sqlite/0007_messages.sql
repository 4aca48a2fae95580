-- larkdesk schema, version 7: each ticket's conversation (messages) and the images sent in it.

-- Every message of a ticket, keyed by the ticket's seq like the other per-ticket tables;
-- `position` counts a ticket's messages from 1 (the message event's `position`). The body
-- is the stored message (sender, text, content, times) as JSON.
CREATE TABLE ticket_messages (
    seq               INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    ticket_message_id TEXT NOT NULL,
    message_id        TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    body              BLOB NOT NULL,
    PRIMARY KEY (seq, position)
) WITHOUT ROWID;

-- The list API's time window, in list order.
CREATE INDEX ticket_messages_by_time ON ticket_messages (seq, created_at, position);

-- The helpdesk bot's messages to a user's private chat (`receive_type: user`): in no
-- ticket's conversation.
CREATE TABLE bot_private_messages (
    message_id  TEXT PRIMARY KEY,
    helpdesk_id TEXT NOT NULL,
    receiver_id TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    body        BLOB NOT NULL
);

-- Image bytes by image key (what image messages and posts name), with their content type.
CREATE TABLE message_images (
    image_key    TEXT PRIMARY KEY,
    helpdesk_id  TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL
);
