-- larkdesk schema, version 9: the live long connections (WebSocket event delivery).
-- The same table and columns as SQLite's 0009 (comments there).

CREATE TABLE event_connections (
    conn_id      TEXT COLLATE "C" PRIMARY KEY,
    app_id       TEXT COLLATE "C" NOT NULL,
    worker_id    TEXT COLLATE "C" NOT NULL,
    connected_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX event_connections_app ON event_connections (app_id, expires_at);
CREATE INDEX event_connections_worker ON event_connections (worker_id);
