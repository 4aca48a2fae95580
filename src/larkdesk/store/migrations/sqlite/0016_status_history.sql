-- larkdesk schema, version 16 (issue 11): each ticket's status and stage history, written
-- in the same transaction as the change (store/history.py): when, who, old -> new.
-- A NULL old value: the ticket's first state (created, or first imported).
CREATE TABLE ticket_status_history (
    id          INTEGER PRIMARY KEY,
    seq         INTEGER NOT NULL,  -- the ticket's
    at          INTEGER NOT NULL,  -- ms
    old_status  INTEGER,
    new_status  INTEGER,
    old_stage   INTEGER,
    new_stage   INTEGER,
    actor_kind  TEXT NOT NULL,  -- app, user, operator, import, sync, system
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    source      TEXT NOT NULL   -- api, console, cli, or where an import/sync read it
);
CREATE INDEX ticket_status_history_ticket ON ticket_status_history (seq, id);
