-- larkdesk schema, version 6: helpdesk events, delivered from a durable outbox.
-- The same tables and columns as PostgreSQL's 0006, so `larkdesk migrate` copies them.

-- Each app's event settings, as Feishu's developer console keeps them ("事件与回调").
-- The token and the key are kept as given: every delivery needs them in the clear.
CREATE TABLE app_event_settings (
    app_id             TEXT PRIMARY KEY,
    url                TEXT NOT NULL,     -- '' until a URL has passed the challenge
    verification_token TEXT NOT NULL,
    encrypt_key        TEXT NOT NULL,     -- '' for none
    mode               TEXT NOT NULL,     -- 'webhook' or 'long_connection'
    verified_at        INTEGER NOT NULL   -- when the URL passed the challenge (ms), 0 never
);

-- The event types each app has enabled (the console's event list).
CREATE TABLE app_event_types (
    app_id     TEXT NOT NULL,
    event_type TEXT NOT NULL,
    PRIMARY KEY (app_id, event_type)
) WITHOUT ROWID;

-- What POST /open-apis/helpdesk/v1/events/subscribe asked for: keyed by helpdesk first,
-- since every write looks up who hears its helpdesk's events.
CREATE TABLE event_subscriptions (
    helpdesk_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    PRIMARY KEY (helpdesk_id, event_type, app_id)
) WITHOUT ROWID;

-- One row per event and receiving app, written in the transaction of the change.
-- A pending row is due at due_at; claiming it moves due_at to the end of the claim's
-- lease, so a worker that dies mid-delivery leaves it due again when the lease ends.
CREATE TABLE event_outbox (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    helpdesk_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,   -- ms: header.create_time
    body        BLOB NOT NULL,      -- the envelope's `event` object (compact JSON)
    state       TEXT NOT NULL,      -- 'pending', 'delivered' or 'failed'
    attempts    INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    claimed_by  TEXT NOT NULL,      -- the last claim's id ('' never claimed)
    done_at     INTEGER NOT NULL    -- when it was delivered or given up (ms), 0 while pending
);
CREATE INDEX event_outbox_due ON event_outbox (due_at) WHERE state = 'pending';
CREATE INDEX event_outbox_app ON event_outbox (app_id, id);

-- Every delivery attempt: what `larkdesk events log` shows.
CREATE TABLE event_attempts (
    outbox_id  INTEGER NOT NULL,
    attempt    INTEGER NOT NULL,    -- 1 for the first
    at         INTEGER NOT NULL,    -- when it was sent (ms)
    status     INTEGER NOT NULL,    -- the HTTP status; 0 when none came
    latency_ms INTEGER NOT NULL,
    error      TEXT NOT NULL,       -- why it failed; '' on success
    PRIMARY KEY (outbox_id, attempt)
) WITHOUT ROWID;
