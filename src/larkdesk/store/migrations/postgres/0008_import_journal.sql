-- larkdesk schema, version 8: an import published in chunks, and its undo journal.
-- At most one import runs at a time (the one row of import_runs); while it runs, each
-- ticket it has written has its state from before the import in import_undo, so that a
-- failed or interrupted import can be undone (larkdesk.store.import_journal).
CREATE TABLE import_runs (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    run_id       TEXT NOT NULL,
    helpdesk_id  TEXT NOT NULL,
    source       TEXT NOT NULL,     -- the file, for messages
    state        TEXT NOT NULL,     -- publishing | rolling back | done
    started_ms   BIGINT NOT NULL,
    heartbeat_ms BIGINT NOT NULL   -- moved by every chunk: a stale one is a dead import
);
CREATE TABLE import_undo (
    ticket_id TEXT PRIMARY KEY,
    previous  BYTEA,                 -- the ticket before the import; NULL: it was new
    written   BYTEA NOT NULL         -- digest of the body the import wrote last
);
